// SPDX-License-Identifier: MIT
// The leak-counter table (see leak.h).
#include "kernel/leak.h"

#include "arch/x86_64/arch.h"
#include "fs/fs.h"
#include "fs/share.h"
#include "kernel/exec/exec.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/kstack.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/vmm.h"
#include "kernel/sched/process.h"
#include "kernel/sched/sched.h"

/*
 * Pages the kernel holds for callers: not its own page tables, nor the
 * heap's retained pages, cached stacks or prepared program pages.
 */
static uint64_t pages_in_use(void)
{
	return pmm_total_pages_count() - pmm_free_pages_count() - arch_kernel_table_pages() -
	       kmalloc_retained_pages() - kstack_cached_pages() - exec_prepared_pages();
}

static const struct leak_counter counters[] = {
	{ "open files", fs_open_files_live },
	{ "inodes", fs_inodes_live },
	{ "pages in use", pages_in_use },
	{ "heap bytes", kmalloc_bytes_in_use },
	{ "processes", processes_live },
	{ "threads", threads_live },
	{ "kernel stacks", kstacks_live },
	{ "address spaces", vm_spaces_live },
	{ "regions", vm_regions_live },
	{ "memory objects", vm_objects_live },
	{ "namespaces", fs_namespaces_live },
	{ "namespace lineages", fs_lineages_live },
	{ "mounts", fs_mounts_live },
	{ "share keys", share_keys_live },
	{ "local sockets", net_local_objects_live },
	/* Not leaks but hardening checks: kernel entries that found user-set RFLAGS.AC ... */
	{ "open user-access windows", arch_user_access_leaks },
	/* ... and user pages writable and executable at once, found at address-space teardown. */
	{ "writable+executable user pages", vm_wx_pages_seen },
};
_Static_assert(sizeof(counters) / sizeof(counters[0]) <= LEAK_COUNTERS_MAX, "raise LEAK_COUNTERS_MAX");

const struct leak_counter *leak_counters(unsigned *n)
{
	*n = sizeof(counters) / sizeof(counters[0]);
	return counters;
}
