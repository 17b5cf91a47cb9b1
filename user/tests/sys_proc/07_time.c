// SPDX-License-Identifier: MIT
// sys_proc: 7 UPTIME, 8 UNIX_EPOCH, 3 NANOSLEEP, 24 YIELD: clocks, the epoch's out pointer, sleeps.
#include "user/tests/sys_proc/sys_proc.h"

/* ================================================================== 7 UPTIME */

KTAP_TEST(uptime_monotonic)
{
	clock_t prev = uptime();
	TEXPECT(prev > 0);
	for (int i = 0; i < 100000; i++) {
		clock_t now = uptime();
		if (now < prev) {
			ktap_fail(__FILE__, __LINE__, "uptime went back from %llu to %llu",
				  (unsigned long long)prev, (unsigned long long)now);
			return;
		}
		prev = now;
	}
}

static _Atomic(uint64_t) uptime_published, uptime_stop, uptime_thread_backwards;

static void uptime_publisher(void *arg)
{
	clock_t prev = 0;
	while (!atomic_load(&uptime_stop)) {
		clock_t now = uptime();
		if (now < prev)
			atomic_store(&uptime_thread_backwards, 1);
		prev = now;
		atomic_store(&uptime_published, now);
	}
}

KTAP_TEST(uptime_monotonic_across_threads)
{
	/* A value another thread (likely on another CPU) read before we read ours may not exceed ours. */
	static struct tu_thread t;
	atomic_store(&uptime_published, 0);
	atomic_store(&uptime_stop, 0);
	atomic_store(&uptime_thread_backwards, 0);
	TASSERT(tu_thread_start(&t, uptime_publisher, NULL));
	clock_t end = uptime() + 200 * TU_MS;
	uint64_t bad = 0, checks = 0;
	for (clock_t now = 0; now < end; checks++) {
		uint64_t seen = atomic_load(&uptime_published);
		now = uptime();
		if (now < seen && bad++ == 0)
			ktap_fail(__FILE__, __LINE__, "uptime %llu after another thread published %llu",
				  (unsigned long long)now, (unsigned long long)seen);
	}
	atomic_store(&uptime_stop, 1);
	TEXPECT(tu_thread_join(&t, TU_CHILD_TIMEOUT));
	TEXPECT_EQ(bad, 0);
	TEXPECT_EQ(atomic_load(&uptime_thread_backwards), 0);
	ktap_diag("%llu cross-thread comparisons", (unsigned long long)checks);
}

/* ================================================================== 8 UNIX_EPOCH */

KTAP_TEST(unix_epoch_plausible)
{
	time_t t = unix_epoch(NULL);
	TEXPECT(t != ERR);
	TEXPECT(t > 1600000000ull);  /* QEMU and real machines have an RTC */
	TEXPECT(t < 4102444800ull);  /* 2100-01-01 */
}

KTAP_TEST(unix_epoch_out_receives_value)
{
	time_t out = 0;
	time_t t = unix_epoch(&out);
	TEXPECT(t != ERR);
	TEXPECT_EQ(out, t);
}

KTAP_TEST(unix_epoch_out_bad_pointer_efault)
{
	TEXPECT_ERR(unix_epoch((time_t *)1), EFAULT);
	TEXPECT_ERR(unix_epoch((time_t *)TU_KERNEL_ADDR), EFAULT);
	TEXPECT_ERR(unix_epoch((time_t *)TU_NONCANONICAL), EFAULT);
	TEXPECT_ERR(unix_epoch((time_t *)(TU_USER_MAX - 4)), EFAULT); /* crosses the end of user space */
	TEXPECT_ERR(unix_epoch((time_t *)(UINT64_MAX - 3)), EOVERFLOW);
	munmap((void *)HOLE, TU_PAGE);
	TEXPECT_ERR(unix_epoch((time_t *)HOLE), EFAULT);
}

KTAP_TEST(unix_epoch_out_straddling_unmapped_page_efault)
{
	uint8_t *page = map_hole(2);
	TASSERT(page != NULL);
	TASSERT(munmap(page + TU_PAGE, TU_PAGE) == page + TU_PAGE);
	TEXPECT_ERR(unix_epoch((time_t *)(page + TU_PAGE - 4)), EFAULT);
	TEXPECT(unix_epoch((time_t *)(page + TU_PAGE - 8)) != ERR);
}

KTAP_TEST(unix_epoch_out_read_only_page_efault)
{
	/*
	 * A PROT_READ mapping, not a const in .rodata: the loader maps the
	 * whole program image writable (spec §10.1), so .rodata is no
	 * read-only page.
	 */
	TASSERT(zero_fd() != ERR);
	uint8_t *ro = mmap(zero_fd(), NULL, TU_PAGE, PROT_READ);
	TASSERT(ro != NULL);
	TEXPECT_ERR(unix_epoch((time_t *)(ro + 64)), EFAULT);
	/* Readable before we read it ourselves: FUTEX_WAIT reads the word (0, so it times out). */
	TASSERT(syscall4(SYS_FUTEX, (uint64_t)ro, 0, FUTEX_WAIT, 0) == ERR && syscall0(SYS_ERRNO) == ETIMEDOUT);
	uint64_t nonzero = 0;
	for (int i = 0; i < (int)TU_PAGE; i++)
		nonzero |= ro[i];
	TEXPECT_EQ(nonzero, 0); /* nothing was written */
	munmap(ro, TU_PAGE);
}

/* ================================================================== 3 NANOSLEEP, 24 YIELD */

KTAP_TEST(nanosleep_20ms_takes_at_least_20ms)
{
	clock_t t0 = uptime();
	TEXPECT_EQ(nanosleep(20 * TU_MS), 0);
	clock_t dt = uptime() - t0;
	TEXPECT(dt >= 20 * TU_MS);
	TEXPECT(dt < 20 * TU_MS + SLEEP_SLACK); /* timer slack and scheduling (§2.5) on a loaded host */
	ktap_diag("slept %llu us", (unsigned long long)(dt / 1000));
}

KTAP_TEST(nanosleep_0_returns_0_at_once)
{
	clock_t t0 = uptime();
	TEXPECT_EQ(nanosleep(0), 0);
	TEXPECT(uptime() - t0 < AT_ONCE);
}

KTAP_TEST(nanosleep_short_durations_not_early)
{
	static const clock_t durations[] = { 1, 1000, 100000, 1 * TU_MS, 3 * TU_MS };
	for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		clock_t t0 = uptime();
		TEXPECT_EQ(nanosleep(durations[i]), 0);
		clock_t dt = uptime() - t0;
		if (dt < durations[i])
			ktap_fail(__FILE__, __LINE__, "nanosleep(%llu) returned after %llu ns",
				  (unsigned long long)durations[i], (unsigned long long)dt);
	}
}

KTAP_TEST(yield_returns_0)
{
	clock_t worst = 0;
	for (int i = 0; i < 200; i++) {
		clock_t t0 = uptime();
		TEXPECT_EQ(yield(), 0);
		clock_t dt = uptime() - t0;
		if (dt > worst)
			worst = dt;
	}
	/* "MUST NOT block for noticeably longer than 1 ms plus scheduling latency" (§7.24). */
	TEXPECT(worst < AT_ONCE);
	ktap_diag("slowest yield %llu us", (unsigned long long)(worst / 1000));
}
