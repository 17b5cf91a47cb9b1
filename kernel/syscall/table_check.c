// SPDX-License-Identifier: MIT
// The density check of the system-call table, pure so the host tests can feed
// it broken tables.
#include "kernel/syscall/syscall.h"

int syscall_table_check(const struct syscall_desc *sorted, uint64_t n, uint64_t total, const char **why,
			uint64_t *bad)
{
	for (uint64_t i = 0; i < n; i++) {
		if (i > 0 && sorted[i].number == sorted[i - 1].number) {
			*why = "duplicate";
			*bad = sorted[i].number;
			return -1;
		}
		if (sorted[i].number != i) {
			*why = sorted[i].number >= total ? "out of range" : "missing";
			*bad = sorted[i].number >= total ? sorted[i].number : i;
			return -1;
		}
	}
	if (n != total) {
		*why = n < total ? "missing" : "out of range";
		*bad = n;
		return -1;
	}
	return 0;
}
