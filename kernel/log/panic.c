// SPDX-License-Identifier: MIT
// panic(): one CPU claims the panic, the others are stopped, and the report
// goes out on the polled serial path without taking any lock (the lock holder
// may be the CPU that crashed).
#include <stdarg.h>

#include "arch/x86_64/arch.h"
#include "kernel/drivers/fb/fbcon.h"
#include "kernel/lib/elf.h"
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"
#include "kernel/log/log.h"
#include "kernel/syscall/syscall.h"
#include "kernel/test/cov.h"

/* Immutable after symbols_init(). */
static const struct elf64_sym *symtab;
static uint64_t symtab_count;
static const char *strtab;
static uint64_t strtab_size;

static int panic_claimed;

bool panic_in_progress(void)
{
	return __atomic_load_n(&panic_claimed, __ATOMIC_ACQUIRE) != 0;
}

void symbols_init(const void *syms, uint64_t syms_size, const char *strs, uint64_t strs_size)
{
	symtab = syms;
	symtab_count = syms_size / sizeof(struct elf64_sym);
	strtab = strs;
	strtab_size = strs_size;
}

void symbol_format(uint64_t addr, char *buf, size_t len)
{
	const struct elf64_sym *best = NULL;
	for (uint64_t i = 0; i < symtab_count; i++) {
		const struct elf64_sym *s = &symtab[i];
		if (ELF_ST_TYPE(s->info) != ELF_STT_FUNC || s->value > addr || s->name >= strtab_size)
			continue;
		if (!best || s->value > best->value)
			best = s;
	}
	if (best && (best->size == 0 || addr < best->value + best->size))
		ksnprintf(buf, len, "%.*s+0x%lx", (int)strnlen(strtab + best->name, strtab_size - best->name),
			  strtab + best->name, addr - best->value);
	else
		ksnprintf(buf, len, "?");
}

/* The report goes to the serial line and, in the panic colours, to the screen. */
static void raw_puts(const char *s)
{
	fbcon_panic_write(s, strlen(s));
	for (; *s; s++) {
		if (*s == '\n')
			arch_console_putc('\r');
		arch_console_putc(*s);
	}
}

static void raw_printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	raw_puts(buf);
}

/* Kernel frames live in the higher half; anything else ends the walk. */
static int plausible_frame(uint64_t fp)
{
	return fp >= 0xFFFF800000000000ULL && (fp & 7) == 0 && fp < UINT64_MAX - 16;
}

static void backtrace_with(void (*out)(const char *, ...), uint64_t fp)
{
	for (int depth = 0; depth < 32 && plausible_frame(fp); depth++) {
		uint64_t ret = ((uint64_t *)fp)[1];
		uint64_t next = ((uint64_t *)fp)[0];
		if (ret == 0)
			break;
		char sym[96];
		symbol_format(ret - 1, sym, sizeof(sym));
		out("  [<%016lx>] %s\n", ret, sym);
		if (next <= fp) /* frames grow toward higher addresses */
			break;
		fp = next;
	}
}

void log_backtrace(uint64_t fp)
{
	backtrace_with(kprintf, fp);
}

static __attribute__((noreturn)) void panic_common(const void *frame, const char *file, int line,
						    const char *fmt, va_list ap)
{
	arch_irq_disable();
	if (__atomic_exchange_n(&panic_claimed, 1, __ATOMIC_ACQ_REL))
		arch_halt_forever(); /* another CPU is already reporting */
	unsigned stopped = arch_stop_other_cpus();

	char msg[256];
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	if (file)
		raw_printf("\nKERNEL PANIC cpu=%u: %s (%s:%d)\n", arch_cpu_index(), msg, file, line);
	else
		raw_printf("\nKERNEL PANIC cpu=%u: %s\n", arch_cpu_index(), msg);
	uint64_t fp = arch_frame_pointer();
	if (frame) {
		arch_dump_frame(frame, raw_printf);
		fp = arch_frame_fp(frame);
		char sym[96];
		symbol_format(arch_frame_ip(frame), sym, sizeof(sym));
		raw_printf("  [<%016lx>] %s (faulting instruction)\n", arch_frame_ip(frame), sym);
	}
	raw_puts("Backtrace:\n");
	backtrace_with(raw_printf, fp);
	syscall_trace_dump(raw_printf);
	raw_printf("other CPUs stopped: %u of %u\n", stopped, arch_cpu_count() - 1);
	/* After the report, so a dump can never hide why the kernel stopped. */
	cov_dump();
	if (log_qemu_exit)
		arch_qemu_exit(QEMU_EXIT_PANIC);
	arch_halt_forever();
}

__attribute__((noreturn)) void panic_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	panic_common(NULL, file, line, fmt, ap);
}

__attribute__((noreturn)) void panic_trap(const void *frame, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	panic_common(frame, NULL, 0, fmt, ap);
}
