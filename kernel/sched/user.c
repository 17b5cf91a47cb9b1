// SPDX-License-Identifier: MIT
// User threads: entering user mode for the first time (a program's first
// thread after loading it, or a THREAD_CREATE thread), the ELF loader and the
// start-up stack of spec §10, and the work done on every return to user mode.
#include "arch/x86_64/arch.h"
#include "fs/fs.h"
#include "kernel/abi/errno.h"
#include "kernel/abi/types.h"
#include "kernel/lib/elf.h"
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
/* Program images up to this size are populated when loaded (like private mmaps, sys_memory.c). */
#define LOAD_POPULATE_MAX (4ULL << 20)

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

/*
 * Give the pages of one PT_LOAD segment its rights on top of what other
 * segments already gave them: a page's rights are the union over the
 * segments that touch it. A union that is writable and executable (an RWX
 * segment, or W and X segments sharing a page) is kept as such: its pages
 * switch between a write and an execute view (W^X, see kernel/mm/vmm.h).
 * Returns 0 or an error of vm_protect.
 */
static int protect_segment(struct process *p, const struct elf64_phdr *ph)
{
	unsigned want = VM_READ | ((ph->flags & ELF_PF_W) ? VM_WRITE : 0) | ((ph->flags & ELF_PF_X) ? VM_EXEC : 0);
	uint64_t addr = ph->vaddr & ~(PAGE_SIZE - 1);
	uint64_t end = (ph->vaddr + ph->memsz + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	while (addr < end) {
		struct vm_region r;
		if (!vm_query(p->space, addr, &r) || r.start > addr)
			return -ENOEXEC; /* cannot happen: the span was mapped whole */
		uint64_t piece_end = r.end < end ? r.end : end;
		unsigned prot = r.prot | want;
		if (prot != r.prot) {
			int err = vm_protect(p->space, addr, piece_end - addr, prot);
			if (err)
				return err;
		}
		addr = piece_end;
	}
	return 0;
}

static int load_image(struct process *p, const void *data, uint64_t size, uint64_t *entry)
{
	struct elf_image img;
	const char *why;
	if (elf_parse(data, size, USER_MIN, USER_MAX, &img, &why) != 0)
		return -ENOEXEC;
	uint64_t start, span = img.vaddr_max - img.vaddr_min;
	/*
	 * Populated at once when small (the copy below would otherwise fault on
	 * every page); a bigger span fills on demand, so mapping it holds the
	 * address-space lock for no time, and only the pages used cost memory.
	 */
	unsigned flags = VM_FIXED | (span <= LOAD_POPULATE_MAX ? VM_POPULATE : 0);
	uint64_t free = pmm_free_pages_count(), reserve = pmm_user_reserve_pages();
	if (free <= reserve || span / PAGE_SIZE > free - reserve)
		return -ENOMEM; /* the overcommit rule of private mappings (spec §7 number 19) */
	int err = vm_map(p->space, img.vaddr_min, span, VM_READ | VM_WRITE, VM_ANON_ZERO, flags, &start);
	if (err)
		return err;
	for (uint16_t i = 0; i < img.ehdr->phnum; i++) {
		const struct elf64_phdr *ph = &img.phdrs[i];
		if (ph->type != ELF_PT_LOAD || ph->filesz == 0)
			continue;
		err = copy_to_user((void *)ph->vaddr, (const uint8_t *)data + ph->offset, ph->filesz);
		if (err)
			return err;
	}
	/* Everything read-only, then each segment adds its own rights. */
	err = vm_protect(p->space, start, img.vaddr_max - start, VM_READ);
	for (uint16_t i = 0; !err && i < img.ehdr->phnum; i++) {
		const struct elf64_phdr *ph = &img.phdrs[i];
		if (ph->type == ELF_PT_LOAD && ph->memsz > 0)
			err = protect_segment(p, ph);
	}
	if (err)
		return err;
	*entry = img.entry;
	return 0;
}

/*
 * The start-up stack of spec §10.5: strings packed at the top (argv[0]
 * lowest), the pointer array below them aligned to 8 and NULL-terminated,
 * RSP 16-aligned below it.
 */
static int build_stack(const char *args, uint64_t args_len, uint64_t argc, uint64_t *rsp_out, uint64_t *argv_out)
{
	uint64_t top = user_stack_top(0);
	uint64_t strings = top - args_len;
	int err = copy_to_user((void *)strings, args, args_len);
	if (err)
		return err;
	uint64_t p = strings & ~7ULL;
	uint64_t array = p - 8 - 8 * argc;
	uint64_t s = strings;
	for (uint64_t i = 0; i < argc; i++) {
		if ((err = put_user_u64((void *)(array + 8 * i), s)))
			return err;
		s += strnlen(args + (s - strings), args_len - (s - strings)) + 1;
	}
	if ((err = put_user_u64((void *)(p - 8), 0)))
		return err;
	*argv_out = array;
	*rsp_out = (array - 8) & ~15ULL;
	return 0;
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
	void *data;
	uint64_t size;
	int err = fs_read_executable(p, path, &data, &size);
	if (err)
		process_exit(-err); /* the open's error code (2 = missing, ...) */
	uint64_t entry, rsp, argv;
	uint64_t argc = 0;
	for (uint64_t i = 0; i < p->cmdline_len; i++)
		argc += p->cmdline[i] == '\0';
	err = load_image(p, data, size, &entry);
	kfree(data);
	if (!err)
		err = map_stack(p, 0);
	if (!err)
		err = build_stack(p->cmdline, p->cmdline_len, argc, &rsp, &argv);
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
