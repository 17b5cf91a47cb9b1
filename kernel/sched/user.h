// SPDX-License-Identifier: MIT
// User threads and programs (spec §10).
#ifndef QUILT_SCHED_USER_H
#define QUILT_SCHED_USER_H

#include <stdint.h>

struct process;
struct thread;

#define USER_STACK_TOP    0x00007FFFFFFFF000ULL
#define USER_STACK_BYTES  (100 * 4096ULL)   /* CONFIG_MAX_USER_STACK_PAGES */
#define USER_STACK_STRIDE 0x65000ULL        /* 100 stack pages + 1 guard page */

/* Top of thread @tid's stack region. */
uint64_t user_stack_top(uint64_t tid);
/* A user-capable thread of @p with the next tid, not yet started. NULL: ENOMEM or terminating. */
struct thread *user_thread_create(struct process *p, void (*fn)(void *), void *arg);
/* Start @p's first thread: wait for "start" if suspended, load p->cmdline's argv[0], enter it. */
int process_start_program(struct process *p);
/* THREAD_CREATE: returns the tid or -errno. */
int64_t user_thread_spawn(struct process *p, uint64_t entry, uint64_t arg);

#endif
