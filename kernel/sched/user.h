// SPDX-License-Identifier: MIT
// User threads and programs (spec §10).
#ifndef QUILT_SCHED_USER_H
#define QUILT_SCHED_USER_H

#include <stdint.h>

#include "kernel/abi/layout.h" /* PAGE_SIZE */

struct process;
struct thread;

#define USER_STACK_TOP    0x00007FFFFFFFF000ULL
#define USER_STACK_BYTES  (100 * PAGE_SIZE)   /* CONFIG_MAX_USER_STACK_PAGES */
#define USER_STACK_STRIDE 0x65000ULL        /* 100 stack pages + 1 guard page */
/* The highest tid whose stack region (and the guard page below it) lies above USER_MIN. */
#define USER_STACK_LAST_TID ((USER_STACK_TOP - USER_MIN) / USER_STACK_STRIDE - 1)

/* Top of thread @tid's stack region. */
uint64_t user_stack_top(uint64_t tid);
/*
 * user_stack_release - unmap the stack region of @t (spec §10.3), which is
 * ending through THREAD_EXIT (spec §7 number 1 allows reclaiming it): its
 * pages, their page tables and the region go back at once. No-op for a
 * kernel thread and for tid 0, whose region holds argv (kept until the
 * process ends). Call it while @t still counts in its process's nthreads,
 * so that the address space cannot be released under it.
 * Context: thread context, IRQs on; the calling thread is @t.
 */
void user_stack_release(struct thread *t);
/* A user-capable thread of @p with the next tid, not yet started. NULL: ENOMEM or terminating. */
struct thread *user_thread_create(struct process *p, void (*fn)(void *), void *arg);
/* Start @p's first thread: wait for "start" if suspended, load p->cmdline's argv[0], enter it. */
int process_start_program(struct process *p);
/* THREAD_CREATE: returns the tid or -errno. */
int64_t user_thread_spawn(struct process *p, uint64_t entry, uint64_t arg);

#endif
