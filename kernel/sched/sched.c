// SPDX-License-Identifier: MIT
// The scheduler: one run queue per CPU with 64 priority levels (a bitmap of
// non-empty levels makes picking O(1)), round-robin within a level, a sorted
// list of sleep deadlines per CPU driven by that CPU's one-shot timer, and
// idle CPUs stealing ready threads from busy ones.
//
// Locks: rq->lock guards a run queue and the scheduling fields of every
// thread that belongs to it (thread->cpu names the queue). A context switch
// happens with the lock held; the thread that resumes releases it
// (sched_finish_switch), so no other CPU can touch the outgoing thread until
// its registers are saved. Lock order: wait-queue locks before rq locks; two
// rq locks only by trylock (stealing).
#include "kernel/sched/sched.h"

#include "arch/x86_64/arch.h"
#include "kernel/abi/errno.h"
#include "kernel/lib/string.h"
#include "kernel/log/log.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/kstack.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/vmm.h"
#include "kernel/sched/process.h"
#include "kernel/sched/thread.h"
#include "kernel/time/time.h"

#define MAX_RQS 64

/*
 * A user thread made ready on this, busy, CPU by a thread running here (a
 * new thread, or one woken by its partner) stays here this long before an
 * idle CPU is told to take it. Most such threads are half of a hand-over:
 * the creator or waker blocks at once (a join, a wait for the child, a
 * futex), and the thread then runs here on warm caches, without the
 * cross-CPU interrupt and the wake-up of a halted CPU that moving it costs
 * (under QEMU the wake-up of a halted vCPU alone costs more than a thread's
 * whole start). One that would run alongside its creator starts this much
 * later on the idle CPU. Linux makes the same bet for synchronous wake-ups
 * (wake_affine).
 */
#define SCHED_BALANCE_DELAY_NS (200 * 1000ULL)

/*
 * An idle CPU that polls (idle_poll) sees that time pass by itself; the
 * busy CPU's own timer, which wakes a halted idle CPU, fires this much
 * later. A timer interrupt costs a thread tens of microseconds under QEMU,
 * and in a hand-over the timer is almost always armed for nothing (the
 * waker blocks within microseconds; an armed timer is not stopped, see
 * program_timer): at 200 us it fired every few hand-overs, a fifth of
 * thread_create_join's time and the spread between its samples.
 */
#define SCHED_BALANCE_TIMER_NS (2 * 1000 * 1000ULL)

/* How long an idle CPU watches for work before it halts (see idle_poll). */
#define SCHED_IDLE_POLL_NS (200 * 1000ULL)

struct runqueue {
	struct spinlock lock;
	uint64_t bitmap;                 /* bit p: level p non-empty */
	struct thread *head[SCHED_PRIORITIES], *tail[SCHED_PRIORITIES];
	uint32_t nr_ready;
	struct thread *current;
	struct thread *idle;
	struct thread *timers;           /* sleepers with a deadline, soonest first */
	struct thread *dead;             /* switched away from for good; unreferenced after the switch */
	uint64_t slice_end;
	uint64_t balance_at;             /* 0, or when an idle CPU may take a thread left ready here (read racily) */
	uint64_t timer_at;               /* 0, or when this CPU's timer is armed to fire (see program_timer) */
	bool need_resched;
	bool polling;                    /* its idle thread watches nr_ready and need_resched: no IPI needed */
	bool leaving;                    /* current is ending (sched_current_leaving); read racily by pick_cpu */
	uint64_t idle_ns;                /* time the idle thread ran, up to idle->acct_since */
	uint64_t online_ns;              /* Immutable once idle is set: when this CPU began scheduling */
} __attribute__((aligned(64)));

static struct runqueue rqs[MAX_RQS];
static uint64_t threads_alive; /* atomic */

static inline struct runqueue *this_rq(void)
{
	return &rqs[arch_cpu_index()];
}

uint64_t threads_live(void)
{
	return __atomic_load_n(&threads_alive, __ATOMIC_RELAXED);
}

struct process *current_process(void)
{
	struct thread *t = arch_current_thread();
	return t ? t->proc : &kernel_process;
}

/* ------------------------------------------------------------ run queues */

