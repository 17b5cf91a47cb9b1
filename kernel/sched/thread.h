// SPDX-License-Identifier: MIT
// struct thread, shared by the scheduler, processes, the syscall path and
// notes. Private to kernel/ (other layers use the functions of sched.h).
#ifndef QUILT_SCHED_THREAD_H
#define QUILT_SCHED_THREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/sched/sched.h"
#include "kernel/sched/wait.h"

enum thread_state {
	THREAD_NEW,     /* allocated, not yet started: wakes do not touch it */
	THREAD_RUNNING, /* on a CPU */
	THREAD_READY,   /* in a run queue */
	THREAD_BLOCKED, /* asleep (or about to be, see thread_prepare_sleep) */
	THREAD_DEAD,    /* finished; freed when the last reference goes */
};

/* thread->flags bits (atomic) */
#define THREAD_KILL     0x1u /* die on the way out of the kernel */
#define THREAD_NOTE     0x2u /* an ordinary note is queued */
#define THREAD_USER     0x4u /* has a user context (FPU area, user stack) */

#define THREAD_NOTE_QUEUE 8
#define SYSCALL_TRACE_LEN 8
#define THREAD_NOTE_MAX   64

struct thread {
	uint64_t saved_rsp;        /* Owner: arch_context_switch */
	uint64_t kstack_bottom;    /* Immutable */
	uint64_t kstack_top;       /* Immutable */
	struct process *proc;      /* Immutable */
	uint64_t tid;              /* Immutable: per process */
	uint64_t refcount;         /* atomic */
	uint32_t flags;            /* atomic: THREAD_* */

	/* Guarded by: the lock of run queue `cpu` */
	enum thread_state state;
	bool on_rq;                /* queued, or current on its CPU */
	unsigned cpu;              /* run queue it belongs to */
	uint8_t priority;
	struct thread *rq_next, *rq_prev;
	int wake_reason;           /* result of the current/last sleep */
	bool uninterruptible;      /* notes do not end this sleep */
	uint64_t deadline;         /* sleeping until (UINT64_MAX: no timer) */
	struct thread *timer_next; /* in the run queue's deadline list */
	bool timer_armed;
	/*
	 * CPU time, charged at each context switch and timer interrupt to the
	 * mode the thread was found in (tick-style, as Linux without
	 * VIRT_CPU_ACCOUNTING): the total is exact, the split a sample. Written
	 * by the CPU running the thread; read racily for /proc/<pid>/perf.
	 */
	uint64_t acct_since;
	uint64_t user_ns, kernel_ns;

	/* Owner thread only */
	int64_t errno_slot;        /* spec §2.3: the calling thread's error code */
	bool uaccess_oom;          /* a fault inside the current user copy found no memory */
	uint64_t wx_step_page;     /* a W^X page opened for one instruction (kernel/mm/vmm.c), or 0 */
	/*
	 * Its last system calls (number and arguments), oldest overwritten
	 * first, for the panic report (syscall_trace_dump): when a fuzzer or
	 * any program brings the kernel down, the log names the calls that led
	 * there. Read locklessly by a panic, so an entry may be torn.
	 */
	struct syscall_trace_entry {
		uint64_t nr, arg[4];
	} sc_trace[SYSCALL_TRACE_LEN];
	uint64_t sc_trace_count;
	void *fpu;                 /* XSAVE/FXSAVE area of a user thread, else NULL */
	void (*entry)(void *);     /* what it runs first */
	void *entry_arg;

	/* Guarded by: proc->lock */
	struct thread *proc_next;
	char notes[THREAD_NOTE_QUEUE][THREAD_NOTE_MAX];
	uint8_t note_len[THREAD_NOTE_QUEUE];
	unsigned note_head, note_count;

	/* Join: set once, woken once */
	bool finished;             /* atomic */
	struct wait_queue exit_wq;

	uint64_t run_start_ns;     /* accounting: when it last got the CPU */
};

/* Allocate a thread of @proc with a kernel stack, that will run @fn(@arg). Not yet runnable. */
struct thread *thread_alloc(struct process *proc, void (*fn)(void *), void *arg, uint8_t priority);
/* Make a new thread runnable (on the least loaded CPU). */
void sched_start_thread(struct thread *t);
/* The calling thread stops for good (state DEAD); its struct lives on while referenced. */
__attribute__((noreturn)) void sched_exit_current(void);
/* Set THREAD_KILL / queue a note and interrupt a sleep. */
void thread_send_kill(struct thread *t);
bool thread_has_pending_interrupt(struct thread *t);

#endif
