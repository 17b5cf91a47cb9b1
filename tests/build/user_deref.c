// SPDX-License-Identifier: MIT
// Build test (tests/tools/run_tests.py, "build."): compiled, never linked,
// with the kernel's flags. A system-call handler that reads its user pointer
// directly must not compile (-DDEREF: __user is clang's noderef, an error
// under -Werror); the same handler going through the uaccess helpers must.
#include "kernel/abi/errno.h"
#include "kernel/mm/uaccess.h"
#include "kernel/syscall/syscall.h"

SYSCALL_DEFINE(SYS_UNIX_EPOCH, uint64_t, uint64_t __user *, out)
{
#ifdef DEREF
	return (int64_t)*out;
#else
	uint64_t value;
	if (get_user_u64(&value, out))
		return -EFAULT;
	return (int64_t)value;
#endif
}
