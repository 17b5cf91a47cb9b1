// SPDX-License-Identifier: MIT
// sys_proc: 27 FUTEX: wait outcomes, wake counts and order, bad words and ops.
#include "user/tests/sys_proc/sys_proc.h"

/* ================================================================== 27 FUTEX */

static _Atomic(uint64_t) fword;

KTAP_TEST(futex_wait_mismatch_eagain)
{
	atomic_store(&fword, 5);
	clock_t t0 = uptime();
	TEXPECT_ERR(futex(&fword, 6, FUTEX_WAIT, 10 * TU_SEC), EAGAIN);
	TEXPECT(uptime() - t0 < AT_ONCE); /* immediately, not after the timeout */
}

KTAP_TEST(futex_wait_compares_all_64_bits)
{
	atomic_store(&fword, 0x100000005ull);
	TEXPECT_ERR(futex(&fword, 5, FUTEX_WAIT, 10 * TU_SEC), EAGAIN);
	TEXPECT_ERR(futex(&fword, 0x100000005ull, FUTEX_WAIT, 0), ETIMEDOUT);
}

KTAP_TEST(futex_wait_timeout_20ms_etimedout)
{
	atomic_store(&fword, 0);
	clock_t t0 = uptime();
	TEXPECT_ERR(futex(&fword, 0, FUTEX_WAIT, 20 * TU_MS), ETIMEDOUT);
	clock_t dt = uptime() - t0;
	TEXPECT(dt >= 20 * TU_MS);
	TEXPECT(dt < 20 * TU_MS + SLEEP_SLACK);
}

KTAP_TEST(futex_wait_timeout_0_etimedout)
{
	atomic_store(&fword, 0);
	clock_t t0 = uptime();
	TEXPECT_ERR(futex(&fword, 0, FUTEX_WAIT, 0), ETIMEDOUT);
	TEXPECT(uptime() - t0 < AT_ONCE);
}

KTAP_TEST(futex_wake_no_waiters_returns_0)
{
	TEXPECT_EQ(futex(&fword, 1, FUTEX_WAKE, 0), 0);
	TEXPECT_EQ(futex(&fword, FUTEX_ALL, FUTEX_WAKE, 0), 0);
}

struct fwaiter {
	_Atomic(uint64_t) state; /* 0 created, 1 about to wait, 2 returned */
	uint64_t result, err;
};

static _Atomic(uint64_t) fwait_word;

static void futex_waiter(void *arg)
{
	struct fwaiter *w = arg;
	tu_store_wake(&w->state, 1);
	w->result = syscall4(SYS_FUTEX, (uint64_t)&fwait_word, 7, FUTEX_WAIT, 60 * TU_SEC); /* woken long before */
	w->err = syscall0(SYS_ERRNO);
	tu_store_wake(&w->state, 2);
}

/* FUTEX_WAKE @count, retried while it finds nobody (a waiter may not have blocked yet). */
static uint64_t wake_someone(uint64_t count)
{
	clock_t deadline = uptime() + TU_CHILD_TIMEOUT;
	uint64_t r;
	while ((r = futex(&fwait_word, count, FUTEX_WAKE, 0)) == 0 && uptime() < deadline)
		nanosleep(1 * TU_MS);
	return r;
}

