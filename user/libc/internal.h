// SPDX-License-Identifier: MIT
// libc-private helpers: per-thread slots found from the stack, start-up hooks.
#ifndef QUILT_LIBC_INTERNAL_H
#define QUILT_LIBC_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/abi/types.h"

/*
 * Per-thread data without TLS. Spec §10.3 puts thread t's stack at
 * [top(t) - 100 pages, top(t)) with top(t) = USER_STACK_TOP - t * stride and
 * stride = 100 stack pages + 1 guard page, and tids are dense and never
 * reused (§9.2). So the stack pointer names the thread, and a table indexed
 * by tid (errno.c) gives each thread a slot that starts zeroed. A thread
 * whose slot could not be allocated, or one running on a foreign stack,
 * shares one spare slot: its errno is then unreliable.
 */
#define USER_STACK_TOP 0x00007FFFFFFFF000ull /* top(0) == USER_MAX */
#define USER_STACK_STRIDE ((uint64_t)(CONFIG_MAX_USER_STACK_PAGES + 1) * PAGE_SIZE)

/* The highest tid whose stack region lies in user space (above 0x400000, spec §10.2). */
#define USER_STACK_LAST_TID ((USER_STACK_TOP - 0x400000ull) / USER_STACK_STRIDE - 1)

_Static_assert(USER_STACK_STRIDE == 0x65000, "spec §10.3: 101 pages per thread");

struct thread_slot {
	int err;		 /* errno */
	_Atomic(uint64_t) done;	 /* futex word: 0 while running, 1 once ended (join) */
};

/* The slot of the thread running on the stack at @sp (the spare one if it has none yet). Never allocates. */
struct thread_slot *__thread_slot_at(uint64_t sp);
/* The slot of thread @tid, allocated if needed; NULL if @tid is out of range or memory ran out. */
struct thread_slot *__thread_slot_of(tid_t tid);
/* Make sure the thread running on the stack at @sp has a slot of its own. Returns false: no memory. */
bool __thread_slot_claim(uint64_t sp);

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
