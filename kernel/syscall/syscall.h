// SPDX-License-Identifier: MIT
// System-call registration. A handler is written
//
//	SYSCALL_DEFINE(SYS_READ, uint64_t, fd_t, fd, void __user *, buf, uint64_t, count)
//	{
//		... return bytes or -EBADF ...;
//	}
//
// which places a descriptor in the .syscall_table section; syscall_table_init()
// sorts the descriptors by number at boot and panics unless they are exactly
// 0..SYS_TOTAL_AMOUNT-1, once each. Each argument arrives as a 64-bit register
// and is converted to its declared C type before the handler sees it, which
// truncates narrow types as the ABI requires (spec §2.2).
// Handlers return a value >= 0 or a negative errno; the dispatcher turns a
// negative result into ERR (or NULL for pointer results, declared by a
// `void *` result type) and stores the code in the calling thread's error slot.
#ifndef QUILT_SYSCALL_SYSCALL_H
#define QUILT_SYSCALL_SYSCALL_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/abi/errno.h"
#include "kernel/abi/syscalls.h"
#include "kernel/abi/types.h"
#include "kernel/mm/uaccess.h"

typedef int64_t (*syscall_fn_t)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

struct syscall_desc {
	uint64_t number;
	const char *name;
	syscall_fn_t fn;
	bool pointer_result; /* NULL instead of ERR on failure */
};

/* Argument plumbing: (type, name) pairs to a parameter list and to casts of a0..a5. */
#define SC_DECL0()
#define SC_DECL1(t1, n1) t1 n1
#define SC_DECL2(t1, n1, t2, n2) t1 n1, t2 n2
#define SC_DECL3(t1, n1, t2, n2, t3, n3) t1 n1, t2 n2, t3 n3
#define SC_DECL4(t1, n1, t2, n2, t3, n3, t4, n4) t1 n1, t2 n2, t3 n3, t4 n4
#define SC_CAST0()
#define SC_CAST1(t1, n1) (t1)a0
#define SC_CAST2(t1, n1, t2, n2) (t1)a0, (t2)a1
#define SC_CAST3(t1, n1, t2, n2, t3, n3) (t1)a0, (t2)a1, (t3)a2
#define SC_CAST4(t1, n1, t2, n2, t3, n3, t4, n4) (t1)a0, (t2)a1, (t3)a2, (t4)a3
#define SC_NARGS_(_0, _1, _2, _3, _4, _5, _6, _7, _8, n, ...) n
#define SC_NARGS(...) SC_NARGS_(_, ##__VA_ARGS__, 4, x, 3, x, 2, x, 1, x, 0)
#define SC_CAT_(a, b) a##b
#define SC_CAT(a, b) SC_CAT_(a, b)

#define SYSCALL_DEFINE(num, ret, ...)                                                                     \
	static int64_t sys_impl_##num(SC_CAT(SC_DECL, SC_NARGS(__VA_ARGS__))(__VA_ARGS__));               \
	static int64_t sys_entry_##num(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,   \
				       uint64_t a5)                                                       \
	{                                                                                                 \
		(void)a0, (void)a1, (void)a2, (void)a3, (void)a4, (void)a5;                               \
		return sys_impl_##num(SC_CAT(SC_CAST, SC_NARGS(__VA_ARGS__))(__VA_ARGS__));               \
	}                                                                                                 \
	static const struct syscall_desc sys_desc_##num                                                   \
		__attribute__((used, section(".syscall_table." #num), aligned(8))) = {                  \
			num, #num, sys_entry_##num, __builtin_types_compatible_p(ret, void *)             \
		};                                                                                        \
	static int64_t sys_impl_##num(SC_CAT(SC_DECL, SC_NARGS(__VA_ARGS__))(__VA_ARGS__))

/*
 * syscall_trace_dump - print, through @out, the last SYSCALL_TRACE_LEN system
 * calls of the thread running on each CPU (oldest first), for a panic report.
 * Lockless and best effort: another CPU's thread pointer is read as is.
 * Context: any, including a panic with the other CPUs stopped.
 */
void syscall_trace_dump(void (*out)(const char *fmt, ...));

/* syscall_name - the call's name ("READ"), or NULL beyond the table. */
const char *syscall_name(uint64_t nr);

/* Sort and check the table. Context: boot; panics naming a missing or duplicate number. */
void syscall_table_init(void);
/* Pure check behind it (host-testable): 0 when @n descriptors sorted by number are exactly 0..n-1. */
int syscall_table_check(const struct syscall_desc *sorted, uint64_t n, uint64_t total, const char **why,
			uint64_t *bad_number);

#endif