static void enqueue(struct runqueue *rq, struct thread *t)
{
	unsigned p = t->priority;
	t->rq_next = NULL;
	t->rq_prev = rq->tail[p];
	if (rq->tail[p])
		rq->tail[p]->rq_next = t;
	else
		rq->head[p] = t;
	rq->tail[p] = t;
	rq->bitmap |= 1ULL << p;
	rq->nr_ready++;
	t->state = THREAD_READY;
	t->on_rq = true;
}

static void dequeue(struct runqueue *rq, struct thread *t)
{
	unsigned p = t->priority;
	if (t->rq_prev)
		t->rq_prev->rq_next = t->rq_next;
	else
		rq->head[p] = t->rq_next;
	if (t->rq_next)
		t->rq_next->rq_prev = t->rq_prev;
	else
		rq->tail[p] = t->rq_prev;
	if (!rq->head[p])
		rq->bitmap &= ~(1ULL << p);
	rq->nr_ready--;
}

static struct thread *pick(struct runqueue *rq)
{
	if (!rq->bitmap)
		return NULL;
	unsigned p = 63 - (unsigned)__builtin_clzll(rq->bitmap);
	struct thread *t = rq->head[p];
	dequeue(rq, t);
	return t;
}

static void timer_add(struct runqueue *rq, struct thread *t)
{
	struct thread **link = &rq->timers;
	while (*link && (*link)->deadline <= t->deadline)
		link = &(*link)->timer_next;
	t->timer_next = *link;
	*link = t;
	t->timer_armed = true;
}

static void timer_remove(struct runqueue *rq, struct thread *t)
{
	for (struct thread **link = &rq->timers; *link; link = &(*link)->timer_next) {
		if (*link == t) {
			*link = t->timer_next;
			break;
		}
	}
	t->timer_armed = false;
}

/* Charge @t's CPU time since its last stamp to user or kernel mode. Needs rq->lock. */
static void account(struct thread *t, uint64_t now, bool user)
{
	if (now > t->acct_since) {
		if (user)
			t->user_ns += now - t->acct_since;
		else
			t->kernel_ns += now - t->acct_since;
	}
	t->acct_since = now;
}

/*
 * Arm this CPU's timer for its next event: the end of the running thread's
 * slice, the first sleeper's deadline or the balance time, whichever comes
 * first. Needs rq->lock.
 *
 * A timer already armed to fire no later than that is left alone: firing
 * early costs one interrupt, whose handler arms the timer again, while
 * re-arming costs a write to the local APIC, which under QEMU without
 * x2APIC is an exit to the device model (6.6 us measured) and would come
 * at nearly every switch (a new slice, a balance time set and cleared).
 * For the same reason an armed timer is not stopped when nothing is due.
 */
static void program_timer(struct runqueue *rq, uint64_t now)
{
	spin_assert_held(&rq->lock);
	uint64_t next = UINT64_MAX;
	if (rq->current != rq->idle)
		next = rq->slice_end;
	if (rq->timers && rq->timers->deadline < next)
		next = rq->timers->deadline;
	uint64_t balance_timer = rq->balance_at ? rq->balance_at - SCHED_BALANCE_DELAY_NS + SCHED_BALANCE_TIMER_NS : 0;
	if (balance_timer && balance_timer < next)
		next = balance_timer;
	if (next == UINT64_MAX || (rq->timer_at && rq->timer_at <= next))
		return;
	rq->timer_at = next;
	arch_timer_oneshot(next > now ? next - now : 1);
}

/* Lock the run queue @t belongs to (it may move while we wait for the lock). */
static struct runqueue *lock_thread_rq(struct thread *t)
{
	for (;;) {
		unsigned cpu = __atomic_load_n(&t->cpu, __ATOMIC_ACQUIRE);
		struct runqueue *rq = &rqs[cpu];
		spin_lock(&rq->lock);
		if (t->cpu == cpu)
			return rq;
		spin_unlock(&rq->lock);
	}
}

static unsigned rq_index(struct runqueue *rq)
{
	return (unsigned)(rq - rqs);
}

/* An idle CPU other than @not, or -1. Racy by design: a hint for whom to kick. */
static int find_idle_cpu(unsigned not)
{
	for (unsigned i = 0; i < arch_cpu_count(); i++)
		if (i != not && __atomic_load_n(&rqs[i].current, __ATOMIC_RELAXED) == rqs[i].idle &&
		    __atomic_load_n(&rqs[i].nr_ready, __ATOMIC_RELAXED) == 0)
			return (int)i;
	return -1;
}


