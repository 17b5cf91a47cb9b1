// SPDX-License-Identifier: MIT
// The freestanding part of clang's source-based coverage: the counters live
// in the __llvm_prf_cnts section (one uint64_t per region, bumped by the
// instrumented code without atomics, so concurrent bumps may undercount but
// never turn a reached region into zero). The function records and names
// (__llvm_prf_data, __llvm_prf_names) are constant after linking, so the
// host reads them from kernel.elf and only the counters cross the serial
// line; tests/tools/kernel_coverage.py rebuilds a raw profile (format version 8,
// clang 14) from the three.
//
// Built into the coverage kernel only. The functions here are not
// instrumented: dumping should not change what it dumps.
#include "kernel/test/cov.h"

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/arch.h"
#include "kernel/cmdline.h"

#define NO_COV __attribute__((no_profile_instrument_function))

/* From arch/x86_64/linker.ld. */
extern uint64_t __cov_counters_start[], __cov_counters_end[];

/*
 * clang references these for targets it does not know to collect the
 * sections by linker magic (ours is x86_64-unknown-none): a hook variable
 * that pulls a runtime in, and a constructor that registers each function
 * record. The linker script already bounds the sections, and no constructor
 * runs in this kernel, so they are empty.
 */
int __llvm_profile_runtime;
void __llvm_profile_register_function(void *data);
void __llvm_profile_register_names_function(void *names, uint64_t size);
NO_COV void __llvm_profile_register_function(void *data) { (void)data; }
NO_COV void __llvm_profile_register_names_function(void *names, uint64_t size)
{
	(void)names;
	(void)size;
}

static int dumped;

NO_COV static void put_str(const char *s)
{
	for (; *s; s++)
		arch_console_putc(*s);
}

/* Lower-case hex without leading zeros ("0" for zero). */
NO_COV static void put_hex(uint64_t v)
{
	char buf[17];
	int n = 0;
	do {
		buf[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	while (n)
		arch_console_putc(buf[--n]);
}

/* Tokens per line: short lines survive any terminal and are easy to resync on. */
#define TOKENS_PER_LINE 24

struct line_state {
	unsigned tokens;
};

NO_COV static void token(struct line_state *ls, bool zeros, uint64_t v)
{
	if (ls->tokens == 0)
		put_str("covdump: d");
	arch_console_putc(' ');
	if (zeros)
		arch_console_putc('z');
	put_hex(v);
	if (++ls->tokens == TOKENS_PER_LINE) {
		put_str("\r\n");
		ls->tokens = 0;
	}
}

NO_COV void cov_dump(void)
{
	if (!cmdline_has("covdump") || __atomic_exchange_n(&dumped, 1, __ATOMIC_ACQ_REL))
		return;
	uint64_t n = (uint64_t)(__cov_counters_end - __cov_counters_start);
	if (n == 0) {
		put_str("\r\ncovdump: this kernel has no coverage counters\r\n");
		return;
	}
	put_str("\r\ncovdump: begin counters=");
	put_hex(n);
	put_str("\r\n");
	struct line_state ls = { 0 };
	uint64_t hash = 0, zeros = 0;
	for (uint64_t i = 0; i < n; i++) {
		/* One read per counter: the hash and the token must see the same value. */
		uint64_t v = __atomic_load_n(&__cov_counters_start[i], __ATOMIC_RELAXED);
		hash = hash * 31 + v;
		if (v == 0) {
			zeros++;
			continue;
		}
		if (zeros)
			token(&ls, true, zeros);
		zeros = 0;
		token(&ls, false, v);
	}
	if (zeros)
		token(&ls, true, zeros);
	if (ls.tokens)
		put_str("\r\n");
	put_str("covdump: end counters=");
	put_hex(n);
	put_str(" hash=");
	put_hex(hash);
	put_str("\r\n");
}
