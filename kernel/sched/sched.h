// SPDX-License-Identifier: MIT
// Threads and the scheduler: preemptive, per-CPU run queues with 64 priority
// levels (higher runs first), round-robin 10 ms slices within a level, idle
// CPUs stealing work. No global lock on schedule or wake.
#ifndef QUILT_SCHED_SCHED_H
#define QUILT_SCHED_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/arch.h"
#include "kernel/sched/wait.h"

struct process;
struct thread;

#define SCHED_SLICE_NS (10 * 1000 * 1000ULL)
#define SCHED_PRIORITIES 64

/* The running thread and its process. Context: any (never NULL after sched_init). */
static inline struct thread *current_thread(void)
{
	return arch_current_thread();
}

struct process *current_process(void);

/* Boot: turn the boot flow into the BSP's first thread; APs call sched_run_ap(). */
void sched_init(void);
__attribute__((noreturn)) void sched_run_ap(unsigned cpu);

/* True when this CPU was asked to reschedule (timer slice, wake-up of a more important thread). */
bool sched_need_resched(void);
/* Wake one idle CPU other than this one (if any) to do background work (pmm's zeroed pool). Context: any. */
void sched_wake_idle_cpu(void);

/*
 * The calling thread is ending (what is left: freeing its process's memory
 * at most): until it switches away, pick_cpu counts this CPU as about to be
 * free, so a program started meanwhile queues here rather than beside a
 * thread that goes on running. Context: thread context.
 */
void sched_current_leaving(void);

/* Give up the CPU if something else of equal or higher priority is ready. */
void sched_yield(void);

/*
 * sched_checkpoint - the preemption and kill point of a long loop in the
 * kernel (kernel code is not preempted, see README "Bounded latency"): gives
 * up the CPU when this CPU was asked to reschedule (slice over, a more
 * important thread woke), then reports whether the calling thread was
 * killed. Returns 0, or -EINTR when killed: the caller stops at a clean
 * point (undoing, or reporting the progress made; a killed thread's result
 * is never seen). Cheap (two loads) when there is nothing to do, so loops
 * call it once per page or per chunk of work.
 * Context: thread context, no spinlock held, IRQs on.
 */
int sched_checkpoint(void);
/* True when the calling thread was sent the kill note (it dies on its way out). */
bool sched_killed(void);
/* Context switch to the best ready thread (the caller's state says whether it stays ready). */
void schedule(void);

/*
 * kthread_create - a kernel thread of the kernel process (pid 0) running
 * @fn(@arg) at @priority; it ends by returning from @fn. Returns NULL on ENOMEM.
 * It starts running immediately (on the least loaded CPU).
 */
struct thread *kthread_create(void (*fn)(void *), void *arg, uint8_t priority);

/* Wake @t if it sleeps: @reason 0 (normal), -ETIMEDOUT or -EINTR. Context: any, IRQs any. */
void thread_wake(struct thread *t, int reason);

/* Reference counting of threads (a thread struct outlives its execution while referenced). */
void thread_get(struct thread *t);
void thread_put(struct thread *t);
/* Block until @t has finished running (for kernel tests and joins). Returns 0 or -EINTR. */
int thread_join(struct thread *t);

/*
 * sched_cpu_time - how long CPU @cpu ran its idle thread and how long
 * anything else (threads, and the interrupts that hit them), in ns since it
 * began scheduling. Returns false for a CPU that is not online.
 * Context: any thread; takes that CPU's run-queue lock.
 */
bool sched_cpu_time(unsigned cpu, uint64_t *idle_ns, uint64_t *busy_ns);

/* Counters for leak checks and /proc. */
uint64_t threads_live(void);

#endif
