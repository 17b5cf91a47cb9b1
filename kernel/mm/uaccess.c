// SPDX-License-Identifier: MIT
// User-memory access: the range rule of spec §4.2 in C, the copies in
// arch/x86_64/uaccess.S (fault fix-ups).
#include "kernel/mm/uaccess.h"

#include "arch/x86_64/arch.h"
#include "kernel/abi/errno.h"
#include "kernel/mm/vmm.h"
#include "kernel/sched/process.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/thread.h"

void uaccess_note_oom(void)
{
	struct thread *t = current_thread();
	if (t)
		t->uaccess_oom = true;
}

/* Start of a copy: forget an earlier copy's out-of-memory fault. */
static void oom_clear(void)
{
	struct thread *t = current_thread();
	if (t)
		t->uaccess_oom = false;
}

/* A copy faulted: -ENOMEM when a page could not be had (spec §4.2 rule 6), else -EFAULT. */
static int fault_error(void)
{
	struct thread *t = current_thread();
	return t && t->uaccess_oom ? -ENOMEM : -EFAULT;
}

int user_range_check(const void __user *ptr, uint64_t len)
{
	uint64_t a = (uint64_t)ptr;
	if (len == 0)
		return 0;
	if (a == 0)
		return -EINVAL;
	if (a + len < a)
		return -EOVERFLOW;
	if (a < USER_MIN || a + len > USER_MAX)
		return -EFAULT;
	return 0;
}

int copy_from_user(void *dst, const void __user *src, uint64_t len)
{
	int err = user_range_check(src, len);
	if (err || len == 0)
		return err;
	oom_clear();
	return arch_copy_user(dst, (const void *)src, len) ? fault_error() : 0;
}

int copy_to_user(void __user *dst, const void *src, uint64_t len)
{
	int err = user_range_check(dst, len);
	if (err || len == 0)
		return err;
	oom_clear();
	return arch_copy_user((void *)dst, src, len) ? fault_error() : 0;
}

int clear_user(void __user *dst, uint64_t len)
{
	int err = user_range_check(dst, len);
	if (err || len == 0)
		return err;
	oom_clear();
	return arch_clear_user((void *)dst, len) ? fault_error() : 0;
}

int64_t strncpy_from_user(char *dst, const char __user *src, uint64_t max)
{
	uint64_t a = (uint64_t)src;
	if (a == 0)
		return -EINVAL;
	if (a < USER_MIN || a >= USER_MAX)
		return -EFAULT;
	/* Never read past the end of user space, even when looking for the NUL. */
	uint64_t limit = max;
	if (USER_MAX - a < limit)
		limit = USER_MAX - a;
	oom_clear();
	int64_t n = arch_strncpy_user(dst, (const char *)src, limit);
	if (n == -1)
		return fault_error();
	if (n == -2)
		return limit < max ? -EFAULT : -ENAMETOOLONG;
	return n;
}

int get_user_u64(uint64_t *out, const void __user *src)
{
	int err = user_range_check(src, 8);
	if (err)
		return err;
	oom_clear();
	return arch_get_user_u64(out, (const void *)src) ? fault_error() : 0;
}

int put_user_u64(void __user *dst, uint64_t value)
{
	int err = user_range_check(dst, 8);
	if (err)
		return err;
	oom_clear();
	return arch_put_user_u64((void *)dst, value) ? fault_error() : 0;
}

int user_buffer_check(const void __user *ptr, uint64_t len, bool write)
{
	int err = user_range_check(ptr, len);
	if (err || len == 0)
		return err;
	struct vm_space *space = current_process()->space;
	if (!space)
		return -EFAULT; /* a kernel thread has no user memory */
	/*
	 * Rule 5 (OUR CHOICE): every page must be mapped, and writable when the
	 * kernel writes. One region lookup per region spanned, not per page.
	 */
	uint64_t a = (uint64_t)ptr & ~(PAGE_SIZE - 1), end = (uint64_t)ptr + len;
	for (uint64_t n = 1; a < end; n++) {
		/* Up to VM_MAX_REGIONS lookups: a preemption and kill point every 64. */
		if (n % 64 == 0 && sched_checkpoint())
			return -EINTR;
		struct vm_region r;
		if (!vm_query(space, a, &r))
			return -EFAULT;
		if (write && !(r.prot & VM_WRITE))
			return -EFAULT;
		if (!(r.prot & VM_READ))
			return -EFAULT;
		a = r.end;
	}
	return 0;
}