KTAP_TEST(futex_two_waiters_wake_1_then_all)
{
	static struct fwaiter w[2];
	static struct tu_thread t[2];
	atomic_store(&fwait_word, 7);
	for (int i = 0; i < 2; i++) {
		atomic_store(&w[i].state, 0);
		w[i].result = w[i].err = 0xdead;
		TASSERT(tu_thread_start(&t[i], futex_waiter, &w[i]));
	}
	TASSERT(tu_wait_ge(&w[0].state, 1, TU_CHILD_TIMEOUT) && tu_wait_ge(&w[1].state, 1, TU_CHILD_TIMEOUT));
	nanosleep(50 * TU_MS); /* both into the kernel's wait */
	/* val 0 wakes nobody, even with waiters present. */
	TEXPECT_EQ(futex(&fwait_word, 0, FUTEX_WAKE, 0), 0);
	TEXPECT_EQ(wake_someone(1), 1);
	clock_t deadline = uptime() + TU_CHILD_TIMEOUT;
	while (atomic_load(&w[0].state) != 2 && atomic_load(&w[1].state) != 2 && uptime() < deadline)
		nanosleep(1 * TU_MS);
	nanosleep(50 * TU_MS);
	int done = (atomic_load(&w[0].state) == 2) + (atomic_load(&w[1].state) == 2);
	TEXPECT_EQ(done, 1); /* exactly one woke; the other is still blocked */
	TEXPECT_EQ(wake_someone(FUTEX_ALL), 1);
	for (int i = 0; i < 2; i++) {
		TEXPECT(tu_wait_eq(&w[i].state, 2, TU_CHILD_TIMEOUT));
		TEXPECT_EQ(w[i].result, 0);
		TEXPECT(tu_thread_join(&t[i], TU_CHILD_TIMEOUT));
	}
}

/*
 * One round of the oldest-first probe: waiter 0 blocks, then waiter 1, and
 * FUTEX_WAKE 1 must pick waiter 0. Returns 1 if it did, 0 if waiter 1 woke
 * instead, -1 if the round could not be run (reported).
 */
static int oldest_first_round(void)
{
	static struct fwaiter w[2];
	static struct tu_thread t[2];
	atomic_store(&fwait_word, 7);
	for (int i = 0; i < 2; i++) {
		atomic_store(&w[i].state, 0);
		w[i].result = 0xdead;
		if (!tu_thread_start(&t[i], futex_waiter, &w[i]) || !tu_wait_ge(&w[i].state, 1, TU_CHILD_TIMEOUT)) {
			ktap_fail(__FILE__, __LINE__, "waiter %d did not start", i);
			return -1;
		}
		nanosleep(100 * TU_MS); /* waiter i blocks before waiter i + 1 starts (usually) */
	}
	int first = -1;
	uint64_t woken = wake_someone(1);
	if (woken == 1) {
		clock_t deadline = uptime() + TU_CHILD_TIMEOUT;
		while (first < 0 && uptime() < deadline) {
			for (int i = 0; i < 2 && first < 0; i++)
				if (atomic_load(&w[i].state) == 2)
					first = i;
			nanosleep(1 * TU_MS);
		}
		if (first < 0)
			ktap_fail(__FILE__, __LINE__, "FUTEX_WAKE 1 returned 1 but no waiter returned");
	} else {
		ktap_fail(__FILE__, __LINE__, "FUTEX_WAKE 1 with two waiters returned %lld", (long long)woken);
	}
	wake_someone(FUTEX_ALL);
	for (int i = 0; i < 2; i++) {
		if (!tu_wait_eq(&w[i].state, 2, TU_CHILD_TIMEOUT) || !tu_thread_join(&t[i], TU_CHILD_TIMEOUT)) {
			ktap_fail(__FILE__, __LINE__, "waiter %d never woke", i);
			return -1;
		}
	}
	return first < 0 ? -1 : first == 0;
}

KTAP_TEST(futex_wake_oldest_waiter_first)
{
	/*
	 * A waiter delayed on a loaded host can block late and so be the
	 * "newer" one; a kernel that is not FIFO fails every round, so one
	 * correct round out of three passes.
	 */
	for (int round = 0; round < 3; round++) {
		int r = oldest_first_round();
		if (r < 0)
			return;
		if (r == 1)
			return;
		ktap_diag("round %d: the newer waiter woke first", round);
	}
	ktap_fail(__FILE__, __LINE__, "FUTEX_WAKE 1 woke the newer waiter in 3 of 3 rounds");
}

KTAP_TEST(futex_wait_null_einval)
{
	TEXPECT_ERR(futex(NULL, 0, FUTEX_WAIT, 0), EINVAL);
}

