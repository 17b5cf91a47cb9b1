// SPDX-License-Identifier: MIT
// Processes started from the kernel: exit statuses for a normal exit, a
// negative one, a user fault, a missing program and a file that is not ELF.
#include "arch/x86_64/arch.h"
#include "fs/fs.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/vmm.h"
#include "kernel/sched/process.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/user.h"
#include "kernel/test/ktest.h"
#include "kernel/time/time.h"

/* Run "argv0\0arg1\0..." (@len bytes) as a new process; its exit status, or INT64_MIN on trouble. */
static int64_t run(const char *args, uint64_t len)
{
	struct process *p = process_create(31);
	if (!p)
		return INT64_MIN;
	p->cmdline = kmalloc(len);
	if (!p->cmdline)
		return INT64_MIN;
	memcpy(p->cmdline, args, len);
	p->cmdline_len = len;
	if (fs_process_init(p, NULL, 0) || process_start_program(p))
		return INT64_MIN;
	int r = WAIT_EVENT(&p->exit_wq, __atomic_load_n(&p->terminating, __ATOMIC_ACQUIRE),
			   time_now_ns() + 120000000000ULL);
	int64_t status = r ? INT64_MIN : p->exit_status;
	/*
	 * Wait for its last thread too, so the leak check sees everything
	 * released. Reaching the deadline is a lost wake-up (the last thread's
	 * exit must wake exit_wq; WAIT_EVENT then returns 0 if the condition
	 * has become true meanwhile), not a slow machine: it fails the run.
	 */
	uint64_t deadline = time_now_ns() + 120000000000ULL;
	r = WAIT_EVENT(&p->exit_wq, __atomic_load_n(&p->nthreads, __ATOMIC_ACQUIRE) == 0 && !p->space, deadline);
	if (r || time_now_ns() >= deadline)
		status = INT64_MIN;
	process_put(p);
	process_reap_now();
	return status;
}

#define RUN(lit) run(lit, sizeof(lit))

KTEST(proc, exit_status_travels)
{
	KEXPECT_EQ(RUN("/bin/tests/exit_with\0" "42"), 42);
	KEXPECT_EQ(RUN("/bin/tests/exit_with\0" "0"), 0);
	KEXPECT_EQ(RUN("/bin/tests/exit_with\0" "-1"), (uint64_t)-1);
}

KTEST(proc, user_fault_ends_with_14)
{
	KEXPECT_EQ(RUN("/bin/tests/fault_null"), 14);
	/* The kernel goes on: another program still runs. */
	KEXPECT_EQ(RUN("/bin/tests/exit_with\0" "7"), 7);
}

KTEST(proc, missing_program_ends_with_enoent)
{
	KEXPECT_EQ(RUN("/bin/no/such/program"), 2);
}

KTEST(proc, non_elf_ends_with_espawnfail)
{
	KEXPECT_EQ(RUN("/tests/garbage.bin"), 138);
}

/*
 * A program that sets RFLAGS.AC and then makes system calls, takes page
 * faults and is preempted while spinning (user/tests/hardening): no kernel
 * entry may find AC set (the entry check counts every one that does).
 */
KTEST(proc, user_ac_never_reaches_kernel)
{
	uint64_t leaks = arch_user_access_leaks();
	KEXPECT_EQ(RUN("/bin/tests/hardening\0" "child-ac"), 0);
	KEXPECT_EQ(arch_user_access_leaks(), leaks);
}

/*
 * W^X for user pages, checked on the page tables: every address space is
 * walked when it is destroyed (vm_space_destroy) and any user page both
 * writable and executable is counted. The hardening program's "child-maps"
 * role holds one of every kind of mapping; "child-exec-mapped" must die
 * trying to run code it wrote.
 */
KTEST(proc, no_user_page_writable_and_executable)
{
	uint64_t wx = vm_wx_pages_seen();
	KEXPECT_EQ(RUN("/bin/tests/hardening\0" "child-maps"), 0);
	KEXPECT_EQ(RUN("/bin/tests/hardening\0" "child-exec-mapped"), 14);
	KEXPECT_EQ(RUN("/bin/tests/sys_mem\0" "child-no-such-role"), 98); /* another image, its stack */
	KEXPECT_EQ(vm_wx_pages_seen(), wx);
}

/*
 * Ended processes stay in the table for a second (spec §8.5) whatever the
 * spawn rate. A loop that spawns and waits for short children faster than
 * PROCESS_MAX a second (two workers of `bench scale` on two CPUs) must not
 * find SPAWN failing with ENOMEM because of children that have ended: the
 * limit is on live processes. Here PROCESS_MAX of them end, unreaped, the
 * way a child does (terminated, its address space released), and one more
 * must still be creatable.
 */
KTEST(proc, ended_unreaped_processes_leave_room_for_spawn)
{
	uint64_t made = 0;
	for (; made < PROCESS_MAX; made++) {
		struct process *p = process_create(31);
		if (!p)
			break;
		process_terminate(p, 0);
		vm_space_destroy(p->space);
		p->space = NULL;
		process_put(p);
	}
	KEXPECT_EQ(made, PROCESS_MAX);
	struct process *p = process_create(31);
	KEXPECT(p != NULL);
	if (p) {
		process_terminate(p, 0);
		process_put(p);
	}
	process_reap_now();
}
