// SPDX-License-Identifier: MIT
// libc-private helpers: per-thread slots found from the stack, start-up hooks.
#ifndef QUILT_LIBC_INTERNAL_H
#define QUILT_LIBC_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/abi/types.h"

/*
 * Per-thread data without TLS. Spec §10.3 puts thread t's stack at
 * [top(t) - 100 pages, top(t)) with top(t) = USER_STACK_TOP - t * stride and
 * stride = 100 stack pages + 1 guard page, and tids are dense and never
 * reused (§7.6). So the stack pointer names the thread, and a static array
 * indexed by tid gives each thread a slot that starts zeroed. Threads with
 * tid >= LIBC_MAX_THREADS (or running on a foreign stack) share one spare
 * slot: their errno is then unreliable, and they cannot be joined.
 */
#define USER_STACK_TOP 0x00007FFFFFFFF000ull /* top(0) == USER_MAX */
#define USER_STACK_STRIDE ((uint64_t)(CONFIG_MAX_USER_STACK_PAGES + 1) * PAGE_SIZE_ABI)
#define LIBC_MAX_THREADS 1024

_Static_assert(USER_STACK_STRIDE == 0x65000, "spec §10.3: 101 pages per thread");

struct thread_slot {
	int err;		 /* errno */
	_Atomic(uint64_t) done;	 /* futex word: 0 while running, 1 once ended (join) */
};

/* The slot of the thread running on the stack at @sp (the spare one if none). */
struct thread_slot *__thread_slot_at(uint64_t sp);
/* The slot of thread @tid, or NULL if it has none. */
struct thread_slot *__thread_slot_of(tid_t tid);

static inline uint64_t __current_sp(void)
{
	uint64_t sp;
	__asm__ volatile("mov %%rsp, %0" : "=r"(sp));
	return sp;
}


/* Flush stdio buffers (called by exit). */
void __stdio_flush_all(void);

/* Write @msg to fd 2 and end the process abnormally. Never returns. */
__attribute__((noreturn)) void __libc_fatal(const char *msg);

#endif