KTAP_TEST(futex_wait_bad_address_efault)
{
	munmap((void *)HOLE, TU_PAGE);
	TEXPECT_ERR(futex((_Atomic(uint64_t) *)HOLE, 0, FUTEX_WAIT, 0), EFAULT);
	TEXPECT_ERR(futex((_Atomic(uint64_t) *)0x1000, 0, FUTEX_WAIT, 0), EFAULT);
	TEXPECT_ERR(futex((_Atomic(uint64_t) *)TU_KERNEL_ADDR, 0, FUTEX_WAIT, 0), EFAULT);
	TEXPECT_ERR(futex((_Atomic(uint64_t) *)TU_NONCANONICAL, 0, FUTEX_WAIT, 0), EFAULT);
}

KTAP_TEST(futex_wait_on_read_only_page_works)
{
	/* WAIT only reads the word: a PROT_READ page holding 0 is fine. */
	TASSERT(zero_fd() != ERR);
	_Atomic(uint64_t) *ro = mmap(zero_fd(), NULL, TU_PAGE, PROT_READ);
	TASSERT(ro != NULL);
	TEXPECT_ERR(futex(ro, 0, FUTEX_WAIT, 0), ETIMEDOUT);
	TEXPECT_ERR(futex(ro, 1, FUTEX_WAIT, 0), EAGAIN);
	munmap((void *)ro, TU_PAGE);
}

KTAP_TEST(futex_wake_never_reads_the_word)
{
	/* WAKE accepts NULL and unmapped words once they pass the alignment check (§7.27). */
	munmap((void *)HOLE, TU_PAGE);
	TEXPECT_EQ(futex(NULL, 1, FUTEX_WAKE, 0), 0);
	TEXPECT_EQ(futex((_Atomic(uint64_t) *)HOLE, FUTEX_ALL, FUTEX_WAKE, 0), 0);
	TEXPECT_EQ(futex((_Atomic(uint64_t) *)TU_KERNEL_ADDR, 1, FUTEX_WAKE, 12345), 0);
}

KTAP_TEST(futex_bad_op_einval)
{
	TEXPECT_ERR(futex(&fword, 0, 2, 0), EINVAL);
	TEXPECT_ERR(futex(&fword, 0, 0xFFFFFFFFu, 0), EINVAL);
	TEXPECT_ERR(futex(NULL, 0, 2, 0), EINVAL);
}

KTAP_TEST(futex_misaligned_einval)
{
	static _Alignas(16) uint64_t words[2];
	_Atomic(uint64_t) *odd4 = (_Atomic(uint64_t) *)((char *)words + 4);
	_Atomic(uint64_t) *odd1 = (_Atomic(uint64_t) *)((char *)words + 1);
	words[0] = words[1] = 0;
	TEXPECT_ERR(futex(odd4, 0, FUTEX_WAIT, 0), EINVAL);
	TEXPECT_ERR(futex(odd1, 0, FUTEX_WAIT, 0), EINVAL);
	TEXPECT_ERR(futex(odd4, 1, FUTEX_WAKE, 0), EINVAL);
	TEXPECT_ERR(futex((_Atomic(uint64_t) *)4, 1, FUTEX_WAKE, 0), EINVAL);
}

KTAP_TEST(futex_op_upper_bits_ignored)
{
	atomic_store(&fword, 9);
	/* 0x1_00000001 is FUTEX_WAKE after truncation to 32 bits (§2.2). */
	TEXPECT_EQ(syscall4(SYS_FUTEX, (uint64_t)&fword, 1, 0x100000001ull, 0), 0);
	/* 0xFFFFFFFF_00000000 is FUTEX_WAIT: a mismatch gives EAGAIN, a match times out. */
	TEXPECT_RAW_ERR(syscall4(SYS_FUTEX, (uint64_t)&fword, 8, 0xFFFFFFFF00000000ull, 0), EAGAIN);
	TEXPECT_RAW_ERR(syscall4(SYS_FUTEX, (uint64_t)&fword, 9, 0xFFFFFFFF00000000ull, 0), ETIMEDOUT);
	/* And the low half still decides: 0x1_00000002 is op 2. */
	TEXPECT_RAW_ERR(syscall4(SYS_FUTEX, (uint64_t)&fword, 9, 0x100000002ull, 0), EINVAL);
}
