// SPDX-License-Identifier: MIT
// Memory system calls (spec §7 numbers 19-21). Anonymous memory is a private
// mapping of /dev/zero; the open file's mmap operation says what is mapped.
#include "fs/file.h"
#include "kernel/abi/path_flags.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/vmm.h"
#include "kernel/sched/process.h"
#include "kernel/sched/sched.h"
#include "kernel/syscall/syscall.h"

/* Private mappings up to this size are populated at once: no fault per page later. */
#define POPULATE_MAX_PAGES 1024

SYSCALL_DEFINE(SYS_MMAP, void *, fd_t, fd, void __user *, addr, uint64_t, length, uint32_t, prot)
{
	uint64_t a = (uint64_t)addr;
	if (a) {
		if (a + length < a)
			return -EOVERFLOW;
		if (a < USER_MIN || a + length > USER_MAX)
			return -EFAULT;
	}
	if (prot != PROT_READ && prot != (PROT_READ | PROT_WRITE))
		return -EINVAL;
	struct process *p = current_process();
	struct file *f = fd_get(p, fd);
	if (!f)
		return -EBADF;
	int64_t err;
	if (!(f->flags & PATH_FLAG_READ) || ((prot & PROT_WRITE) && !(f->flags & PATH_FLAG_WRITE))) {
		err = -EACCES;
		goto out;
	}
	if (f->is_dir) {
		err = -EISDIR;
		goto out;
	}
	if (!f->ops->mmap) {
		err = -ENOSYS;
		goto out;
	}
	if (length == 0) {
		err = -EINVAL;
		goto out;
	}
	struct vm_mmap_request req = { .length = length, .offset = f->pos, .prot = prot };
	err = f->ops->mmap(f, &req);
	if (err)
		goto out;
	uint64_t first = a & ~(PAGE_SIZE - 1);
	uint64_t npages = (((a ? a : 0) + length + PAGE_SIZE - 1) / PAGE_SIZE) - first / PAGE_SIZE;
	uint64_t start;
	unsigned flags = a ? VM_FIXED : 0;
	if (req.backing == VM_SHARED) {
		err = vm_map_object(p->space, a, req.object, req.offset / PAGE_SIZE, req.length / PAGE_SIZE, prot, flags,
				    &start);
		vm_object_put(req.object);
	} else if (req.backing == VM_DEVICE) {
		err = vm_map_device(p->space, a, req.phys, req.length / PAGE_SIZE, prot, flags, &start);
	} else {
		/* OUR CHOICE (overcommit heuristic): never promise more than is free now. */
		uint64_t free = pmm_free_pages_count(), reserve = pmm_user_reserve_pages();
		if (free <= reserve || npages > free - reserve) {
			err = -ENOMEM;
			goto out;
		}
		/* Larger ones are mapped on touch, a FAULT_AROUND_PAGES block a fault. */
		flags |= npages <= POPULATE_MAX_PAGES ? VM_POPULATE : VM_FAULT_AROUND;
		err = vm_map(p->space, a, length, prot, req.backing, flags, &start);
	}
	if (!err)
		err = (int64_t)start;
out:
	file_put(f);
	return err;
}

SYSCALL_DEFINE(SYS_MUNMAP, void *, void __user *, addr, uint64_t, length)
{
	/* Every failure of the range check is EFAULT here (spec §7 number 20). */
	if (user_range_check(addr, length))
		return -EFAULT;
	if (length == 0 || !addr)
		return -EINVAL;
	int err = vm_unmap(current_process()->space, (uint64_t)addr, length);
	return err ? err : (int64_t)((uint64_t)addr & ~(PAGE_SIZE - 1));
}

SYSCALL_DEFINE(SYS_MPROTECT, void *, void __user *, addr, uint64_t, length, uint32_t, prot)
{
	int err = user_range_check(addr, length);
	if (err)
		return err;
	struct vm_space *s = current_process()->space;
	uint64_t start = (uint64_t)addr & ~(PAGE_SIZE - 1);
	if (prot == PROT_NONE) {
		if (length == 0)
			return -EINVAL;
		err = vm_unmap(s, (uint64_t)addr, length);
		return err ? err : (int64_t)start;
	}
	if (prot != PROT_READ && prot != (PROT_READ | PROT_WRITE))
		return -EINVAL;
	if (length == 0)
		return -EINVAL;
	err = vm_protect(s, (uint64_t)addr, length, prot);
	return err ? err : (int64_t)start;
}
