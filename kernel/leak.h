// SPDX-License-Identifier: MIT
// The kernel's leak counters, in one table: live objects (pages, heap bytes,
// processes, open files, ...) that must read the same after a piece of work
// as before it, plus two hardening counters that must stay where they were.
// Read by the in-kernel test runner around every test, and by "leakcheck"
// boots around the whole user-space run.
#ifndef QUILT_LEAK_H
#define QUILT_LEAK_H

#include <stdint.h>

struct leak_counter {
	const char *name;
	uint64_t (*read)(void);
};

/* Every counter, in report order; their number in *@n. Context: any. */
const struct leak_counter *leak_counters(unsigned *n);

#define LEAK_COUNTERS_MAX 20

#endif
