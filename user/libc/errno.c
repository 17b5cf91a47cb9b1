// SPDX-License-Identifier: MIT
// Per-thread slots (errno, join word) located from the stack pointer, since
// the ABI gives user space no TLS register (spec §10.4: FS/GS base are 0).
#include <errno.h>

#include "user/libc/internal.h"

/*
 * Slot t belongs to thread t. Thread t's stack spans
 * [top(t) - 400 KiB, top(t)], so (USER_STACK_TOP - sp) / stride == t for
 * every stack pointer it can hold, including RSP == top(t) at its first
 * instruction (§7.23). The table lives in .bss: zero when the program
 * starts, and tids are never reused, so a new thread's errno starts at 0
 * without anyone clearing it. Index LIBC_MAX_THREADS is the spare slot.
 */
static struct thread_slot slots[LIBC_MAX_THREADS + 1];

struct thread_slot *__thread_slot_at(uint64_t sp)
{
	if (sp > USER_STACK_TOP)
		return &slots[LIBC_MAX_THREADS];
	uint64_t t = (USER_STACK_TOP - sp) / USER_STACK_STRIDE;
	return &slots[t < LIBC_MAX_THREADS ? t : LIBC_MAX_THREADS];
}

struct thread_slot *__thread_slot_of(tid_t tid)
{
	return tid < LIBC_MAX_THREADS ? &slots[tid] : NULL;
}

int *__errno_location(void)
{
	return &__thread_slot_at(__current_sp())->err;
}
