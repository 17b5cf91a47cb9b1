// SPDX-License-Identifier: MIT
// sys_proc: probes of system calls 0-8, 23, 24, 27 and the calling convention (spec §2, §7, §12).
//
// Usage: /bin/tests/sys_proc            run every probe, KTAP on fd 1
//        /bin/tests/sys_proc child-...  one child role (spawned by the probes
//                                       themselves; see child_roles[])
//
// Everything that could kill the process on a broken kernel (faults,
// register corruption, bad thread entries, exit paths) runs in a child
// process that is this same program started with a "child-*" argv[1]; the
// parent reads the child's exit status through /proc/<pid>/wait with a
// timeout (tu_wait). Children report through their exit status only, plus
// "# " diagnostic lines on the inherited fd 1.
//
// The probes live in one file per area, NN_<area>.c. KTAP_TEST runs tests
// in link order and user/user.mk links a program's files in name order, so
// the NN prefixes fix the order of the results: keep them when adding an area.
#include "user/tests/sys_proc/sys_proc.h"

#define SELF_DEFAULT "/bin/tests/sys_proc"

const char *self = SELF_DEFAULT;

/* ------------------------------------------------------------------ shared helpers */

fd_t zero_fd(void)
{
	static fd_t fd = FD_NONE;
	if (fd == FD_NONE)
		fd = open("/dev/zero");
	return fd;
}

uint8_t *map_hole(uint64_t pages)
{
	if (zero_fd() == ERR)
		return NULL;
	munmap((void *)HOLE, 64 * TU_PAGE);
	return mmap(zero_fd(), (void *)HOLE, pages * TU_PAGE, PROT_READ | PROT_WRITE);
}

/* ================================================================== child roles and main */

struct child_role {
	const char *name;
	child_role_fn *fn;
};

static const struct child_role child_roles[] = {
	{ "child-exit-raw", child_exit_raw },
	{ "child-exit-pid", child_exit_pid },
	{ "child-exit-from-thread", child_exit_from_thread },
	{ "child-exit-with-sleepers", child_exit_with_sleepers },
	{ "child-thread-exit-only", child_thread_exit_only },
	{ "child-thread-exit-others-run", child_thread_exit_others_run },
	{ "child-thread-exit-last", child_thread_exit_last },
	{ "child-fault-null", child_fault_null },
	{ "child-fault-ud2", child_fault_ud2 },
	{ "child-fault-div0", child_fault_div0 },
	{ "child-fault-kernel", child_fault_kernel },
	{ "child-fault-noncanonical", child_fault_noncanonical },
	{ "child-fault-in-thread", child_fault_in_thread },
	{ "child-regs", child_regs },
	{ "child-regs-ymm", child_regs_ymm },
	{ "child-thread-entry", child_thread_entry },
	{ "child-thread-create-errors", child_thread_create_errors },
	{ "child-argv", child_argv },
	{ "child-argc", child_argc },
};

int main(int argc, char **argv)
{
	if (argc > 0 && argv[0] && argv[0][0] == '/')
		self = argv[0];
	if (argc >= 2 && strncmp(argv[1], "child-", 6) == 0) {
		for (size_t i = 0; i < sizeof(child_roles) / sizeof(child_roles[0]); i++)
			if (strcmp(argv[1], child_roles[i].name) == 0)
				return child_roles[i].fn(argc, argv);
		printf("# sys_proc: unknown child role %s\n", argv[1]);
		return 98;
	}
	return tu_ktap_main(60 * TU_SEC);
}