/* Make @rq's CPU call schedule() soon. */
static void resched_cpu(struct runqueue *rq)
{
	/* Stored before polling is read, as idle_poll stores polling before it reads need_resched. */
	__atomic_store_n(&rq->need_resched, true, __ATOMIC_SEQ_CST);
	if (rq != this_rq() && !__atomic_load_n(&rq->polling, __ATOMIC_SEQ_CST))
		arch_send_reschedule(rq_index(rq));
}

void sched_wake_idle_cpu(void)
{
	int cpu = find_idle_cpu(arch_cpu_index());
	if (cpu >= 0)
		resched_cpu(&rqs[cpu]); /* out of hlt; its idle loop looks for work */
}

/* Tell an idle CPU to take a ready thread from this busy one after SCHED_BALANCE_DELAY_NS. Needs rq->lock. */
static void defer_balance(struct runqueue *rq)
{
	spin_assert_held(&rq->lock);
	if (rq->balance_at)
		return;
	uint64_t now = time_now_ns();
	__atomic_store_n(&rq->balance_at, now + SCHED_BALANCE_DELAY_NS, __ATOMIC_RELAXED);
	program_timer(rq, now);
}

/*
 * After making @t ready on @rq: which CPU to get going. Needs rq->lock.
 * Returns the run queue to pass to resched_cpu() once rq->lock is dropped
 * (NULL: none): a CPU told to steal the thread must not find the lock still
 * held, or its trylock fails and the thread waits for the slice to end.
 */
static __must_check struct runqueue *kick(struct runqueue *rq, struct thread *t)
{
	spin_assert_held(&rq->lock);
	if (rq->current == rq->idle || t->priority > rq->current->priority) {
		if (rq != this_rq() || rq->current == rq->idle)
			return rq;
		/* This busy CPU switches at its next preemption point only, maybe far off in kernel code. */
		rq->need_resched = true;
	}
	/* That CPU is ours and busy, the thread a user thread: see SCHED_BALANCE_DELAY_NS. */
	if (rq == this_rq() && (__atomic_load_n(&t->flags, __ATOMIC_RELAXED) & THREAD_USER)) {
		defer_balance(rq);
		return NULL;
	}
	/* That CPU is busy: let an idle CPU steal the thread if it gets there first. */
	int idle = find_idle_cpu(rq_index(rq));
	return idle >= 0 && (unsigned)idle != arch_cpu_index() ? &rqs[idle] : NULL;
}

void thread_wake(struct thread *t, int reason)
{
	irqflags_t f = arch_irq_save();
	struct runqueue *rq = lock_thread_rq(t), *target = NULL;
	if (t->state == THREAD_BLOCKED && !(reason == -EINTR && t->uninterruptible)) {
		t->wake_reason = reason;
		if (t->timer_armed)
			timer_remove(rq, t);
		if (t->on_rq) {
			/* Still on its CPU between prepare_sleep and schedule(): it will not sleep. */
			t->state = THREAD_RUNNING;
		} else {
			enqueue(rq, t);
			target = kick(rq, t);
		}
	}
	spin_unlock(&rq->lock);
	if (target)
		resched_cpu(target);
	arch_irq_restore(f);
}

/* Take one ready thread from the busiest other queue. Needs our rq lock; others by trylock. */
static struct thread *steal(struct runqueue *rq)
{
	spin_assert_held(&rq->lock);
	struct runqueue *victim = NULL;
	uint32_t most = 0;
	for (unsigned i = 0; i < arch_cpu_count(); i++) {
		uint32_t n = __atomic_load_n(&rqs[i].nr_ready, __ATOMIC_RELAXED);
		if (&rqs[i] != rq && n > most) {
			most = n;
			victim = &rqs[i];
		}
	}
	if (!victim || !spin_trylock(&victim->lock))
		return NULL;
	struct thread *t = pick(victim);
	if (t)
		__atomic_store_n(&t->cpu, rq_index(rq), __ATOMIC_RELEASE);
	spin_unlock(&victim->lock);
	return t;
}

