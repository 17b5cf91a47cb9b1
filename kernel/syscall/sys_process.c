// SPDX-License-Identifier: MIT
// Process, thread, time and futex system calls (spec §7 numbers 0-8, 23, 24, 27).
#include "kernel/lib/string.h"
#include "kernel/log/log.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/sched/futex.h"
#include "kernel/sched/process.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/thread.h"
#include "kernel/sched/user.h"
#include "kernel/syscall/syscall.h"
#include "kernel/time/time.h"
#include "fs/fs.h"

SYSCALL_DEFINE(SYS_PROCESS_EXIT, void, int32_t, status)
{
	process_exit((int64_t)status);
}

SYSCALL_DEFINE(SYS_THREAD_EXIT, void)
{
	thread_exit();
}

/*
 * Copy a user argv (spec §7 number 2 step 4) into "arg0\0arg1\0...".
 * Returns the byte length, or -EFAULT, -E2BIG, -ENOMEM, -EINVAL (empty argv).
 */
static int64_t copy_argv(const char *const __user *uargv, char **out)
{
	uint64_t cap = 1024, len = 0;
	char *buf = kmalloc(cap);
	if (!buf)
		return -ENOMEM;
	uint64_t i;
	for (i = 0;; i++) {
		if (i >= CONFIG_MAX_ARGC) {
			kfree(buf);
			return -E2BIG;
		}
		uint64_t ptr;
		int err = get_user_u64(&ptr, &uargv[i]);
		if (err) {
			kfree(buf);
			return err == -EOVERFLOW || err == -EINVAL ? -EFAULT : err;
		}
		if (!ptr)
			break;
		if (cap - len < MAX_PATH) {
			char *bigger = kmalloc(cap * 2);
			if (!bigger) {
				kfree(buf);
				return -ENOMEM;
			}
			memcpy(bigger, buf, len);
			kfree(buf);
			buf = bigger;
			cap *= 2;
		}
		int64_t n = strncpy_from_user(buf + len, (const char *)ptr, MAX_PATH);
		if (n < 0) {
			kfree(buf);
			return n == -ENAMETOOLONG ? -E2BIG : -EFAULT;
		}
		len += (uint64_t)n + 1;
	}
	if (i == 0) {
		kfree(buf);
		return -EINVAL;
	}
	*out = buf;
	return (int64_t)len;
}

SYSCALL_DEFINE(SYS_SPAWN, uint64_t, const char *const __user *, argv, uint32_t, flags)
{
	if (!argv)
		return -EINVAL;
	if (flags & ~(uint32_t)SPAWN_ALL_FLAGS)
		return -EINVAL;
	struct process *parent = current_process();
	struct process *child = process_create(parent->priority);
	if (!child)
		return -ENOMEM;
	/* From here on a failure consumes the pid: the child ends with the error as its status. */
	char *args;
	int64_t len = copy_argv(argv, &args);
	int err = len < 0 ? (int)len : 0;
	if (!err) {
		child->cmdline = args;
		child->cmdline_len = (uint64_t)len;
		err = fs_process_init(child, parent, flags);
	}
	if (!err) {
		child->suspended = flags & SPAWN_SUSPEND;
		err = process_start_program(child);
	}
	uint64_t pid = child->pid;
	if (err) {
		process_terminate(child, -err);
		child->exited_ns = time_now_ns();
		/* Ours goes; the table's stays until the reaper removes the ended child. */
		process_put(child);
		return err;
	}
	process_put(child);
	return (int64_t)pid;
}

SYSCALL_DEFINE(SYS_NANOSLEEP, uint64_t, uint64_t, nanoseconds)
{
	if (nanoseconds == 0) {
		sched_yield();
		return 0;
	}
	return sleep_until(time_deadline(time_now_ns(), nanoseconds));
}

SYSCALL_DEFINE(SYS_ERRNO, uint64_t)
{
	return (int64_t)(uint32_t)current_thread()->errno_slot;
}

SYSCALL_DEFINE(SYS_GETPID, uint64_t)
{
	return (int64_t)current_process()->pid;
}

SYSCALL_DEFINE(SYS_GETTID, uint64_t)
{
	return (int64_t)current_thread()->tid;
}

SYSCALL_DEFINE(SYS_UPTIME, uint64_t)
{
	return (int64_t)time_now_ns();
}

SYSCALL_DEFINE(SYS_UNIX_EPOCH, uint64_t, uint64_t __user *, out)
{
	uint64_t now = time_unix_epoch();
	if (out) {
		int err = copy_to_user(out, &now, sizeof(now));
		if (err)
			return err;
	}
	return (int64_t)now;
}

SYSCALL_DEFINE(SYS_THREAD_CREATE, uint64_t, void __user *, entry, void __user *, arg)
{
	int err = user_range_check(entry, 8);
	if (err)
		return err;
	struct process *p = current_process();
	if (p->terminating)
		return -EINVAL;
	return user_thread_spawn(p, (uint64_t)entry, (uint64_t)arg);
}

SYSCALL_DEFINE(SYS_YIELD, uint64_t)
{
	sched_yield();
	return 0;
}

SYSCALL_DEFINE(SYS_FUTEX, uint64_t, uint64_t __user *, addr, uint64_t, val, uint32_t, op, uint64_t, timeout)
{
	if (op != FUTEX_WAIT && op != FUTEX_WAKE)
		return -EINVAL;
	if ((uint64_t)addr & 7)
		return -EINVAL;
	if (op == FUTEX_WAKE)
		return (int64_t)futex_wake(current_process(), (uint64_t)addr, val);
	if (!addr)
		return -EINVAL;
	int err = user_range_check(addr, 8);
	if (err)
		return err;
	return futex_wait(current_process(), (uint64_t)addr, val, time_deadline(time_now_ns(), timeout));
}
