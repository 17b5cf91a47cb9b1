// SPDX-License-Identifier: MIT
// sys_proc: 0 PROCESS_EXIT and 1 THREAD_EXIT: exit statuses, exits with other threads alive.
#include "user/tests/sys_proc/sys_proc.h"

/* ================================================================== child roles */

/* child-exit-raw <u64>: SYS_PROCESS_EXIT with exactly this RDI, upper bits included. */
int child_exit_raw(int argc, char **argv)
{
	syscall1(SYS_PROCESS_EXIT, argc > 2 ? tu_parse_u64(argv[2]) : 0);
	return 98;
}

static _Atomic(uint64_t) never_changes;

static void exit_33_soon(void *arg)
{
	nanosleep(20 * TU_MS);
	process_exit(33);
}

/* child-exit-from-thread: the main thread blocks forever in a futex; a second thread exits 33. */
int child_exit_from_thread(int argc, char **argv)
{
	static struct tu_thread t;
	if (!tu_thread_start(&t, exit_33_soon, NULL))
		return 97;
	for (;;)
		tu_futex_wait(&never_changes, 0, CLOCKS_NEVER);
}

static _Atomic(uint64_t) sleepers_started;

static void sleep_forever(void *arg)
{
	tu_add_wake(&sleepers_started, 1);
	if (arg)
		nanosleep(CLOCKS_NEVER);
	else
		tu_futex_wait(&never_changes, 0, CLOCKS_NEVER);
	/* Only a kernel that ends the sleep without killing us gets here. */
	process_exit(96);
}

/* child-exit-with-sleepers: threads sleeping forever must not keep the process alive. */
int child_exit_with_sleepers(int argc, char **argv)
{
	static struct tu_thread a, b;
	if (!tu_thread_start(&a, sleep_forever, (void *)1) || !tu_thread_start(&b, sleep_forever, NULL))
		return 97;
	if (!tu_wait_ge(&sleepers_started, 2, TU_CHILD_TIMEOUT))
		return 95;
	nanosleep(20 * TU_MS); /* let both reach their sleep */
	process_exit(12);
}

/* child-thread-exit-only: the only thread calls thread_exit; the process must end with 0. */
int child_thread_exit_only(int argc, char **argv)
{
	fflush(stdout);
	thread_exit();
}

static void exit_44_later(void *arg)
{
	nanosleep(30 * TU_MS);
	process_exit(44);
}

static void thread_exit_later(void *arg)
{
	nanosleep(30 * TU_MS);
	thread_exit();
}

/* child-thread-exit-others-run: main thread_exits first; the other thread then exits 44. */
int child_thread_exit_others_run(int argc, char **argv)
{
	static struct tu_thread t;
	if (!tu_thread_start(&t, exit_44_later, NULL))
		return 97;
	thread_exit();
}

/* child-thread-exit-last: main thread_exits first, the other one later: status 0. */
int child_thread_exit_last(int argc, char **argv)
{
	static struct tu_thread t;
	if (!tu_thread_start(&t, thread_exit_later, NULL))
		return 97;
	thread_exit();
}

/* ================================================================== 0 PROCESS_EXIT, 1 THREAD_EXIT */

KTAP_TEST(process_exit_status_0)
{
	EXPECT_ROLE_STATUS(0, "child-exit-raw", "0");
}

KTAP_TEST(process_exit_status_42)
{
	EXPECT_ROLE_STATUS(42, "child-exit-raw", "42");
}

KTAP_TEST(process_exit_status_minus_1)
{
	/* Sign-extended, as libc passes it; the wait file must read "-1". */
	EXPECT_ROLE_STATUS(-1, "child-exit-raw", "0xffffffffffffffff");
}

KTAP_TEST(process_exit_status_int32_max)
{
	EXPECT_ROLE_STATUS(INT32_MAX, "child-exit-raw", "0x7fffffff");
}

KTAP_TEST(process_exit_status_int32_min)
{
	/* Zero-extended in RDI: only the low 32 bits, read as a signed int32_t, count. */
	EXPECT_ROLE_STATUS(INT32_MIN, "child-exit-raw", "0x80000000");
}

KTAP_TEST(process_exit_ignores_upper_bits)
{
	EXPECT_ROLE_STATUS(5, "child-exit-raw", "0x100000005");
	EXPECT_ROLE_STATUS(42, "child-exit-raw", "0xdeadbeef0000002a");
	EXPECT_ROLE_STATUS(-1, "child-exit-raw", "0x1ffffffff");
}

KTAP_TEST(process_exit_from_thread_ends_blocked_main)
{
	EXPECT_ROLE_STATUS(33, "child-exit-from-thread");
}

KTAP_TEST(process_exit_ends_sleeping_threads)
{
	EXPECT_ROLE_STATUS(12, "child-exit-with-sleepers");
}

KTAP_TEST(thread_exit_only_thread_gives_status_0)
{
	EXPECT_ROLE_STATUS(0, "child-thread-exit-only");
}

KTAP_TEST(thread_exit_of_main_leaves_others_running)
{
	EXPECT_ROLE_STATUS(44, "child-thread-exit-others-run");
}

KTAP_TEST(thread_exit_of_last_thread_gives_status_0)
{
	EXPECT_ROLE_STATUS(0, "child-thread-exit-last");
}

static _Atomic(uint64_t) te_flag;

static void thread_exit_directly(void *arg)
{
	tu_store_wake(&te_flag, 1);
	thread_exit(); /* a bare SYS_THREAD_EXIT, not a return */
}

KTAP_TEST(thread_exit_in_process_main_continues)
{
	static struct tu_thread t;
	atomic_store(&te_flag, 0);
	TASSERT(tu_thread_start(&t, thread_exit_directly, NULL));
	TEXPECT(tu_wait_eq(&te_flag, 1, TU_CHILD_TIMEOUT));
	nanosleep(10 * TU_MS);
	/* Still here, and still able to make calls. */
	TEXPECT_EQ(gettid(), 0);
}
