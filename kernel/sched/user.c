// SPDX-License-Identifier: MIT
// User threads: entering user mode for the first time (a program's first
// thread, once kernel/exec has loaded its image and start-up stack, or a
// THREAD_CREATE thread), user stacks, and the work done on every return to
// user mode.
#include "arch/x86_64/arch.h"
#include "fs/fs.h"
#include "kernel/abi/errno.h"
#include "kernel/abi/types.h"
#include "kernel/exec/exec.h"
#include "kernel/lib/string.h"
#include "kernel/log/log.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/uaccess.h"
#include "kernel/mm/vmm.h"
#include "kernel/sched/process.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/thread.h"
#include "kernel/sched/user.h"

#define ESPAWNFAIL 138

uint64_t user_stack_top(uint64_t tid)
{
	return USER_STACK_TOP - tid * USER_STACK_STRIDE;
}

/* Map the stack region of thread @tid (demand-zero; the guard page below stays unmapped). */
static int map_stack(struct process *p, uint64_t tid)
{
	uint64_t top = user_stack_top(tid);
	if (tid > USER_STACK_LAST_TID)
		return -ENOMEM;
	uint64_t out;
	return vm_map(p->space, top - USER_STACK_BYTES, USER_STACK_BYTES, VM_READ | VM_WRITE, VM_ANON_ZERO,
		      VM_FIXED, &out);
}

void user_stack_release(struct thread *t)
{
	if (!(__atomic_load_n(&t->flags, __ATOMIC_RELAXED) & THREAD_USER) || !t->proc->space)
		return;
	/*
	 * The first thread's region also holds argv (spec §10.5), which
	 * programs hand to other threads and expect to outlive main's
	 * thrd_exit, as on other systems: it stays until the process ends.
	 * A tid past the stack area never had a stack.
	 */
	if (t->tid == 0 || t->tid > USER_STACK_LAST_TID)
		return;
	uint64_t top = user_stack_top(t->tid);
	/*
	 * Only the thread's own region: a mapping the program put there itself
	 * is part of that region too (spec §10.3: thread t owns it). Failure
	 * (no memory to split a region the program reshaped) just leaves the
	 * pages for the end of the process, as before.
	 */
	(void)vm_unmap(t->proc->space, top - USER_STACK_BYTES, USER_STACK_BYTES);
}

static void *user_fpu_area(void)
{
	void *fpu = kmalloc(arch_fpu_area_size() < 1024 ? 1024 : arch_fpu_area_size());
	if (fpu)
		arch_fpu_init_area(fpu);
	return fpu;
}

/* Ordinary notes have no handler yet (spec §9.5): they are dropped once they ended a wait. */
static void discard_notes(struct thread *t)
{
	irqflags_t f = spin_lock_irqsave(&t->proc->lock);
	t->note_count = 0;
	__atomic_fetch_and(&t->flags, ~THREAD_NOTE, __ATOMIC_ACQ_REL);
	spin_unlock_irqrestore(&t->proc->lock, f);
}

/*
 * SPAWN_SUSPEND (spec §7 number 2 step 8): hold the child until "start".
 * A note ends the wait with EINTR like any other; an ordinary one is
 * dropped and the wait goes on (the child must not run before its parent
 * has rearranged it), the "kill" note ends the thread. Returns false when
 * the process ended instead.
 */
static bool wait_for_start(struct thread *t, struct process *p)
{
	for (;;) {
		int r = WAIT_EVENT(&p->start_wq,
				   !__atomic_load_n(&p->suspended, __ATOMIC_ACQUIRE) ||
					   __atomic_load_n(&p->terminating, __ATOMIC_ACQUIRE),
				   UINT64_MAX);
		if (__atomic_load_n(&p->terminating, __ATOMIC_ACQUIRE) || sched_killed())
			return false;
		if (r == 0)
			return true;
		discard_notes(t);
	}
}

