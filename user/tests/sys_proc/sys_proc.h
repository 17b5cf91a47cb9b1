// SPDX-License-Identifier: MIT
// sys_proc: what the area files share: the program's path, child roles, constants and helpers.
#ifndef QUILT_TESTS_SYS_PROC_H
#define QUILT_TESTS_SYS_PROC_H

#include <errno.h>
#include <fcntl.h>
#include <ktap.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "user/tests/common/tu.h"

/*
 * "At once": QEMU's virtual CPUs share a loaded host and guest time runs on
 * while one is descheduled, so any tight bound fails now and then when
 * another `make test` runs beside this one. Half the 10 s timeouts that a
 * call which wrongly slept would take still tells the two apart.
 */
#define AT_ONCE (5 * TU_SEC)

/* Upper bound of a short sleep: catches a unit error (ms for ns: 1000 times longer), not load. */
#define SLEEP_SLACK (10 * TU_SEC)

/*
 * A page that nothing maps: far above the heap (placed just after the
 * program image) and far below the stacks. Probes munmap it first.
 */
#define HOLE 0x0000300000000000ull

/* This program's path, for child roles: argv[0] when it is absolute (main.c). */
extern const char *self;

/* zero_fd - a descriptor of /dev/zero, opened on first use and kept; ERR if it cannot be opened. */
fd_t zero_fd(void);

/* map_hole - map @pages fresh zero pages at HOLE (fixed, replacing anything), RW. NULL on failure. */
uint8_t *map_hole(uint64_t pages);

/* Run a child role with the given arguments; TU_NO_STATUS if it produced none. */
#define RUN_ROLE(...) tu_run_role(self, __VA_ARGS__, NULL)

/* Expect a child role to end with @want. */
#define EXPECT_ROLE_STATUS(want, ...)                                                        \
	do {                                                                                 \
		int st_ = RUN_ROLE(__VA_ARGS__);                                             \
		if (st_ != TU_NO_STATUS && st_ != (want))                                    \
			ktap_fail(__FILE__, __LINE__, "child %s ended with status %d, want %d", \
				  #__VA_ARGS__, st_, (want));                                \
		else if (st_ == TU_NO_STATUS)                                                \
			ktap_fail(__FILE__, __LINE__, "child %s gave no status", #__VA_ARGS__); \
	} while (0)

/*
 * Child roles: "sys_proc child-<role> [args]" runs one of these instead of
 * the tests (main.c's child_roles[] maps the names). Each returns or exits
 * with the status its test expects; see the comment at each.
 */
typedef int child_role_fn(int argc, char **argv);

/* 01_exit.c */
child_role_fn child_exit_raw, child_exit_from_thread, child_exit_with_sleepers,
	child_thread_exit_only, child_thread_exit_others_run, child_thread_exit_last;
/* 02_faults.c */
child_role_fn child_fault_null, child_fault_ud2, child_fault_div0, child_fault_kernel,
	child_fault_noncanonical, child_fault_in_thread;
/* 03_spawn.c */
child_role_fn child_argv, child_argc;
/* 05_ids.c */
child_role_fn child_exit_pid;
/* 06_threads.c */
child_role_fn child_thread_entry, child_thread_create_errors;
/* 09_convention.c */
child_role_fn child_regs, child_regs_ymm;

#endif