/* Release what the previous thread on this CPU left: the rq lock, and a dead thread's reference. */
void sched_finish_switch(void)
{
	struct runqueue *rq = this_rq();
	struct thread *dead = rq->dead;
	rq->dead = NULL;
	spin_unlock(&rq->lock);
	if (dead)
		thread_put(dead);
}

void schedule(void)
{
	irqflags_t f = arch_irq_save();
	struct runqueue *rq = this_rq();
	spin_lock(&rq->lock);
	struct thread *prev = rq->current;
	uint64_t now = time_now_ns();
	rq->need_resched = false;

	if (prev == rq->idle && now > prev->acct_since)
		rq->idle_ns += now - prev->acct_since; /* /dev/perf/cpu's idle time; re-stamped below */
	/* Whatever runs next (the idle loop sets it again), wakers must send an IPI again. */
	__atomic_store_n(&rq->polling, false, __ATOMIC_RELAXED);
	__atomic_store_n(&rq->leaving, false, __ATOMIC_RELAXED);
	if (prev != rq->idle) {
		account(prev, now, false); /* schedule() runs in the kernel */
		if (prev->state == THREAD_RUNNING) {
			if (rq->nr_ready == 0) {
				/* Nothing else to run: keep going; the timer re-arms itself at slice end. */
				spin_unlock(&rq->lock);
				arch_irq_restore(f);
				return;
			}
			enqueue(rq, prev);
		} else if (prev->state == THREAD_BLOCKED) {
			prev->on_rq = false;
			if (prev->deadline != UINT64_MAX)
				timer_add(rq, prev);
		} else {
			prev->on_rq = false; /* DEAD */
			rq->dead = prev;
		}
	}
	struct thread *next = pick(rq);
	if (!next)
		next = steal(rq);
	if (!next)
		next = rq->idle;
	/* Nothing left waiting here: no idle CPU needs telling (and no timer interrupt for it). */
	if (!rq->nr_ready)
		__atomic_store_n(&rq->balance_at, 0, __ATOMIC_RELAXED);
	next->state = THREAD_RUNNING;
	next->on_rq = true;
	next->acct_since = now;
	rq->current = next;
	rq->slice_end = now + SCHED_SLICE_NS;
	program_timer(rq, now);
	if (next == prev) {
		spin_unlock(&rq->lock);
		arch_irq_restore(f);
		return;
	}
	arch_set_current_thread(next);
	arch_set_kernel_stack(next->kstack_top);
	if (prev->fpu)
		arch_fpu_save(prev->fpu);
	if (next->fpu)
		arch_fpu_restore(next->fpu);
	if (next->proc->space)
		vm_space_activate(next->proc->space);
	arch_context_switch(&prev->saved_rsp, next->saved_rsp);
	/* Running as prev again, perhaps on another CPU, with that CPU's rq lock held. */
	sched_finish_switch();
	arch_irq_restore(f);
}

void sched_yield(void)
{
	/* Nothing else waits here: yielding is a no-op (a racy read is fine, see schedule()). */
	if (__atomic_load_n(&this_rq()->nr_ready, __ATOMIC_RELAXED) == 0 && !this_rq()->need_resched)
		return;
	schedule();
}

bool sched_killed(void)
{
	struct thread *t = current_thread();
	return __atomic_load_n(&t->flags, __ATOMIC_ACQUIRE) & THREAD_KILL;
}

int sched_checkpoint(void)
{
	/* A racy read is fine: a request that arrives just after is seen at the next call. */
	if (__atomic_load_n(&this_rq()->need_resched, __ATOMIC_RELAXED))
		schedule();
	return sched_killed() ? -EINTR : 0;
}

