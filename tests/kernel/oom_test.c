// SPDX-License-Identifier: MIT
// Out of memory is an errno (issue 13): with fault injection, every
// allocation a call makes is failed in turn, and the call must either
// succeed or fail with -ENOMEM leaving nothing behind. The leak check that
// brackets each KTEST (pages, heap bytes, inodes, open files) catches what
// a failure path forgets; the checks below catch half-done state.
#include "fs/internal.h"
#include "fs/path.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/vmm.h"
#include "kernel/sched/process.h"
#include "kernel/test/ktest.h"

#define RW (VM_READ | VM_WRITE)
/* More than any call below makes: the loop ends when the armed allocation is not reached. */
#define MAX_NTH 200

KTEST(oom, vm_calls_fail_cleanly_at_every_allocation)
{
	uint64_t nth;
	for (nth = 0; nth < MAX_NTH; nth++) {
		struct vm_space *s = vm_space_create();
		KASSERT(s);
		uint64_t a, b;
		KASSERT(vm_map(s, 0, 16 * PAGE_SIZE, RW, VM_ANON_ZERO, VM_POPULATE, &a) == 0);
		uint64_t regions = s->nregions, resident = s->resident;

		alloc_fail_arm(nth);
		/* Not next to the first region: protect's merging must not blur the region counts. */
		int e_map = vm_map(s, a + 64 * PAGE_SIZE, 8 * PAGE_SIZE, RW, VM_ANON_ZERO, VM_FIXED | VM_POPULATE, &b);
		uint64_t after_map = s->nregions, resident_map = s->resident;
		int e_prot = vm_protect(s, a + 4 * PAGE_SIZE, 4 * PAGE_SIZE, VM_READ);
		uint64_t after_prot = s->nregions;
		int e_unmap = vm_unmap(s, a + 12 * PAGE_SIZE, PAGE_SIZE);
		bool reached = alloc_fail_disarm();

		KEXPECT(e_map == 0 || e_map == -ENOMEM);
		KEXPECT(e_prot == 0 || e_prot == -ENOMEM);
		KEXPECT(e_unmap == 0 || e_unmap == -ENOMEM);
		/* A failed call changed nothing; a successful one did all of its work. */
		KEXPECT_EQ(after_map, regions + (e_map == 0));
		KEXPECT_EQ(resident_map, resident + (e_map == 0 ? 8 : 0));
		KEXPECT_EQ(after_prot, after_map + (e_prot == 0 ? 2 : 0));
		struct vm_region r;
		KEXPECT(vm_query(s, a + 12 * PAGE_SIZE, &r) == (e_unmap != 0));
		vm_space_destroy(s);
		if (!reached)
			break;
	}
	KEXPECT(nth > 3 && nth < MAX_NTH); /* the calls did allocate, and every allocation was tried */
}

/*
 * Changing the rights of whole regions splits nothing, so it needs no
 * memory: it succeeds with its first allocation failed (a split still
 * fails cleanly, above).
 */
KTEST(oom, protect_of_whole_regions_allocates_nothing)
{
	struct vm_space *s = vm_space_create();
	KASSERT(s);
	uint64_t a;
	KASSERT(vm_map(s, 0, 16 * PAGE_SIZE, RW, VM_ANON_ZERO, VM_POPULATE, &a) == 0);
	alloc_fail_arm(0);
	KEXPECT_EQ(vm_protect(s, a, 16 * PAGE_SIZE, VM_READ), 0);
	KEXPECT(!alloc_fail_disarm()); /* no allocation was reached */
	struct vm_region r;
	KASSERT(vm_query(s, a, &r));
	KEXPECT_EQ(r.prot, VM_READ);
	KEXPECT_EQ(r.end - r.start, 16 * PAGE_SIZE);
	/* A change in the middle splits the region in three, and does allocate. */
	alloc_fail_arm(0);
	KEXPECT_EQ(vm_protect(s, a + 4 * PAGE_SIZE, 4 * PAGE_SIZE, RW), -ENOMEM);
	KEXPECT(alloc_fail_disarm());
	KEXPECT_EQ(s->nregions, 1);
	vm_space_destroy(s);
}

static int kopen(const char *path, struct file **out)
{
	return fs_open_path(&kernel_process, NULL, path, out);
}

static int kremove(const char *path)
{
	struct path_parsed p;
	struct vfs_lookup lk;
	int err = path_parse(path, &p);
	if (err)
		return err;
	err = vfs_lookup_init(&lk, &kernel_process, NULL);
	if (err)
		return err;
	err = vfs_remove(&lk, p.pathname, p.flags);
	vfs_lookup_done(&lk);
	return err;
}

KTEST(oom, opens_fail_cleanly_at_every_allocation)
{
	uint64_t nth;
	for (nth = 0; nth < MAX_NTH; nth++) {
		struct file *f1 = NULL, *f2 = NULL, *f3 = NULL;
		alloc_fail_arm(nth);
		int e_create = kopen("/tmp/ktest-oom:cw", &f1);
		int e_pipe = kopen("/dev/pipe/new", &f2);
		int e_shmem = kopen("/dev/shmem/new", &f3);
		bool reached = alloc_fail_disarm();
		KEXPECT(e_create == 0 || e_create == -ENOMEM);
		KEXPECT(e_pipe == 0 || e_pipe == -ENOMEM);
		KEXPECT(e_shmem == 0 || e_shmem == -ENOMEM);
		KEXPECT_EQ(e_create == 0, f1 != NULL);
		if (f1)
			file_put(f1);
		if (f2)
			file_put(f2);
		if (f3)
			file_put(f3);
		/*
		 * A create that worked left a name. One that failed may have too:
		 * the spec orders "create" before "open" errors, and a file whose
		 * open failed stays created, as with EMFILE (§7 number 9).
		 */
		int e_remove = kremove("/tmp/ktest-oom");
		KEXPECT(e_remove == 0 || (e_create != 0 && e_remove == -ENOENT));
		if (!reached)
			break;
	}
	KEXPECT(nth > 3 && nth < MAX_NTH);
}
