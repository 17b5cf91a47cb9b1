// SPDX-License-Identifier: MIT
// sys_proc: 4 ERRNO: the last failure's code, per thread, 0 in a fresh thread (spec §2.3).
#include "user/tests/sys_proc/sys_proc.h"

/* ================================================================== 4 ERRNO */

KTAP_TEST(errno_reports_last_failure)
{
	TEXPECT_EQ(syscall4(SYS_FUTEX, 0, 0, 2, 0), ERR);
	TEXPECT_EQ(syscall0(SYS_ERRNO), EINVAL);
	TEXPECT_EQ(syscall0(34), ERR);
	TEXPECT_EQ(syscall0(SYS_ERRNO), ENOSYS);
}

KTAP_TEST(errno_get_does_not_change_slot)
{
	TEXPECT_EQ(syscall1(SYS_UNIX_EPOCH, 1), ERR);
	uint64_t a = syscall0(SYS_ERRNO), b = syscall0(SYS_ERRNO);
	TEXPECT_EQ(a, EFAULT);
	TEXPECT_EQ(b, EFAULT);
	/* Zero-extended int: nothing in bits 32-63 (§2.2). */
	TEXPECT(a < 0x100000000ull);
}

struct errno_probe {
	_Atomic(uint64_t) stage;
	uint64_t fresh, after_fail, after_main_fail;
};

/*
 * Wait until *@word >= @want using only calls that cannot fail (YIELD,
 * UPTIME), so the waiting thread's error slot keeps what it held: a futex
 * wait would leave EAGAIN or ETIMEDOUT there when the word changed first.
 */
static bool wait_keeping_errno(_Atomic(uint64_t) *word, uint64_t want, clock_t timeout)
{
	clock_t deadline = uptime() + timeout;
	while (atomic_load(word) < want) {
		if (uptime() >= deadline)
			return false;
		yield();
	}
	return true;
}

static void errno_thread(void *arg)
{
	struct errno_probe *p = arg;
	p->fresh = syscall0(SYS_ERRNO);
	syscall1(SYS_UNIX_EPOCH, 1); /* EFAULT in this thread's slot */
	p->after_fail = syscall0(SYS_ERRNO);
	atomic_store(&p->stage, 1);
	/* Between here and the read below this thread makes no call that can fail. */
	if (wait_keeping_errno(&p->stage, 2, TU_CHILD_TIMEOUT))
		p->after_main_fail = syscall0(SYS_ERRNO);
	atomic_store(&p->stage, 3);
}

KTAP_TEST(errno_is_per_thread_and_fresh_thread_reads_0)
{
	static struct errno_probe p;
	static struct tu_thread t;
	atomic_store(&p.stage, 0);
	p.fresh = p.after_fail = p.after_main_fail = 0xdead;
	TASSERT(tu_thread_start(&t, errno_thread, &p));
	/* Both sides wait without futexes: nothing but the calls under test may fail. */
	syscall4(SYS_FUTEX, 0, 0, 2, 0); /* EINVAL in the main thread's slot */
	TASSERT(wait_keeping_errno(&p.stage, 1, TU_CHILD_TIMEOUT));
	TEXPECT_EQ(p.fresh, 0);
	TEXPECT_EQ(p.after_fail, EFAULT);
	TEXPECT_EQ(syscall0(SYS_ERRNO), EINVAL); /* the thread's failure left ours alone */
	syscall0(35);				 /* ENOSYS here... */
	atomic_store(&p.stage, 2);
	TASSERT(wait_keeping_errno(&p.stage, 3, TU_CHILD_TIMEOUT));
	TEXPECT_EQ(p.after_main_fail, EFAULT); /* ...not there */
	TEXPECT_EQ(syscall0(SYS_ERRNO), ENOSYS);
	TEXPECT(tu_thread_join(&t, TU_CHILD_TIMEOUT));
}
