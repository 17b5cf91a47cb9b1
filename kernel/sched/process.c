// SPDX-License-Identifier: MIT
// The process table and process lifetime.
// Locks: ptable_lock guards the pid tree and next_pid; proc->lock guards the
// thread list and the termination fields. Order: ptable_lock, then proc->lock.
#include "kernel/sched/process.h"

#include "arch/x86_64/arch.h"
#include "fs/fs.h"
#include "kernel/abi/errno.h"
#include "kernel/lib/rbtree.h"
#include "kernel/lib/string.h"
#include "kernel/log/log.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/vmm.h"
#include "kernel/sched/futex.h"
#include "kernel/sched/thread.h"
#include "kernel/sched/user.h"
#include "kernel/time/time.h"

struct process kernel_process = {
	.pid = 0,
	.refcount = 1,
	.lock = SPINLOCK_INIT,
	.priority = 31,
	.exit_wq = WAIT_QUEUE_INIT,
	.start_wq = WAIT_QUEUE_INIT,
};

struct pnode {
	struct rb_node node;
	struct process *proc;
};

static struct spinlock ptable_lock = SPINLOCK_INIT;
static struct rb_root ptable = { NULL };   /* Guarded by: ptable_lock */
static uint64_t next_pid = 1;              /* Guarded by: ptable_lock */
static uint64_t procs_alive;               /* atomic: in the table or still referenced */
static uint64_t procs_running;             /* atomic: created and not yet terminated */

uint64_t processes_live(void)
{
	return __atomic_load_n(&procs_alive, __ATOMIC_RELAXED);
}

void process_ref(struct process *p)
{
	__atomic_fetch_add(&p->refcount, 1, __ATOMIC_RELAXED);
}