/* Timer interrupt: expire deadlines, end slices, sample CPU time. IRQs are off. */
void sched_timer_interrupt(bool from_user)
{
	struct runqueue *rq = this_rq();
	uint64_t now = time_now_ns();
	spin_lock(&rq->lock);
	rq->timer_at = 0; /* fired (perhaps early, see program_timer): armed again below if anything is due */
	if (rq->current != rq->idle)
		account(rq->current, now, from_user);
	bool balance = false;
	while (rq->timers && rq->timers->deadline <= now) {
		struct thread *t = rq->timers;
		rq->timers = t->timer_next;
		t->timer_armed = false;
		if (t->state == THREAD_BLOCKED) {
			t->wake_reason = -ETIMEDOUT;
			enqueue(rq, t);
			balance = true;
		}
	}
	if (rq->balance_at && now >= rq->balance_at) {
		__atomic_store_n(&rq->balance_at, 0, __ATOMIC_RELAXED);
		balance = true;
	}
	/* Threads left ready on this busy CPU: an idle CPU takes one now. */
	struct runqueue *target = NULL;
	if (balance && rq->nr_ready && rq->current != rq->idle) {
		int idle = find_idle_cpu(rq_index(rq));
		if (idle >= 0)
			target = &rqs[idle];
	}
	if (rq->nr_ready && (rq->current == rq->idle || now >= rq->slice_end))
		rq->need_resched = true;
	if (rq->current != rq->idle && now >= rq->slice_end && !rq->nr_ready)
		rq->slice_end = now + SCHED_SLICE_NS;
	program_timer(rq, now);
	spin_unlock(&rq->lock);
	if (target)
		resched_cpu(target);
}

void sched_reschedule_interrupt(void)
{
	this_rq()->need_resched = true;
}

bool sched_need_resched(void)
{
	return this_rq()->need_resched;
}

/* ------------------------------------------------------------ sleeping */

void thread_prepare_sleep(void)
{
	struct thread *t = current_thread();
	irqflags_t f = arch_irq_save();
	struct runqueue *rq = this_rq();
	spin_lock(&rq->lock);
	t->state = THREAD_BLOCKED;
	t->wake_reason = 0;
	t->deadline = UINT64_MAX;
	spin_unlock(&rq->lock);
	arch_irq_restore(f);
}

void thread_cancel_sleep(void)
{
	struct thread *t = current_thread();
	irqflags_t f = arch_irq_save();
	struct runqueue *rq = this_rq();
	spin_lock(&rq->lock);
	if (t->state == THREAD_BLOCKED)
		t->state = THREAD_RUNNING;
	spin_unlock(&rq->lock);
	arch_irq_restore(f);
}

int thread_sleep(uint64_t deadline)
{
	struct thread *t = current_thread();
	if (thread_has_pending_interrupt(t)) {
		thread_cancel_sleep();
		return -EINTR;
	}
	if (deadline != UINT64_MAX && time_now_ns() >= deadline) {
		thread_cancel_sleep();
		return -ETIMEDOUT;
	}
	irqflags_t f = arch_irq_save();
	struct runqueue *rq = this_rq();
	spin_lock(&rq->lock);
	t->deadline = deadline;
	spin_unlock(&rq->lock);
	arch_irq_restore(f);
	schedule();
	return t->wake_reason;
}

void thread_sleep_uninterruptible(void)
{
	struct thread *t = current_thread();
	irqflags_t f = arch_irq_save();
	struct runqueue *rq = this_rq();
	spin_lock(&rq->lock);
	t->deadline = UINT64_MAX;
	t->uninterruptible = true;
	spin_unlock(&rq->lock);
	arch_irq_restore(f);
	schedule();
	t->uninterruptible = false;
}

int sleep_until(uint64_t deadline_ns)
{
	/* Nothing wakes this sleep but its deadline or a note: other wakes (none expected) just loop. */
	for (;;) {
		thread_prepare_sleep();
		int r = thread_sleep(deadline_ns);
		if (r == -ETIMEDOUT)
			return 0;
		if (r == -EINTR)
			return -EINTR;
	}
}

bool thread_has_pending_interrupt(struct thread *t)
{
	return __atomic_load_n(&t->flags, __ATOMIC_ACQUIRE) & (THREAD_KILL | THREAD_NOTE);
}

/* ------------------------------------------------------------ threads */

static void thread_bootstrap(void *arg)
{
	struct thread *t = arg;
	arch_irq_enable();
	t->entry(t->entry_arg);
	sched_exit_current();
}

