// SPDX-License-Identifier: MIT
// Processes (spec §9): an address space, a file-system context (descriptor
// table, working directory, namespace; owned by fs/), threads with per-process
// ids, an exit status published once, and waiters for it.
#ifndef QUILT_SCHED_PROCESS_H
#define QUILT_SCHED_PROCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/sched/wait.h"
#include "kernel/sync/spinlock.h"

struct vm_space;
struct fs_context;
struct thread;

struct process {
	uint64_t pid;                /* Immutable */
	uint64_t refcount;           /* atomic; the process table holds one until reaped */
	struct spinlock lock;        /* guards the fields below marked so */
	struct vm_space *space;      /* Immutable after creation; NULL for the kernel process */
	struct fs_context *fs;       /* owned by fs/; NULL after termination */
	void *env;                   /* owned by fs/procfs: environment variables */

	/* Guarded by: lock */
	struct thread *threads;      /* live threads, linked through thread->proc_next */
	uint64_t nthreads;
	uint64_t next_tid;
	bool terminating;            /* set with release after exit_status; may be read lock-free (acquire) */
	int64_t exit_status;         /* valid once terminating */
	uint8_t priority;            /* new threads start at this */
	bool suspended;              /* SPAWN_SUSPEND: waiting for "start" */

	struct wait_queue exit_wq;   /* woken when the process terminates */
	struct wait_queue start_wq;  /* woken by "start" */

	/* Immutable after spawn returns: argv strings each followed by NUL. */
	char *cmdline;
	uint64_t cmdline_len;

	uint64_t start_ns;           /* Immutable */
	uint64_t user_ns, kernel_ns; /* atomic */
	uint64_t exited_ns;          /* when it terminated (for reaping) */
	/* Guarded by: ptable_lock (process.c); the ended processes, oldest first, for the reaper */
	struct process *ended_next, *ended_prev;
	bool on_ended_list;

	void *futexes;               /* kernel/sched/futex.c */
	uint64_t share_keys;         /* atomic: live SHARE keys this process made (fs/share.c) */
};

/* The kernel's own process, pid 0. */
extern struct process kernel_process;

/* Look up a live or recently ended process by pid, with a reference. NULL if none. */
struct process *process_get(uint64_t pid);
void process_ref(struct process *p);
void process_put(struct process *p);
/* Call @fn for every process in the table, in pid order (for /proc listings). Stops when fn returns non-zero. */
int process_for_each(int (*fn)(struct process *p, void *ctx), void *ctx);

/*
 * process_terminate - end @p with @status unless it is already terminating:
 * publish the status, release its descriptors, cwd and namespace, wake its
 * waiters, and send every thread the kill note. Threads die when they next
 * leave the kernel. Context: thread context.
 */
void process_terminate(struct process *p, int64_t status);
/* End the calling process (and this thread). */
__attribute__((noreturn)) void process_exit(int64_t status);
/* End the calling thread; the last thread out ends the process with status 0. */
__attribute__((noreturn)) void thread_exit(void);

uint64_t processes_live(void);

/* The priority new threads of @p get (0-63); set it (the caller checked the range). */
uint8_t process_priority(struct process *p);
void process_set_priority(struct process *p, uint8_t priority);
/* Let a process spawned with SPAWN_SUSPEND run (the "start" ctl command). */
void process_resume(struct process *p);
/* What /proc/<pid>/perf shows: clocks in ns, resident user pages, live threads. */
struct process_stats {
	uint64_t user_ns, kernel_ns, start_ns, user_pages, threads;
};
void process_stats(struct process *p, struct process_stats *out);

/*
 * thread_send_note - queue a 1-63 byte note for @t (8 kept, the oldest
 * dropped) and end its current sleep with EINTR; "kill" terminates @t.
 * Returns 0 or -EINVAL. Context: any thread context.
 */
int thread_send_note(struct thread *t, const char *msg, uint64_t len);
/* The lowest-tid live thread of @p, with a reference (thread_put), or NULL. */
struct thread *process_first_thread(struct process *p);

/*
 * Live processes (created, not yet terminated) that may exist at once: past
 * it SPAWN fails with ENOMEM (its only limit error), so a spawn loop cannot
 * grow the process table and its per-process kernel memory without bound.
 * Ended processes are not counted there: each stays in the table for a
 * second (spec §8.5) however fast they come, and a loop that spawns and
 * waits for short children ends more than PROCESS_MAX of them a second on
 * a fast enough machine (two `bench scale` workers on two CPUs under QEMU
 * already did). They hold little (their status, pid and cmdline: the
 * address space, descriptors and futex table are gone), and PROCESS_TABLE_MAX
 * bounds live and ended ones together.
 */
#define PROCESS_MAX 8192
#define PROCESS_TABLE_MAX (8 * PROCESS_MAX)

/* A new process (next pid, empty address space, no threads) in the table, with a reference for the caller. NULL: ENOMEM (no memory, PROCESS_MAX or PROCESS_TABLE_MAX reached). */
struct process *process_create(uint8_t priority);
/* Remove every ended process from the table now (tests; normally they linger 1 s). */
uint64_t process_reap_now(void);
/* Boot: start the reaper of ended processes. */
void process_init(void);

#endif