void process_put(struct process *p)
{
	if (p == &kernel_process)
		return;
	if (__atomic_sub_fetch(&p->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	/* A child that failed during SPAWN never had a thread to free its (empty) space. */
	if (p->space)
		vm_space_destroy(p->space);
	if (p->fs || p->env)
		fs_process_free(p);
	futex_table_free(p);
	kfree(p->cmdline);
	__atomic_fetch_sub(&procs_alive, 1, __ATOMIC_RELAXED);
	kfree(p);
}

static struct pnode *find_locked(uint64_t pid)
{
	spin_assert_held(&ptable_lock);
	struct rb_node *n = ptable.node;
	while (n) {
		struct pnode *pn = rb_entry(n, struct pnode, node);
		if (pid == pn->proc->pid)
			return pn;
		n = pid < pn->proc->pid ? n->left : n->right;
	}
	return NULL;
}

struct process *process_get(uint64_t pid)
{
	if (pid == 0)
		return &kernel_process;
	irqflags_t f = spin_lock_irqsave(&ptable_lock);
	struct pnode *pn = find_locked(pid);
	struct process *p = pn ? pn->proc : NULL;
	if (p)
		process_ref(p);
	spin_unlock_irqrestore(&ptable_lock, f);
	return p;
}

int process_for_each(int (*fn)(struct process *p, void *ctx), void *ctx)
{
	int r = fn(&kernel_process, ctx);
	uint64_t pid = 1;
	while (!r) {
		/* Take the next pid >= pid under the lock, call fn without it. */
		irqflags_t f = spin_lock_irqsave(&ptable_lock);
		struct process *p = NULL;
		for (struct rb_node *n = ptable.node; n;) {
			struct pnode *pn = rb_entry(n, struct pnode, node);
			if (pn->proc->pid >= pid) {
				p = pn->proc;
				n = n->left;
			} else {
				n = n->right;
			}
		}
		if (p)
			process_ref(p);
		spin_unlock_irqrestore(&ptable_lock, f);
		if (!p)
			break;
		pid = p->pid + 1;
		r = fn(p, ctx);
		process_put(p);
	}
	return r;
}

/*
 * process_create - a new process with the next pid, an empty address space
 * and no threads, in the table. Returns NULL when out of memory (no pid used).
 */
struct process *process_create(uint8_t priority)
{
	/* A process costs kernel memory a program asked for: not from the kernel's reserve. */
	if (!pmm_user_may_allocate())
		return NULL;
	/* Counted first, so that racing spawns cannot overshoot the bounds together. */
	if (__atomic_add_fetch(&procs_running, 1, __ATOMIC_RELAXED) > PROCESS_MAX) {
		__atomic_fetch_sub(&procs_running, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	if (__atomic_add_fetch(&procs_alive, 1, __ATOMIC_RELAXED) > PROCESS_TABLE_MAX) {
		__atomic_fetch_sub(&procs_alive, 1, __ATOMIC_RELAXED);
		__atomic_fetch_sub(&procs_running, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	struct process *p = kzalloc(sizeof(*p));
	struct pnode *pn = kmalloc(sizeof(*pn));
	if (!p || !pn)
		goto err;
	p->space = vm_space_create();
	if (!p->space)
		goto err;
	p->refcount = 2; /* the table's and the caller's */
	spin_init(&p->lock);
	wait_queue_init(&p->exit_wq);
	wait_queue_init(&p->start_wq);
	p->priority = priority;
	p->start_ns = time_now_ns();
	pn->proc = p;
	irqflags_t f = spin_lock_irqsave(&ptable_lock);
	p->pid = next_pid++;
	struct rb_node **link = &ptable.node, *parent = NULL;
	while (*link) {
		parent = *link;
		link = p->pid < rb_entry(parent, struct pnode, node)->proc->pid ? &parent->left : &parent->right;
	}
	rb_link_node(&pn->node, parent, link);
	rb_insert_color(&pn->node, &ptable);
	spin_unlock_irqrestore(&ptable_lock, f);
	return p;
err:
	if (p && p->space)
		vm_space_destroy(p->space);
	kfree(p);
	kfree(pn);
	__atomic_fetch_sub(&procs_alive, 1, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&procs_running, 1, __ATOMIC_RELAXED);
	return NULL;
}

/* The reaper's list of ended processes, in the order they ended. Guarded by: ptable_lock. */
static struct process *ended_head, *ended_tail;

static void ended_add(struct process *p)
{
	irqflags_t f = spin_lock_irqsave(&ptable_lock);
	p->ended_next = NULL;
	p->ended_prev = ended_tail;
	if (ended_tail)
		ended_tail->ended_next = p;
	else
		ended_head = p;
	ended_tail = p;
	p->on_ended_list = true;
	spin_unlock_irqrestore(&ptable_lock, f);
}

/* Needs ptable_lock. */
static void ended_remove_locked(struct process *p)
{
	spin_assert_held(&ptable_lock);
	if (!p->on_ended_list)
		return;
	if (p->ended_prev)
		p->ended_prev->ended_next = p->ended_next;
	else
		ended_head = p->ended_next;
	if (p->ended_next)
		p->ended_next->ended_prev = p->ended_prev;
	else
		ended_tail = p->ended_prev;
	p->on_ended_list = false;
}

void thread_send_kill(struct thread *t)
{
	__atomic_fetch_or(&t->flags, THREAD_KILL, __ATOMIC_ACQ_REL);
	thread_wake(t, -EINTR);
}

int thread_send_note(struct thread *t, const char *msg, uint64_t len)
{
	if (len == 0 || len >= THREAD_NOTE_MAX)
		return -EINVAL;
	/* "kill" ends only the receiving thread (spec §8.5, §9.5). */
	if (len == 4 && memcmp(msg, "kill", 4) == 0) {
		thread_send_kill(t);
		return 0;
	}
	struct process *p = t->proc;
	irqflags_t f = spin_lock_irqsave(&p->lock);
	unsigned slot = (t->note_head + t->note_count) % THREAD_NOTE_QUEUE;
	if (t->note_count == THREAD_NOTE_QUEUE) {
		/* Full: the oldest note makes room. */
		t->note_head = (t->note_head + 1) % THREAD_NOTE_QUEUE;
		t->note_count--;
	}
	memcpy(t->notes[slot], msg, len);
	t->note_len[slot] = (uint8_t)len;
	t->note_count++;
	__atomic_fetch_or(&t->flags, THREAD_NOTE, __ATOMIC_ACQ_REL);
	spin_unlock_irqrestore(&p->lock, f);
	thread_wake(t, -EINTR);
	return 0;
}

struct thread *process_first_thread(struct process *p)
{
	irqflags_t f = spin_lock_irqsave(&p->lock);
	struct thread *first = NULL;
	for (struct thread *t = p->threads; t; t = t->proc_next)
		if (!first || t->tid < first->tid)
			first = t;
	if (first)
		thread_get(first);
	spin_unlock_irqrestore(&p->lock, f);
	return first;
}

void process_terminate(struct process *p, int64_t status)
{
	if (p == &kernel_process)
		return;
	irqflags_t f = spin_lock_irqsave(&p->lock);
	if (p->terminating) {
		spin_unlock_irqrestore(&p->lock, f);
		return;
	}
	/*
	 * The status before the flag, with release: readers look at
	 * `terminating` without the lock (procfs's wait file, WAIT_EVENT
	 * conditions) and then take the status.
	 */
	p->exit_status = status;
	p->exited_ns = time_now_ns();
	__atomic_store_n(&p->terminating, true, __ATOMIC_RELEASE);
	/* Ended: it no longer counts against PROCESS_MAX, only against PROCESS_TABLE_MAX until reaped. */
	__atomic_fetch_sub(&procs_running, 1, __ATOMIC_RELAXED);
	p->suspended = false;
	for (struct thread *t = p->threads; t; t = t->proc_next)
		thread_send_kill(t);
	spin_unlock_irqrestore(&p->lock, f);
	ended_add(p);
	/* Descriptors, cwd and namespace go now, so pipe peers see the end at once. */
	if (p->fs)
		fs_process_exit(p);
	wait_queue_wake_all(&p->start_wq);
	wait_queue_wake_all(&p->exit_wq);
}

uint8_t process_priority(struct process *p)
{
	return __atomic_load_n(&p->priority, __ATOMIC_RELAXED);
}

void process_set_priority(struct process *p, uint8_t priority)
{
	irqflags_t f = spin_lock_irqsave(&p->lock);
	p->priority = priority;
	spin_unlock_irqrestore(&p->lock, f);
}

void process_resume(struct process *p)
{
	__atomic_store_n(&p->suspended, false, __ATOMIC_RELEASE);
	wait_queue_wake_all(&p->start_wq);
}

void process_stats(struct process *p, struct process_stats *out)
{
	irqflags_t f = spin_lock_irqsave(&p->lock);
	out->user_pages = p->space ? __atomic_load_n(&p->space->resident, __ATOMIC_RELAXED) : 0;
	out->threads = p->nthreads;
	/* Ended threads' time, then the live ones' (racy reads of their counters: a snapshot). */
	out->user_ns = __atomic_load_n(&p->user_ns, __ATOMIC_RELAXED);
	out->kernel_ns = __atomic_load_n(&p->kernel_ns, __ATOMIC_RELAXED);
	for (struct thread *t = p->threads; t; t = t->proc_next) {
		out->user_ns += __atomic_load_n(&t->user_ns, __ATOMIC_RELAXED);
		out->kernel_ns += __atomic_load_n(&t->kernel_ns, __ATOMIC_RELAXED);
	}
	spin_unlock_irqrestore(&p->lock, f);
	out->start_ns = p->start_ns;
}

static void drop_if_loaded(void *arg)
{
	if (vm_space_current() == arg)
		vm_space_activate(NULL);
}

/* Free the user address space once no thread is left; no CPU may keep it loaded. */
static void release_space(struct process *p)
{
	struct vm_space *s = p->space;
	/* Most of the work, preemptibly, while the space is still ours. */
	vm_space_clear(s);
	vm_space_activate(NULL);
	uint64_t mask = __atomic_load_n(&s->active_cpus, __ATOMIC_ACQUIRE);
	for (unsigned i = 0; i < arch_cpu_count(); i++)
		if (mask & (1ULL << i))
			arch_run_on_cpu(i, drop_if_loaded, s, true);
	irqflags_t f = spin_lock_irqsave(&p->lock);
	p->space = NULL;
	spin_unlock_irqrestore(&p->lock, f);
	vm_space_destroy(s);
	/* No thread is left to wait on a futex: the table goes too, not a second later with the pid. */
	futex_table_free(p);
	wait_queue_wake_all(&p->exit_wq); /* for waiters of the memory's return (tests) */
}

__attribute__((noreturn)) void thread_exit(void)
{
	struct thread *t = current_thread();
	struct process *p = t->proc;
	/*
	 * A thread that dies inside its one-instruction W^X window (killed on
	 * its way back to user mode, or the stepped instruction faulted
	 * fatally) closes the page it opened: no page stays writable and
	 * executable after the window, in a dying space either.
	 */
	mm_single_step_done();
	irqflags_t f = spin_lock_irqsave(&p->lock);
	/*
	 * Give back this thread's user stack now unless the whole space goes
	 * soon anyway (last thread, or the process is ending). Done before we
	 * leave p->nthreads: while we count there, no other thread can be the
	 * last one and destroy the space under vm_unmap.
	 */
	bool reclaim = p->nthreads > 1 && !p->terminating;
	spin_unlock_irqrestore(&p->lock, f);
	if (reclaim)
		user_stack_release(t);
	f = spin_lock_irqsave(&p->lock);
	for (struct thread **link = &p->threads; *link; link = &(*link)->proc_next) {
		if (*link == t) {
			*link = t->proc_next;
			break;
		}
	}
	/* Its CPU time stays with the process (the little from here to the last switch is lost). */
	__atomic_fetch_add(&p->user_ns, t->user_ns, __ATOMIC_RELAXED);
	__atomic_fetch_add(&p->kernel_ns, t->kernel_ns, __ATOMIC_RELAXED);
	bool last = --p->nthreads == 0;
	spin_unlock_irqrestore(&p->lock, f);
	if (last) {
		sched_current_leaving();
		process_terminate(p, 0); /* no effect when already terminating */
		release_space(p);
		/*
		 * Whoever waits for the last thread and the address space to be
		 * gone (nthreads == 0 && !space) was woken by process_terminate
		 * long before, usually while other threads still ran: wake them
		 * now that it is true, or they sleep to their deadline.
		 */
		wait_queue_wake_all(&p->exit_wq);
	}
	process_put(p); /* the thread's reference */
	sched_exit_current();
}

__attribute__((noreturn)) void process_exit(int64_t status)
{
	process_terminate(current_process(), status);
	thread_exit();
}

/*
 * Processes stay in the table (for /proc/<pid>) for at least a second after
 * they end (spec §8.5); the reaper thread removes the ones that ended longer
 * ago. Returns how many it removed.
 */
static uint64_t reap_ended(uint64_t min_age_ns)
{
	uint64_t total = 0;
	for (;;) {
		struct process *victims[16];
		int n = 0, looked = 0;
		uint64_t now = time_now_ns();
		irqflags_t f = spin_lock_irqsave(&ptable_lock);
		/*
		 * Only ended processes are looked at, oldest first, and a bounded
		 * number per lock hold: the reaper never walks the live ones.
		 */
		for (struct process *p = ended_head, *next; p && n < 16 && looked < 64; p = next, looked++) {
			next = p->ended_next;
			if (now - p->exited_ns < min_age_ns)
				break; /* the rest ended later still */
			if (p->nthreads != 0)
				continue; /* a thread is still on its way out */
			struct pnode *pn = find_locked(p->pid);
			ended_remove_locked(p);
			if (!pn)
				continue;
			rb_erase(&pn->node, &ptable);
			kfree(pn);
			victims[n++] = p;
		}
		spin_unlock_irqrestore(&ptable_lock, f);
		for (int i = 0; i < n; i++)
			process_put(victims[i]);
		total += (uint64_t)n;
		if (n == 0 || (n < 16 && looked < 64))
			return total;
		(void)sched_checkpoint();
	}
}

uint64_t process_reap_now(void)
{
	return reap_ended(0);
}

static void reaper(void *arg)
{
	for (;;) {
		reap_ended(1000000000ULL);
		sleep_until(time_now_ns() + 500000000ULL);
	}
}

void process_init(void)
{
	if (!kthread_create(reaper, NULL, 40))
		panic("process: cannot start the reaper");
}