struct thread *thread_alloc(struct process *proc, void (*fn)(void *), void *arg, uint8_t priority)
{
	struct thread *t = kzalloc(sizeof(*t));
	if (!t)
		return NULL;
	t->kstack_bottom = kstack_alloc();
	if (!t->kstack_bottom) {
		kfree(t);
		return NULL;
	}
	t->kstack_top = t->kstack_bottom + KSTACK_PAGES * PAGE_SIZE;
	t->proc = proc;
	t->refcount = 1; /* the scheduler's, dropped after the thread is dead and switched away */
	t->priority = priority < SCHED_PRIORITIES ? priority : SCHED_PRIORITIES - 1;
	/*
	 * Not BLOCKED: a user thread is on its process's list (where a kill or
	 * a note can reach it) before sched_start_thread queues it, and a
	 * wake-up of a "blocked" thread would queue it a second time.
	 */
	t->state = THREAD_NEW;
	t->deadline = UINT64_MAX;
	t->entry = fn;
	t->entry_arg = arg;
	wait_queue_init(&t->exit_wq);
	t->saved_rsp = arch_thread_init_stack(t->kstack_top, thread_bootstrap, t);
	__atomic_fetch_add(&threads_alive, 1, __ATOMIC_RELAXED);
	return t;
}

void thread_get(struct thread *t)
{
	__atomic_fetch_add(&t->refcount, 1, __ATOMIC_RELAXED);
}

