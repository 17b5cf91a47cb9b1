// SPDX-License-Identifier: MIT
// sys_proc: 5 GETPID, 6 GETTID: ids as spawn hands them out, the same in every thread.
#include "user/tests/sys_proc/sys_proc.h"

/* ================================================================== child roles */

/* child-exit-pid: exit with our own pid, for comparison with what spawn returned. */
int child_exit_pid(int argc, char **argv)
{
	process_exit((int32_t)(getpid() & 0x7fffffff));
}

/* ================================================================== 5 GETPID, 6 GETTID */

KTAP_TEST(getpid_matches_spawn_return)
{
	const char *argv[] = { self, "child-exit-pid", NULL };
	pid_t pid = spawn(argv, 0);
	TASSERT(pid != ERR);
	int status = TU_NO_STATUS;
	TASSERT(tu_wait(pid, TU_CHILD_TIMEOUT, &status) == 0);
	TEXPECT_EQ(status, (int)(pid & 0x7fffffff));
}

KTAP_TEST(getpid_is_a_user_pid_and_stable)
{
	pid_t pid = getpid();
	TEXPECT(pid >= 1); /* 0 is the kernel's own process */
	TEXPECT_EQ(getpid(), pid);
}

static pid_t pid_seen_by_thread;

static void record_pid(void *arg)
{
	pid_seen_by_thread = getpid();
}

KTAP_TEST(getpid_same_in_every_thread)
{
	static struct tu_thread t;
	pid_seen_by_thread = 0;
	TASSERT(tu_thread_start(&t, record_pid, NULL));
	TASSERT(tu_thread_join(&t, TU_CHILD_TIMEOUT));
	TEXPECT_EQ(pid_seen_by_thread, getpid());
}

KTAP_TEST(pids_strictly_increasing)
{
	const char *argv[] = { self, "child-exit-raw", "0", NULL };
	pid_t pids[4];
	fd_t wait_fds[4];
	for (int i = 0; i < 4; i++)
		pids[i] = tu_spawn_watched(argv, 0, &wait_fds[i]);
	for (int i = 0; i < 4; i++) {
		TASSERT(pids[i] != ERR);
		int status;
		TEXPECT_EQ(tu_wait_fd(wait_fds[i], pids[i], TU_CHILD_TIMEOUT, &status), 0);
	}
	TEXPECT(pids[0] > getpid());
	for (int i = 1; i < 4; i++)
		TEXPECT(pids[i] > pids[i - 1]);
}

KTAP_TEST(gettid_main_thread_is_0)
{
	TEXPECT_EQ(gettid(), 0);
}
