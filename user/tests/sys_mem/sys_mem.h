// SPDX-License-Identifier: MIT
// sys_mem: what the area files share: the program's path, child roles, page probes and helpers.
#ifndef QUILT_TESTS_SYS_MEM_H
#define QUILT_TESTS_SYS_MEM_H

#include <errno.h>
#include <fcntl.h>
#include <ktap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "user/tests/common/tu.h"

#define P TU_PAGE
#define RW (PROT_READ | PROT_WRITE)
#define NO_FAULT_STATUS 99

/* A fixed-address playground: nothing else maps there (the heap grows up from the image). */
#define HOLE 0x0000300000000000ull

/* This program's path, for child roles: argv[0] when it is absolute (main.c). */
extern const char *self;

/* The random sequence's seed: "seed=N" on the command line, else from the run's seed (main.c). */
extern uint64_t random_seed;

/* zero, one - descriptors of /dev/zero and /dev/one, opened on first use and kept; ERR if unavailable. */
fd_t zero(void);
fd_t one(void);

#define NEED_ZERO() TASSERT(zero() != ERR)
#define NEED_ONE() TASSERT(one() != ERR)

/*
 * kernel_can_read - does the kernel see the page holding @p as mapped and
 * readable? FUTEX_WAIT with timeout 0 reads the page's first 8 bytes and
 * changes nothing: EFAULT if unmapped, else EAGAIN or ETIMEDOUT.
 */
bool kernel_can_read(const void *p);

/* kernel_can_write - does the kernel see the 8 bytes at @p as mapped and writable? (UNIX_EPOCH writes there.) */
bool kernel_can_write(void *p);

/*
 * readable, writable - whether every page of [@p, @p + @n) is readable /
 * writable for the kernel (a diagnostic names the first page that is not).
 * Checked before this process reads or writes memory that a broken kernel
 * might have unmapped or protected, so that such a kernel fails the test
 * instead of killing the whole KTAP stream. writable() changes the first 8
 * bytes of each page.
 */
bool readable(const void *p, uint64_t n);
bool writable(void *p, uint64_t n);

/* all_bytes - whether all @n bytes at @p equal @v; reports the first difference as a diagnostic. */
bool all_bytes(const void *p, uint64_t n, uint8_t v);

/*
 * page_mapped - is the page at @p mapped? mprotect to @prot (the page's
 * expected protection) says so; on a wrong protection it would repair it, so
 * tests check writability (kernel_can_write) before they call this.
 */
bool page_mapped(void *p, uint32_t prot);

/* map_hole - unmap HOLE..HOLE+64 pages and map @pages fresh zero pages at HOLE, RW. */
uint8_t *map_hole(uint64_t pages);

/* Run a child role; TU_NO_STATUS if it produced no status (already reported). */
#define EXPECT_ROLE_STATUS(want, ...)                                                        \
	do {                                                                                 \
		int st_ = tu_run_role(self, __VA_ARGS__, NULL);                              \
		if (st_ != TU_NO_STATUS && st_ != (want))                                    \
			ktap_fail(__FILE__, __LINE__, "child %s ended with status %d, want %d", \
				  #__VA_ARGS__, st_, (want));                                \
	} while (0)

/*
 * Child roles: "sys_mem child-<role> [args]" runs one of these instead of
 * the tests (main.c's child_roles[] maps the names). A child that faults
 * ends with status 14; one whose access unexpectedly worked exits
 * NO_FAULT_STATUS.
 */
typedef int child_role_fn(int argc, char **argv);

/* 01_mmap.c */
child_role_fn child_ro_write;
/* 02_munmap.c */
child_role_fn child_unmap_touch, child_unmap_middle_touch, child_unmap_middle_neighbours;
/* 03_mprotect.c */
child_role_fn child_mprotect_ro_write, child_mprotect_rw_write, child_mprotect_none_touch,
	child_mprotect_bad_prot_write;
/* 04_random.c */
child_role_fn child_replay;

#endif