void thread_put(struct thread *t)
{
	if (__atomic_sub_fetch(&t->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (t->kstack_bottom)
		kstack_free(t->kstack_bottom);
	kfree(t->fpu);
	__atomic_fetch_sub(&threads_alive, 1, __ATOMIC_RELAXED);
	kfree(t);
}

void sched_current_leaving(void)
{
	irqflags_t f = arch_irq_save();
	__atomic_store_n(&this_rq()->leaving, true, __ATOMIC_RELAXED);
	arch_irq_restore(f);
}

/*
 * The least loaded online CPU, preferring idle ones, then one whose thread
 * is ending: a parent's next child used to land on the parent's own CPU
 * while the last child's CPU was still freeing its memory, and then waited
 * for the parent to block (make bench spawn_exit_wait, and the other CPU's
 * idle watch ran out meanwhile).
 */
static unsigned pick_cpu(void)
{
	unsigned best = arch_cpu_index();
	uint32_t best_load = UINT32_MAX;
	for (unsigned i = 0; i < arch_cpu_count(); i++) {
		if (!rqs[i].idle)
			continue; /* not scheduling yet */
		bool busy = __atomic_load_n(&rqs[i].current, __ATOMIC_RELAXED) != rqs[i].idle;
		uint32_t load = __atomic_load_n(&rqs[i].nr_ready, __ATOMIC_RELAXED) * 4 +
				(busy ? (__atomic_load_n(&rqs[i].leaving, __ATOMIC_RELAXED) ? 1 : 2) : 0);
		if (load < best_load) {
			best = i;
			best_load = load;
		}
	}
	return best;
}

/*
 * A user thread of its creator's own process starts on the creator's CPU
 * unless threads already wait there (see SCHED_BALANCE_DELAY_NS); others -
 * a new program's first thread among them - on the least loaded CPU. A new
 * program runs beside its parent: measured (make bench, spawn_exit_wait),
 * starting it on the parent's CPU cost 15 % more, as the parent's open of
 * /proc/<pid>/wait and its poll no longer overlap the child's run.
 */
static unsigned start_cpu(struct thread *t)
{
	struct runqueue *rq = this_rq();
	struct thread *creator = current_thread();
	if ((__atomic_load_n(&t->flags, __ATOMIC_RELAXED) & THREAD_USER) && creator && creator->proc == t->proc &&
	    rq->idle && __atomic_load_n(&rq->nr_ready, __ATOMIC_RELAXED) == 0)
		return rq_index(rq);
	return pick_cpu();
}

void sched_start_thread(struct thread *t)
{
	/* A concurrent thread_wake() may be looking at t->cpu; it finds a NEW thread and leaves it alone. */
	unsigned cpu = start_cpu(t);
	__atomic_store_n(&t->cpu, cpu, __ATOMIC_RELEASE);
	irqflags_t f = arch_irq_save();
	struct runqueue *rq = &rqs[cpu];
	spin_lock(&rq->lock);
	ASSERT(t->state == THREAD_NEW);
	enqueue(rq, t);
	struct runqueue *target = kick(rq, t);
	spin_unlock(&rq->lock);
	if (target)
		resched_cpu(target);
	arch_irq_restore(f);
}

struct thread *kthread_create(void (*fn)(void *), void *arg, uint8_t priority)
{
	struct thread *t = thread_alloc(&kernel_process, fn, arg, priority);
	if (!t)
		return NULL;
	thread_get(t); /* the creator's reference, for thread_join / thread_put */
	sched_start_thread(t);
	return t;
}

__attribute__((noreturn)) void sched_exit_current(void)
{
	struct thread *t = current_thread();
	__atomic_store_n(&t->finished, true, __ATOMIC_RELEASE);
	wait_queue_wake_all(&t->exit_wq);
	arch_irq_disable();
	struct runqueue *rq = this_rq();
	spin_lock(&rq->lock);
	t->state = THREAD_DEAD;
	spin_unlock(&rq->lock);
	schedule();
	panic("a dead thread was scheduled again");
}

int thread_join(struct thread *t)
{
	return WAIT_EVENT(&t->exit_wq, __atomic_load_n(&t->finished, __ATOMIC_ACQUIRE), UINT64_MAX);
}

/* ------------------------------------------------------------ bring-up */

/*
 * Work for this idle CPU: a thread ready here, a reschedule asked for, or
 * one to steal - from a CPU with two or more waiting, or one whose thread
 * has waited there past its balance time (SCHED_BALANCE_DELAY_NS).
 */
static bool idle_has_work(struct runqueue *rq)
{
	if (__atomic_load_n(&rq->nr_ready, __ATOMIC_SEQ_CST) || __atomic_load_n(&rq->need_resched, __ATOMIC_SEQ_CST))
		return true;
	for (unsigned i = 0; i < arch_cpu_count(); i++) {
		if (i == rq_index(rq))
			continue;
		uint32_t ready = __atomic_load_n(&rqs[i].nr_ready, __ATOMIC_RELAXED);
		uint64_t balance_at = __atomic_load_n(&rqs[i].balance_at, __ATOMIC_RELAXED);
		if (ready > 1 || (ready && balance_at && time_now_ns() >= balance_at))
			return true;
	}
	return false;
}

/*
 * In a virtual machine, before halting, watch for work for up to
 * SCHED_IDLE_POLL_NS, IRQs on. Meanwhile a CPU that makes a thread ready
 * here sees `polling` and sends no IPI (resched_cpu). Under QEMU both ends
 * of waking a halted vCPU are slow - the sender's APIC writes, the host
 * waking the vCPU's thread - about 50 us measured, while the thread of a
 * hand-over (a child started, a waiter woken) is usually ready within that
 * window: spawn_exit_wait went from 250 to 150 us. Linux guests poll before
 * halting for the same reason (cpuidle-haltpoll); on a real CPU waking from
 * hlt is cheap and this CPU just halts. The loop has no PAUSE: under QEMU's
 * TCG each one leaves the translated code and takes the device model's
 * lock, for nothing here. Returns whether work came. IRQs off on entry and
 * return.
 */
static bool idle_poll(struct runqueue *rq)
{
	__atomic_store_n(&rq->polling, true, __ATOMIC_SEQ_CST);
	uint64_t end = time_now_ns() + SCHED_IDLE_POLL_NS;
	bool work;
	arch_irq_enable();
	while (!(work = idle_has_work(rq)) && time_now_ns() < end)
		;
	arch_irq_disable();
	__atomic_store_n(&rq->polling, false, __ATOMIC_SEQ_CST);
	/* A waker that saw `polling` sent no IPI: look once more after clearing it. */
	return work || idle_has_work(rq);
}

static void idle_loop(void)
{
	struct runqueue *rq = this_rq();
	const bool poll = arch_on_hypervisor();
	for (;;) {
		arch_irq_disable();
		if (idle_has_work(rq)) {
			schedule();
			continue;
		}
		log_screen_idle();
		/*
		 * Going to sleep: stop holding the last user address space, so
		 * its munmap/mprotect need not interrupt this CPU with a TLB
		 * shootdown (a halted vCPU is slow to answer). While polling,
		 * keep one no other CPU has loaded: its thread that just blocked
		 * here usually comes back here, to a warm TLB.
		 */
		struct vm_space *space = vm_space_current();
		if (space && (!poll || vm_space_loaded_elsewhere(space)))
			vm_space_activate(NULL);
		/*
		 * Nothing to run: zero pages ahead for pmm_alloc_zeroed_page, a
		 * few per look at the queues. Under a hypervisor this counts as
		 * polling: a batch takes a few microseconds, so a waker needs no
		 * IPI (which costs it more than that, and the idle zeroing is
		 * what runs right after a thread left, when the next is due).
		 */
		if (poll)
			__atomic_store_n(&rq->polling, true, __ATOMIC_SEQ_CST);
		if (pmm_idle_zero(8)) {
			arch_irq_enable(); /* a pending interrupt is taken here */
			continue;
		}
		if (poll && idle_poll(rq))
			continue;
		if (vm_space_current())
			vm_space_activate(NULL);
		arch_idle_wait();
	}
}

/* Adopt the running flow (boot or AP start-up) as a thread with its existing stack. */
static struct thread *adopt_current(uint8_t priority, uint64_t stack_top)
{
	struct thread *t = kzalloc(sizeof(*t));
	if (!t)
		panic("sched: out of memory");
	t->proc = &kernel_process;
	t->refcount = 1;
	t->priority = priority;
	t->state = THREAD_RUNNING;
	t->on_rq = true;
	t->cpu = arch_cpu_index();
	t->deadline = UINT64_MAX;
	t->kstack_top = stack_top; /* kstack_bottom stays 0: this stack is not ours to free */
	wait_queue_init(&t->exit_wq);
	return t;
}

static volatile bool sched_ready;

void sched_init(void)
{
	/* The boot flow becomes a kernel thread; an idle thread is made for this CPU. */
	struct runqueue *rq = this_rq();
	struct thread *boot = adopt_current(SCHED_PRIORITIES / 2, arch_boot_stack_top());
	rq->current = boot;
	arch_set_current_thread(boot);
	struct thread *idle = thread_alloc(&kernel_process, (void (*)(void *))idle_loop, NULL, 0);
	if (!idle)
		panic("sched: out of memory");
	idle->cpu = rq_index(rq);
	idle->on_rq = true;
	rq->online_ns = time_now_ns();
	rq->idle = idle;
	rq->slice_end = time_now_ns() + SCHED_SLICE_NS;
	__atomic_store_n(&sched_ready, true, __ATOMIC_RELEASE);
	for (unsigned i = 1; i < arch_cpu_count(); i++)
		arch_send_reschedule(i);
	/* Wait until every AP has its idle thread, so placement sees all CPUs. */
	for (unsigned i = 1; i < arch_cpu_count(); i++)
		while (!__atomic_load_n(&rqs[i].idle, __ATOMIC_ACQUIRE))
			arch_cpu_relax();
}

/* An AP after bring-up: wait for sched_init, then idle. */
void kernel_ap_main(unsigned cpu)
{
	arch_irq_disable();
	while (!__atomic_load_n(&sched_ready, __ATOMIC_ACQUIRE))
		arch_idle_wait();
	sched_run_ap(cpu);
}

__attribute__((noreturn)) void sched_run_ap(unsigned cpu)
{
	/* This AP's start-up flow becomes its idle thread. */
	struct runqueue *rq = this_rq();
	struct thread *idle = adopt_current(0, 0);
	rq->online_ns = idle->acct_since = time_now_ns();
	rq->current = idle;
	arch_set_current_thread(idle);
	__atomic_store_n(&rq->idle, idle, __ATOMIC_RELEASE);
	idle_loop();
	__builtin_unreachable();
}

bool sched_cpu_time(unsigned cpu, uint64_t *idle_ns, uint64_t *busy_ns)
{
	if (cpu >= arch_cpu_count() || cpu >= MAX_RQS)
		return false;
	struct runqueue *rq = &rqs[cpu];
	irqflags_t f = arch_irq_save();
	spin_lock(&rq->lock);
	if (!rq->idle) {
		spin_unlock(&rq->lock);
		arch_irq_restore(f);
		return false;
	}
	uint64_t now = time_now_ns(), idle = rq->idle_ns;
	/* The idle thread's current stretch, not yet added (it is added when it is switched away from). */
	if (rq->current == rq->idle && now > rq->idle->acct_since)
		idle += now - rq->idle->acct_since;
	uint64_t online = now > rq->online_ns ? now - rq->online_ns : 0;
	spin_unlock(&rq->lock);
	arch_irq_restore(f);
	*idle_ns = idle;
	*busy_ns = online > idle ? online - idle : 0;
	return true;
}