/* The asynchronous part of SPAWN (spec §7 number 2, steps 8-11), in the child's first thread. */
static void program_start(void *arg)
{
	struct thread *t = current_thread();
	struct process *p = t->proc;
	(void)arg;
	if (!wait_for_start(t, p))
		thread_exit(); /* the last thread out: a kill note ends the process with status 0 */

	/* argv[0] names the program; an empty argv (init) means /bin/init. */
	const char *path = p->cmdline_len ? p->cmdline : "/bin/init";
	uint64_t size;
	paddr_t *frames;
	int err = fs_map_executable(p, path, &size, &frames);
	if (err)
		process_exit(-err); /* the open's error code (2 = missing, ...) */
	uint64_t entry, rsp, argv;
	uint64_t argc = 0;
	for (uint64_t i = 0; i < p->cmdline_len; i++)
		argc += p->cmdline[i] == '\0';
	err = exec_load_image(p, size, frames, &entry);
	/* The snapshot's references: the image holds its own. */
	for (uint64_t i = 0; i < (size + PAGE_SIZE - 1) / PAGE_SIZE; i++)
		if (frames[i])
			pmm_page_put(frames[i]);
	kfree(frames);
	if (!err)
		err = map_stack(p, 0);
	/*
	 * The start-up stack's page now, directly: the copy below would
	 * otherwise take a page fault for it (an exception costs more than
	 * the page). Out of memory here, the copy fails as it would have.
	 */
	if (!err)
		(void)vm_fault(p->space, user_stack_top(0) - 1, MM_FAULT_WRITE, 0, true);
	if (!err)
		err = exec_build_stack(user_stack_top(0), p->cmdline, p->cmdline_len, argc, &rsp, &argv);
	if (err)
		process_exit(ESPAWNFAIL);
	arch_irq_disable();
	arch_enter_user(t->kstack_top, entry, rsp, argc, argv, 0);
}

struct thread *user_thread_create(struct process *p, void (*fn)(void *), void *arg)
{
	struct thread *t = thread_alloc(p, fn, arg, p->priority);
	if (!t)
		return NULL;
	t->fpu = user_fpu_area();
	if (!t->fpu) {
		thread_put(t);
		return NULL;
	}
	__atomic_fetch_or(&t->flags, THREAD_USER, __ATOMIC_RELAXED);
	irqflags_t f = spin_lock_irqsave(&p->lock);
	if (p->terminating) {
		spin_unlock_irqrestore(&p->lock, f);
		thread_put(t);
		return NULL;
	}
	t->tid = p->next_tid++;
	t->proc_next = p->threads;
	p->threads = t;
	p->nthreads++;
	process_ref(p); /* the thread's */
	spin_unlock_irqrestore(&p->lock, f);
	return t;
}

int process_start_program(struct process *p)
{
	struct thread *t = user_thread_create(p, program_start, NULL);
	if (!t)
		return -ENOMEM;
	sched_start_thread(t);
	return 0;
}

struct new_thread {
	uint64_t entry, arg;
};

static void created_thread_start(void *arg)
{
	struct thread *t = current_thread();
	struct new_thread nt = *(struct new_thread *)arg;
	kfree(arg);
	if (map_stack(t->proc, t->tid))
		process_exit(ENOMEM);
	uint64_t top = user_stack_top(t->tid);
	/*
	 * Its top page now, as for a program's first thread: the thread's
	 * first push would otherwise take a page fault for it. Out of memory
	 * here, that fault fails as it would have.
	 */
	(void)vm_fault(t->proc->space, top - 1, MM_FAULT_WRITE, 0, true);
	arch_irq_disable();
	arch_enter_user(t->kstack_top, nt.entry, top, nt.arg, 0, top);
}

int64_t user_thread_spawn(struct process *p, uint64_t entry, uint64_t arg)
{
	struct new_thread *nt = kmalloc(sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	nt->entry = entry;
	nt->arg = arg;
	struct thread *t = user_thread_create(p, created_thread_start, nt);
	if (!t) {
		kfree(nt);
		return p->terminating ? -EINVAL : -ENOMEM;
	}
	uint64_t tid = t->tid;
	sched_start_thread(t);
	return (int64_t)tid;
}

/* An unhandled CPU exception in user mode: the process ends with status 14. */
void sched_user_fault(void)
{
	arch_irq_enable();
	process_terminate(current_process(), EFAULT);
	arch_irq_disable();
}

/*
 * On every return to user mode, IRQs off: die if killed, drop notes that no
 * handler consumes (spec §9.5), and give up the CPU if asked to.
 */
void user_return_work(void *frame)
{
	for (;;) {
		struct thread *t = current_thread();
		uint32_t flags = __atomic_load_n(&t->flags, __ATOMIC_ACQUIRE);
		if (!(flags & THREAD_KILL) && !arch_frame_returns_to_user_ok(frame)) {
			arch_irq_enable();
			process_terminate(t->proc, EFAULT);
			arch_irq_disable();
			continue;
		}
		if (flags & THREAD_KILL) {
			arch_irq_enable();
			thread_exit();
		}
		if (flags & THREAD_NOTE)
			discard_notes(t);
		if (sched_need_resched()) {
			schedule();
			continue;
		}
		return;
	}
}
