// SPDX-License-Identifier: MIT
// net_local: PatchworkOS's local seqpacket sockets under /net/local (the
// contract is kernel/abi/net_local.h): the factory and ctl commands, message
// boundaries, blocking and nonblock, poll, hang-ups, a server that dies with
// clients waiting, 64 clients on one listener, limits and bad input, and
// which namespaces see a socket and how long it lives.
// With arguments this program is one of its own helper children.
#include <errno.h>
#include <fcntl.h>
#include <ktap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/proc.h>
#include <sys/stat.h>
#include <time.h>
#include <tu.h>
#include <unistd.h>

#include "kernel/abi/net_local.h"

#define SELF "/bin/tests/net_local"

/* A new socket: its id in @id (PW's sreadfile of /net/local/seqpacket). */
static bool sock_new(char id[32])
{
	fd_t fd = open("/net/local/seqpacket");
	if (fd == ERR)
		return false;
	uint64_t n = read(fd, id, 31);
	char more;
	bool ok = n != ERR && n > 0 && read(fd, &more, 1) == 0;
	close(fd);
	id[ok ? n : 0] = '\0';
	return ok;
}

static fd_t sock_open(const char *id, const char *file)
{
	char path[96];
	snprintf(path, sizeof(path), "/net/local/%s/%s", id, file);
	return open(path);
}

/* Write @cmd to the socket's ctl file: 0, or ERR with errno. */
static uint64_t ctl(const char *id, const char *cmd)
{
	fd_t fd = sock_open(id, "ctl");
	if (fd == ERR)
		return ERR;
	uint64_t r = write(fd, cmd, strlen(cmd));
	int e = errno;
	close(fd);
	errno = e;
	return r == ERR ? ERR : 0;
}

/* A unique name per call, so tests never see each other's names. */
static const char *unique_name(char buf[32], const char *tag)
{
	static int seq;
	snprintf(buf, 32, "%s%llu_%d", tag, (unsigned long long)getpid(), seq++);
	return buf;
}

/* A listening server: id in @sid. */
static bool server_new(char sid[32], const char *name)
{
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "bind %s && listen", name);
	return sock_new(sid) && ctl(sid, cmd) == 0;
}

/* A connected client's data file (extra flags in @flags, e.g. ":nonblock"), or ERR. */
static fd_t client_new(const char *name, const char *flags)
{
	char id[32], cmd[64];
	if (!sock_new(id))
		return ERR;
	snprintf(cmd, sizeof(cmd), "connect %s", name);
	if (ctl(id, cmd) == ERR)
		return ERR;
	char file[32];
	snprintf(file, sizeof(file), "data%s", flags);
	return sock_open(id, file);
}

static uint32_t poll1(fd_t fd, uint32_t events, clock_t timeout)
{
	struct abi_pollfd p = { .fd = fd, .events = events, .revents = 0 };
	uint64_t r = poll(&p, 1, timeout);
	return r == ERR ? 0xFFFFFFFF : p.revents;
}

/*
 * Spawn "SELF ROLE ARGS... W" (@args: ROLE and up to 4 more, NULL-ended),
 * W the number of a new pipe's write end, on which the helper reports. The
 * pid (or ERR), its wait file in *@wfd, the pipe's read end in *@rd (the
 * write end is closed here).
 */
static pid_t spawn_reporting(const char *const *args, fd_t *wfd, fd_t *rd)
{
	fd_t p[2];
	if (open2("/dev/pipe/new", p) != 0)
		return ERR;
	char warg[16];
	snprintf(warg, sizeof(warg), "%llu", (unsigned long long)p[1]);
	const char *argv[8] = { SELF };
	int n = 1;
	while (n < 6 && args[n - 1])
		argv[n] = args[n - 1], n++;
	argv[n] = warg;
	pid_t pid = tu_spawn_watched(argv, 0, wfd);
	close(p[1]);
	if (pid == ERR) {
		close(p[0]);
		return ERR;
	}
	*rd = p[0];
	return pid;
}

/* Whether directory @dir (a descriptor) lists @name. */
static bool dir_lists(fd_t dir, const char *name)
{
	struct abi_dirent d[8];
	seek(dir, 0, SEEK_SET);
	for (;;) {
		uint64_t n = getdents(dir, d, sizeof(d));
		if (n == ERR || n == 0)
			return false;
		for (uint64_t i = 0; i < n / sizeof(d[0]); i++)
			if (strcmp(d[i].path, name) == 0)
				return true;
	}
}

/* Whether /net/local/listen/NAME exists for this process (PW's init stats it). */
static bool name_listed(const char *name)
{
	char path[64];
	struct abi_stat st;
	snprintf(path, sizeof(path), "/net/local/listen/%s", name);
	return stat(path, &st) == 0;
}

KTAP_TEST(factory_reads_id_then_end)
{
	char a[32], b[32];
	TASSERT(sock_new(a) && sock_new(b));
	TEXPECT(strcmp(a, b) != 0);
	for (const char *p = a; *p; p++)
		TEXPECT(*p >= '0' && *p <= '9');
	fd_t fd = open("/net/local/seqpacket");
	TASSERT(fd != ERR);
	TEXPECT_ERR(write(fd, "x", 1), ENOSYS);
	TEXPECT_ERR(seek(fd, 0, SEEK_SET), ESPIPE);
	struct abi_pollfd p = { .fd = fd, .events = POLLIN };
	TEXPECT_ERR(poll(&p, 1, 0), ENOSYS);
	close(fd);
	/* The directory holds accept, ctl and data; ctl cannot be read or polled. */
	fd_t c = sock_open(a, "ctl");
	TASSERT(c != ERR);
	char buf[8];
	TEXPECT_ERR(read(c, buf, sizeof(buf)), ENOSYS);
	p.fd = c;
	TEXPECT_ERR(poll(&p, 1, 0), ENOSYS);
	close(c);
	TEXPECT_ERR(sock_open(a, "nothing"), ENOENT);
	TEXPECT_ERR(open("/net/local/99999999999"), ENOENT);
	TEXPECT_ERR(open("/net/local/007:directory"), ENOENT);
	fd_t dir = open("/net/local:directory");
	TEXPECT(dir != ERR);
	close(dir);
}

KTAP_TEST(ctl_commands_and_errors)
{
	char id[32], n1[32], n2[32];
	TASSERT(sock_new(id));
	fd_t c = sock_open(id, "ctl");
	TASSERT(c != ERR);
	TEXPECT_ERR(write(c, "x", 0), EINVAL);
	char big[300];
	memset(big, 'a', sizeof(big));
	TEXPECT_ERR(write(c, big, sizeof(big)), E2BIG);
	TEXPECT_ERR(write(c, "   ", 3), EUNKNOWNCTL);
	TEXPECT_ERR(write(c, "frobnicate", 10), ENOENT);
	TEXPECT_ERR(write(c, "bind", 4), EUNKNOWNCTL);
	TEXPECT_ERR(write(c, "bind a b", 8), EUNKNOWNCTL);
	TEXPECT_ERR(write(c, "listen 1 2", 10), EUNKNOWNCTL);
	TEXPECT_ERR(write(c, "bind 0123456789012345678901234567890123", 39), ENAMETOOLONG);
	TEXPECT_ERR(write(c, "bind a/b", 8), EINVAL);
	TEXPECT_ERR(write(c, "bind a:b", 8), EINVAL);
	TEXPECT_ERR(write(c, "bind \"\"", 7), EINVAL);
	TEXPECT_ERR(write(c, "listen", 6), EINVAL); /* not bound */
	TEXPECT_ERR(write(c, "connect nosuchname_xyz", 22), ECONNREFUSED);
	TEXPECT_ERR(write((fd_t)c, (void *)8, 4), EFAULT);
	TEXPECT_ERR(write(c, (void *)0xFFFF800000000000ull, 4), EFAULT);
	/* A chain stops at the first failure; what came before stays done. */
	char cmd[80];
	unique_name(n1, "c");
	unique_name(n2, "c");
	snprintf(cmd, sizeof(cmd), "listen && bind %s", n1);
	TEXPECT_ERR(write(c, cmd, strlen(cmd)), EINVAL);
	snprintf(cmd, sizeof(cmd), "bind %s && listen 0", n1);
	TEXPECT_ERR(write(c, cmd, strlen(cmd)), EINVAL);
	TEXPECT_ERR(write(c, "listen x", 8), EINVAL);
	TEXPECT_ERR(write(c, "listen -3", 9), EINVAL);
	snprintf(cmd, sizeof(cmd), "bind %s", n2);
	TEXPECT_ERR(write(c, cmd, strlen(cmd)), EINVAL); /* already bound (to n1) */
	snprintf(cmd, sizeof(cmd), "connect %s", n1);
	TEXPECT_ERR(write(c, cmd, strlen(cmd)), EINVAL); /* bound: no connect */
	TEXPECT_EQ(write(c, "listen 2\n", 9), 9);
	TEXPECT_ERR(write(c, "listen", 6), EINVAL);
	close(c);
	/* Bound names are files in /net/local/listen (PW's init waits for one with stat). */
	char lpath[64];
	snprintf(lpath, sizeof(lpath), "/net/local/listen/%s", n1);
	struct abi_stat st;
	TEXPECT_EQ(stat(lpath, &st), 0);
	fd_t lf = open(lpath);
	TEXPECT(lf != ERR);
	TEXPECT_ERR(read(lf, big, 1), ENOSYS);
	close(lf);
	snprintf(lpath, sizeof(lpath), "/net/local/listen/%s", n2);
	TEXPECT_ERR(stat(lpath, &st), ENOENT);
	/* The name is taken; a second socket cannot have it. */
	char other[32];
	TASSERT(sock_new(other));
	snprintf(cmd, sizeof(cmd), "bind %s", n1);
	TEXPECT_ERR(ctl(other, cmd), EADDRINUSE);
	/* Data of a socket that is not connected: ENOTCONN; accept only on a listener. */
	fd_t d = sock_open(other, "data");
	TASSERT(d != ERR);
	char b[4];
	TEXPECT_ERR(read(d, b, 4), ENOTCONN);
	TEXPECT_ERR(write(d, "x", 1), ENOTCONN);
	TEXPECT_EQ(poll1(d, POLLIN | POLLOUT, 0), POLLERR);
	close(d);
	TEXPECT_ERR(sock_open(other, "accept"), EINVAL);
	/* Backlog 2: the third pending connection is refused. */
	fd_t a = client_new(n1, ""), b2 = client_new(n1, "");
	TEXPECT(a != ERR && b2 != ERR);
	TEXPECT_ERR(client_new(n1, ""), ECONNREFUSED);
	d = sock_open(id, "data");
	TEXPECT_EQ(poll1(d, POLLIN, 0), POLLIN);
	fd_t s1 = sock_open(id, "accept");
	TEXPECT(s1 != ERR);
	fd_t s3 = client_new(n1, "");
	TEXPECT(s3 != ERR);
	/* Connected: no further connect. */
	close(d);
	close(s1);
	close(a);
	close(b2);
	close(s3);
}

KTAP_TEST(messages_keep_boundaries)
{
	char sid[32], name[32];
	TASSERT(server_new(sid, unique_name(name, "m")));
	fd_t cl = client_new(name, "");
	TASSERT(cl != ERR);
	/* The client may write before it is accepted. */
	TEXPECT_EQ(write(cl, "abc", 3), 3);
	TEXPECT_EQ(write(cl, "defgh", 5), 5);
	TEXPECT_EQ(write(cl, "0123456789", 10), 10);
	TEXPECT_EQ(write(cl, "z", 0), 0); /* nothing is sent */
	fd_t sv = sock_open(sid, "accept");
	TASSERT(sv != ERR);
	char buf[NET_LOCAL_MAX_MSG + 16];
	TEXPECT_EQ(read(sv, buf, sizeof(buf)), 3);
	TEXPECT(memcmp(buf, "abc", 3) == 0);
	TEXPECT_EQ(read(sv, buf, sizeof(buf)), 5);
	TEXPECT(memcmp(buf, "defgh", 5) == 0);
	/* A short buffer gets the start of the message; the rest is dropped. */
	TEXPECT_EQ(read(sv, buf, 4), 4);
	TEXPECT(memcmp(buf, "0123", 4) == 0);
	/* The other direction, and the largest message there is. */
	for (int i = 0; i < NET_LOCAL_MAX_MSG; i++)
		buf[i] = (char)(i * 13);
	TEXPECT_EQ(write(sv, buf, NET_LOCAL_MAX_MSG), NET_LOCAL_MAX_MSG);
	TEXPECT_ERR(write(sv, buf, NET_LOCAL_MAX_MSG + 1), EMSGSIZE);
	TEXPECT_ERR(write(sv, buf, ~0ull >> 8), EFAULT);
	static char in[NET_LOCAL_MAX_MSG + 16];
	TEXPECT_EQ(read(cl, in, sizeof(in)), NET_LOCAL_MAX_MSG);
	TEXPECT(memcmp(in, buf, NET_LOCAL_MAX_MSG) == 0);
	/* Bad buffers: EFAULT, and the message is still there for a good read. */
	TEXPECT_EQ(write(sv, "hello", 5), 5);
	TEXPECT_ERR(read(cl, (void *)0xFFFF800000001000ull, 5), EFAULT);
	TEXPECT_ERR(read(cl, (void *)0x1000, 5), EFAULT);
	TEXPECT_ERR(read(cl, NULL, 5), EINVAL);
	TEXPECT_EQ(read(cl, in, sizeof(in)), 5);
	TEXPECT(memcmp(in, "hello", 5) == 0);
	close(sv);
	close(cl);
}

KTAP_TEST(nonblock_full_queue_and_poll)
{
	char sid[32], name[32];
	TASSERT(server_new(sid, unique_name(name, "n")));
	/* Nothing waiting: a nonblock accept fails at once; poll on data says nothing. */
	TEXPECT_ERR(sock_open(sid, "accept:nonblock"), EAGAIN);
	fd_t ld = sock_open(sid, "data");
	TASSERT(ld != ERR);
	TEXPECT_EQ(poll1(ld, POLLIN, 0), 0);
	fd_t cl = client_new(name, ":nonblock");
	TASSERT(cl != ERR);
	TEXPECT_EQ(poll1(ld, POLLIN, 0), POLLIN);
	fd_t sv = sock_open(sid, "accept:nonblock");
	TASSERT(sv != ERR);
	TEXPECT_EQ(poll1(ld, POLLIN, 0), 0);
	char buf[1000];
	TEXPECT_ERR(read(cl, buf, sizeof(buf)), EAGAIN);
	TEXPECT_ERR(read(sv, buf, sizeof(buf)), EAGAIN);
	TEXPECT_EQ(poll1(cl, POLLIN | POLLOUT, 0), POLLOUT);
	/* Fill the queue: each message costs its bytes and an 8-byte header. */
	int sent = 0;
	memset(buf, 'q', sizeof(buf));
	while (write(cl, buf, sizeof(buf)) == sizeof(buf))
		sent++;
	TEXPECT_EQ(errno, EAGAIN);
	TEXPECT_EQ(sent, NET_LOCAL_RING_BYTES / (sizeof(buf) + NET_LOCAL_HEADER_BYTES));
	TEXPECT_EQ(poll1(sv, POLLIN | POLLOUT, 0), POLLIN | POLLOUT);
	/* What is left still takes a small message, until it is full too. */
	uint64_t left = NET_LOCAL_RING_BYTES - (uint64_t)sent * (sizeof(buf) + NET_LOCAL_HEADER_BYTES);
	TEXPECT_EQ(write(cl, buf, left - NET_LOCAL_HEADER_BYTES), left - NET_LOCAL_HEADER_BYTES);
	TEXPECT_EQ(poll1(cl, POLLOUT, 0), 0);
	TEXPECT_ERR(write(cl, "x", 1), EAGAIN);
	TEXPECT_EQ(read(sv, buf, sizeof(buf)), sizeof(buf));
	TEXPECT_EQ(poll1(cl, POLLOUT, 0), POLLOUT);
	/* A poll that waits for a message that does not come times out. */
	TEXPECT_EQ(poll1(cl, POLLIN, 20 * TU_MS), 0);
	close(sv);
	close(cl);
	close(ld);
}

/*
 * Each blocking call below is made while a noter thread notes this process's
 * first thread (this one) until the call returns: a note that comes before
 * the call has blocked is dropped (tu.h).
 */
KTAP_TEST(notes_interrupt_blocked_calls)
{
	char sid[32], name[32];
	TASSERT(server_new(sid, unique_name(name, "i")));
	static struct tu_noter n; /* static: a noter that failed to stop still writes it */
	/* A blocked accept. */
	TASSERT(tu_noter_start(&n, getpid(), "wake"));
	TEXPECT_ERR(sock_open(sid, "accept"), EINTR);
	TASSERT(tu_noter_stop(&n));
	fd_t cl = client_new(name, "");
	fd_t sv = sock_open(sid, "accept");
	TASSERT(cl != ERR && sv != ERR);
	/* A blocked read. */
	char buf[64];
	TASSERT(tu_noter_start(&n, getpid(), "wake"));
	TEXPECT_ERR(read(cl, buf, sizeof(buf)), EINTR);
	TASSERT(tu_noter_stop(&n));
	/* A blocked write (the queue full). */
	static char big[NET_LOCAL_MAX_MSG];
	TEXPECT_EQ(write(cl, big, sizeof(big)), sizeof(big));
	TASSERT(tu_noter_start(&n, getpid(), "wake"));
	TEXPECT_ERR(write(cl, buf, 1), EINTR);
	TASSERT(tu_noter_stop(&n));
	close(sv);
	close(cl);
}

KTAP_TEST(hang_up_both_ways)
{
	char sid[32], name[32];
	TASSERT(server_new(sid, unique_name(name, "h")));
	fd_t cl = client_new(name, "");
	fd_t sv = sock_open(sid, "accept");
	TASSERT(cl != ERR && sv != ERR);
	TEXPECT_EQ(write(sv, "last", 4), 4);
	close(sv); /* the accepted connection goes with its file */
	TEXPECT_EQ(poll1(cl, POLLIN, 0), POLLIN | POLLHUP);
	char buf[16];
	TEXPECT_EQ(read(cl, buf, sizeof(buf)), 4); /* what was queued first */
	TEXPECT_EQ(read(cl, buf, sizeof(buf)), 0);
	TEXPECT_ERR(write(cl, "x", 1), ECONNRESET);
	close(cl);
	/* The client side goes when its owner ends: a child connects, writes and exits. */
	int st = tu_run_role(SELF, "client", name, "bye", NULL);
	TEXPECT_EQ(st, 0);
	sv = sock_open(sid, "accept");
	TASSERT(sv != ERR);
	TEXPECT_EQ(read(sv, buf, sizeof(buf)), 3);
	TEXPECT_EQ(read(sv, buf, sizeof(buf)), 0);
	TEXPECT_EQ(poll1(sv, POLLIN | POLLOUT, 0), POLLIN | POLLHUP);
	close(sv);
}

KTAP_TEST(ping_pong_between_processes)
{
	char sid[32], name[32];
	TASSERT(server_new(sid, unique_name(name, "p")));
	fd_t wfd;
	const char *argv[] = { SELF, "echo", name, NULL };
	pid_t pid = tu_spawn_watched(argv, 0, &wfd);
	TASSERT(pid != ERR);
	fd_t sv = sock_open(sid, "accept");
	TASSERT(sv != ERR);
	static char out[NET_LOCAL_MAX_MSG], in[NET_LOCAL_MAX_MSG + 1];
	uint64_t seed = tu_seed(0x50c4, false);
	for (int round = 0; round < 300; round++) {
		uint64_t n = 1 + tu_rand_below(&seed, round % 10 == 0 ? NET_LOCAL_MAX_MSG : 200);
		for (uint64_t i = 0; i < n; i++)
			out[i] = (char)(round + i * 7);
		if (write(sv, out, n) != n) {
			TEXPECT(!"write");
			break;
		}
		uint64_t r = read(sv, in, sizeof(in));
		if (r != n || memcmp(in, out, n) != 0) {
			TEXPECT_EQ(r, n);
			break;
		}
		tu_progress();
	}
	close(sv); /* the echo child reads 0 and exits 0 */
	int st;
	TEXPECT_EQ(tu_wait_fd(wfd, pid, TU_CHILD_TIMEOUT, &st), 0);
	TEXPECT_EQ(st, 0);
}

struct writer {
	fd_t fd;
	int tag;
	bool ok;
};

#define WRITER_MSGS 200

/* Helper thread: WRITER_MSGS messages of varying sizes, every byte its tag. */
static void writer_thread(void *arg)
{
	struct writer *w = arg;
	static char bufs[4][3000];
	char *buf = bufs[w->tag & 3];
	w->ok = true;
	for (int i = 0; i < WRITER_MSGS && w->ok; i++) {
		uint64_t n = 1 + (uint64_t)(i * 37 + w->tag * 11) % sizeof(bufs[0]);
		memset(buf, 'A' + w->tag, n);
		w->ok = write(w->fd, buf, n) == n;
		tu_progress();
	}
}

KTAP_TEST(concurrent_writers_never_mix_messages)
{
	char sid[32], name[32];
	TASSERT(server_new(sid, unique_name(name, "w")));
	fd_t cl = client_new(name, "");
	fd_t sv = sock_open(sid, "accept");
	TASSERT(cl != ERR && sv != ERR);
	struct writer w[4];
	struct tu_thread t[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (struct writer){ cl, i, false };
		TASSERT(tu_thread_start(&t[i], writer_thread, &w[i]));
	}
	int count[4] = { 0 };
	static char in[4000];
	for (int m = 0; m < 4 * WRITER_MSGS; m++) {
		uint64_t n = read(sv, in, sizeof(in));
		if (n == ERR || n == 0 || in[0] < 'A' || in[0] > 'D') {
			TEXPECT(!"a message");
			break;
		}
		for (uint64_t i = 1; i < n; i++)
			if (in[i] != in[0]) {
				TEXPECT(!"one writer's bytes per message");
				break;
			}
		count[in[0] - 'A']++;
	}
	for (int i = 0; i < 4; i++) {
		TEXPECT(tu_thread_join_progress(&t[i], 10 * TU_SEC));
		TEXPECT(w[i].ok);
		TEXPECT_EQ(count[i], WRITER_MSGS);
	}
	close(sv);
	close(cl);
}

KTAP_TEST(server_dies_with_clients_waiting)
{
	char name[32];
	unique_name(name, "d");
	fd_t wfd, rd;
	pid_t pid = spawn_reporting((const char *[]){ "server", name, NULL }, &wfd, &rd);
	TASSERT(pid != ERR);
	char c;
	TEXPECT_EQ(read(rd, &c, 1), 1); /* listening */
	/* Two accepted by the server (it keeps them), two waiting in its backlog. */
	fd_t cl[4];
	for (int i = 0; i < 4; i++) {
		cl[i] = client_new(name, "");
		TEXPECT(cl[i] != ERR);
		TEXPECT_EQ(write(cl[i], "hi", 2), 2);
	}
	TEXPECT_EQ(read(rd, &c, 1), 1); /* two accepted */
	TEXPECT_EQ(poll1(cl[0], POLLIN, 0), 0);
	tu_kill(pid);
	int st;
	TEXPECT_EQ(tu_wait_fd(wfd, pid, TU_CHILD_TIMEOUT, &st), 0);
	char buf[8];
	for (int i = 0; i < 4; i++) {
		TEXPECT_EQ(poll1(cl[i], POLLIN, 5 * TU_SEC), POLLIN | POLLHUP);
		TEXPECT_EQ(read(cl[i], buf, sizeof(buf)), 0);
		TEXPECT_ERR(write(cl[i], "x", 1), ECONNRESET);
		close(cl[i]);
	}
	close(rd);
	/* The name is free again, and gone from /net/local/listen. */
	TEXPECT(!name_listed(name));
	char sid[32];
	TEXPECT(server_new(sid, name));
	fd_t again = client_new(name, "");
	TEXPECT(again != ERR);
	close(again);
}

KTAP_TEST(sixty_four_clients_on_one_listener)
{
	char sid[32], name[32];
	TASSERT(server_new(sid, unique_name(name, "s")));
	/* Two children of 32 clients each (a process owns at most 64 sockets, has 64 descriptors). */
	fd_t wfd[2];
	pid_t pid[2];
	const char *argv0[] = { SELF, "clients", name, "0", NULL };
	const char *argv1[] = { SELF, "clients", name, "32", NULL };
	pid[0] = tu_spawn_watched(argv0, 0, &wfd[0]);
	pid[1] = tu_spawn_watched(argv1, 0, &wfd[1]);
	TASSERT(pid[0] != ERR && pid[1] != ERR);
	uint64_t seen = 0;
	for (int i = 0; i < 64; i++) {
		fd_t sv = sock_open(sid, "accept");
		if (sv == ERR) {
			TEXPECT(!"accept");
			break;
		}
		char buf[16];
		uint64_t n = read(sv, buf, sizeof(buf) - 1);
		TEXPECT(n != ERR && n > 0);
		buf[n == ERR ? 0 : n] = '\0';
		int who = atoi(buf);
		TEXPECT(who >= 0 && who < 64);
		seen |= 1ull << (who & 63);
		TEXPECT_EQ(write(sv, buf, n), n); /* echoed back */
		close(sv);
		tu_progress();
	}
	TEXPECT_EQ(seen, ~0ull);
	for (int i = 0; i < 2; i++) {
		int st;
		TEXPECT_EQ(tu_wait_fd(wfd[i], pid[i], TU_CHILD_TIMEOUT, &st), 0);
		TEXPECT_EQ(st, 0);
	}
}

KTAP_TEST(owned_socket_limit)
{
	TEXPECT_EQ(tu_run_role(SELF, "limit", NULL), 0);
}

struct accept_try {
	const char *path;
	fd_t from;
	uint64_t result;
	int err;
};

static void accept_thread(void *arg)
{
	struct accept_try *a = arg;
	a->result = openat(a->from, a->path);
	a->err = errno;
}

KTAP_TEST(accept_aborted_when_listener_goes)
{
	char name[32];
	unique_name(name, "a");
	fd_t wfd, rd;
	pid_t pid = spawn_reporting((const char *[]){ "listener", name, NULL }, &wfd, &rd);
	TASSERT(pid != ERR);
	/*
	 * The child's socket directory is not ours to see (its namespace is
	 * not copied from ours): it hands us a descriptor of it, which is a
	 * capability, through SHARE.
	 */
	struct abi_key key;
	uint64_t n = read(rd, &key, sizeof(key));
	close(rd);
	TASSERT(n == sizeof(key));
	fd_t dir = claim(&key);
	TASSERT(dir != ERR);
	struct accept_try a = { "accept", dir, 0, 0 };
	struct tu_thread t;
	TASSERT(tu_thread_start(&t, accept_thread, &a));
	nanosleep(200 * TU_MS); /* let it block (if not, the socket is gone: ENOENT) */
	tu_kill(pid);
	int st;
	TEXPECT_EQ(tu_wait_fd(wfd, pid, TU_CHILD_TIMEOUT, &st), 0);
	TEXPECT(tu_thread_join(&t, 10 * TU_SEC));
	TEXPECT_EQ(a.result, ERR);
	if (a.err == ENOENT)
		ktap_diag("the accept opened after the listener went (a slow host): ENOENT");
	else
		TEXPECT_EQ(a.err, ECONNABORTED);
	TEXPECT_ERR(openat(dir, "accept"), ENOENT);
	TEXPECT_ERR(openat(dir, "ctl"), ENOENT);
	close(dir);
}

KTAP_TEST(global_socket_limit)
{
	/* Processes of up to 64 sockets each, until the system's NET_LOCAL_MAX_SOCKETS are reached. */
	enum { NPROC = NET_LOCAL_MAX_SOCKETS / NET_LOCAL_MAX_OWNED + 1 };
	pid_t pid[NPROC];
	fd_t wfd[NPROC];
	int made = 0, procs = 0;
	bool hit = false;
	for (; procs < NPROC && !hit; procs++) {
		fd_t rd;
		pid[procs] = spawn_reporting((const char *[]){ "hold", NULL }, &wfd[procs], &rd);
		if (pid[procs] == ERR) {
			TEXPECT(!"spawn");
			break;
		}
		int got[2] = { 0, 0 };
		TEXPECT_EQ(read(rd, got, sizeof(got)), sizeof(got));
		close(rd);
		made += got[0];
		if (got[0] < NET_LOCAL_MAX_OWNED) {
			TEXPECT_EQ(got[1], ENOMEM);
			hit = true;
		}
		tu_progress();
	}
	TEXPECT(hit);
	TEXPECT(made <= NET_LOCAL_MAX_SOCKETS);
	for (int i = 0; i < procs; i++) {
		if (pid[i] == ERR)
			continue;
		tu_kill(pid[i]);
		int st;
		TEXPECT_EQ(tu_wait_fd(wfd[i], pid[i], TU_CHILD_TIMEOUT, &st), 0);
	}
	/* All given back: a new socket can be made again. */
	char id[32];
	TEXPECT(sock_new(id));
}

/*
 * Namespaces (PW mounts a socket's directory in its creator's namespace,
 * propagated to the namespaces copied from it): a process spawned with
 * SPAWN_EMPTY_NS is unrelated. Given a descriptor of our /net, it finds
 * neither our socket's directory nor its name, and binds that name for
 * itself: names are per tree of related namespaces.
 */
KTAP_TEST(socket_hidden_from_unrelated_namespace)
{
	char sid[32], name[32];
	TASSERT(server_new(sid, unique_name(name, "u")));
	fd_t net = open("/net:directory");
	TASSERT(net != ERR);
	char netarg[16];
	snprintf(netarg, sizeof(netarg), "%llu", (unsigned long long)net);
	const char *argv[] = { SELF, "stranger", netarg, sid, name, NULL };
	fd_t wfd;
	pid_t pid = tu_spawn_watched(argv, SPAWN_EMPTY_NS, &wfd);
	TASSERT(pid != ERR);
	int st;
	TEXPECT_EQ(tu_wait_fd(wfd, pid, TU_CHILD_TIMEOUT, &st), 0);
	TEXPECT_EQ(st, 0); /* else the number of the check that failed (role_stranger) */
	close(net);
	/* Our name still leads to our listener. */
	fd_t cl = client_new(name, "");
	TEXPECT(cl != ERR);
	fd_t sv = sock_open(sid, "accept:nonblock");
	TEXPECT(sv != ERR);
	close(sv);
	close(cl);
}

/*
 * A child (its namespace copied from ours) sees our socket's directory and
 * connects by name; we do not see its socket's directory, nor does its
 * sibling, but the name it binds is seen by all of us (PW's init waits for
 * /net/local/listen/dwm, which its child dwm binds, and dwm's siblings
 * connect to it).
 */
KTAP_TEST(socket_directory_seen_only_below_its_creator)
{
	char sid[32], name[32], cname[32];
	TASSERT(server_new(sid, unique_name(name, "v")));
	unique_name(cname, "vc");
	fd_t wfd, rd;
	pid_t pid = spawn_reporting((const char *[]){ "inheritor", sid, name, cname, NULL }, &wfd, &rd);
	TASSERT(pid != ERR);
	char cid[32];
	uint64_t n = read(rd, cid, sizeof(cid) - 1);
	close(rd);
	TEXPECT(n != ERR && n > 0);
	cid[n == ERR ? 0 : n] = '\0';
	/* Its connection to us, and its message. */
	fd_t sv = sock_open(sid, "accept:nonblock");
	TEXPECT(sv != ERR);
	char buf[8];
	TEXPECT_EQ(read(sv, buf, sizeof(buf)), 2);
	close(sv);
	/* Its socket's directory: not ours to see (ENOENT, as a missing one), nor listed. */
	TEXPECT(n != ERR && n > 0 && cid[0] >= '0' && cid[0] <= '9');
	TEXPECT_ERR(sock_open(cid, "ctl"), ENOENT);
	TEXPECT_ERR(sock_open(cid, "data"), ENOENT);
	TEXPECT_ERR(sock_open(cid, "accept:nonblock"), ENOENT);
	char path[64];
	snprintf(path, sizeof(path), "/net/local/%s:directory", cid);
	TEXPECT_ERR(open(path), ENOENT);
	fd_t dir = open("/net/local:directory");
	TEXPECT(dir != ERR);
	TEXPECT(!dir_lists(dir, cid));
	TEXPECT(dir_lists(dir, sid));
	close(dir);
	/* Its sibling does not see it either. */
	TEXPECT_EQ(tu_run_role(SELF, "peek", cid, NULL), 0);
	/* Its name is seen here, and we connect to it. */
	TEXPECT(name_listed(cname));
	fd_t cl = client_new(cname, "");
	TEXPECT(cl != ERR);
	close(cl);
	tu_kill(pid);
	int st;
	TEXPECT_EQ(tu_wait_fd(wfd, pid, TU_CHILD_TIMEOUT, &st), 0);
}

/*
 * The lifetime (PW's): a socket lives while its creator or a process
 * whose namespace was copied from its creator's lives. The creator binds a
 * name, spawns a "keeper" (default flags) and an unrelated sleeper
 * (SPAWN_EMPTY_NS), and exits: the listener lives on with the keeper, and
 * goes when the keeper goes, though the sleeper still lives.
 */
KTAP_TEST(socket_lives_while_a_namespace_copy_lives)
{
	char name[32];
	unique_name(name, "l");
	fd_t wfd, rd;
	pid_t pid = spawn_reporting((const char *[]){ "creator", name, NULL }, &wfd, &rd);
	TASSERT(pid != ERR);
	pid_t kids[2] = { ERR, ERR };
	TEXPECT_EQ(read(rd, kids, sizeof(kids)), sizeof(kids));
	int st;
	TEXPECT_EQ(tu_wait_fd(wfd, pid, TU_CHILD_TIMEOUT, &st), 0);
	TEXPECT_EQ(st, 0);
	TASSERT(kids[0] != ERR && kids[1] != ERR);
	/* The keeper found the socket's directory after its creator ended. */
	char c = 0;
	TEXPECT_EQ(read(rd, &c, 1), 1);
	TEXPECT_EQ(c, 'k');
	close(rd);
	TEXPECT(name_listed(name));
	fd_t cl = client_new(name, "");
	TEXPECT(cl != ERR);
	/* The keeper goes: so does the listener, and our connection in its backlog is hung up. */
	tu_kill(kids[0]);
	TEXPECT_EQ(tu_wait(kids[0], TU_CHILD_TIMEOUT, &st), 0);
	TEXPECT_EQ(poll1(cl, POLLIN, 5 * TU_SEC), POLLIN | POLLHUP);
	close(cl);
	TEXPECT(!name_listed(name));
	TEXPECT_ERR(client_new(name, ""), ECONNREFUSED);
	tu_kill(kids[1]);
	TEXPECT_EQ(tu_wait(kids[1], TU_CHILD_TIMEOUT, &st), 0);
}

/* ---- helper roles ---- */

/* Exit code @code unless the last call failed with ENOENT. */
#define EXPECT_ENOENT(call, code)                        \
	do {                                             \
		if ((call) != ERR || errno != ENOENT)    \
			return (code);                   \
	} while (0)

/*
 * In an unrelated namespace (SPAWN_EMPTY_NS), with descriptor NET of the
 * parent's /net: socket ID and name NAME are not found, neither through
 * NET nor through a binding of it at /net; NAME is free to bind here.
 * Exit 0, or the number of the check that failed.
 */
static int role_stranger(fd_t net, const char *id, const char *name)
{
	char path[96];
	const char *files[] = { "data", "ctl", "accept:nonblock", "", ":directory" };
	for (int i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "local/%s/%s", id, files[i]);
		EXPECT_ENOENT(openat(net, path), 10 + i);
	}
	snprintf(path, sizeof(path), "local/listen/%s", name);
	EXPECT_ENOENT(openat(net, path), 20);
	fd_t dir = openat(net, "local:directory"), ldir = openat(net, "local/listen:directory");
	if (dir == ERR || ldir == ERR)
		return 21;
	if (dir_lists(dir, id))
		return 22;
	if (dir_lists(ldir, name))
		return 23;
	close(dir);
	close(ldir);
	if (bind(net, "/net", 0) == ERR)
		return 24;
	EXPECT_ENOENT(sock_open(id, "data"), 25);
	EXPECT_ENOENT(sock_open(id, "ctl"), 26);
	if (name_listed(name))
		return 27;
	/* Its own socket: the name is not there to connect to, and free to bind. */
	char mine[32], cmd[64];
	if (!sock_new(mine))
		return 30;
	snprintf(cmd, sizeof(cmd), "connect %s", name);
	if (ctl(mine, cmd) != ERR || errno != ECONNREFUSED)
		return 31;
	snprintf(cmd, sizeof(cmd), "bind %s && listen", name);
	if (ctl(mine, cmd) != 0)
		return 32;
	if (!name_listed(name))
		return 33;
	fd_t cl = client_new(name, "");
	if (cl == ERR)
		return 34;
	fd_t sv = sock_open(mine, "accept:nonblock");
	if (sv == ERR)
		return 35;
	return 0;
}

/*
 * A child with the parent's namespace copied: open the parent's socket ID's
 * ctl, connect to NAME and send "hi", bind CNAME and listen, write that
 * socket's id on fd W, wait to be killed.
 */
static int role_inheritor(const char *id, const char *name, const char *cname, fd_t w)
{
	fd_t c = sock_open(id, "ctl");
	if (c == ERR)
		return 10;
	close(c);
	fd_t dir = open("/net/local:directory");
	if (dir == ERR || !dir_lists(dir, id))
		return 11;
	close(dir);
	fd_t cl = client_new(name, "");
	if (cl == ERR || write(cl, "hi", 2) != 2)
		return 12;
	char sid[32];
	if (!server_new(sid, cname))
		return 13;
	write(w, sid, strlen(sid));
	for (;;)
		nanosleep(TU_SEC);
}

/* A sibling of the socket ID's creator: its directory is not found. */
static int role_peek(const char *id)
{
	EXPECT_ENOENT(sock_open(id, "ctl"), 10);
	fd_t dir = open("/net/local:directory");
	if (dir == ERR || dir_lists(dir, id))
		return 11;
	return 0;
}

/*
 * bind NAME and listen (no descriptor kept), spawn a keeper (namespace
 * copied) and a sleeper (SPAWN_EMPTY_NS), write their pids on fd W, exit.
 */
static int role_creator(const char *name, fd_t w)
{
	char sid[32], me[24], warg[16];
	if (!server_new(sid, name))
		return 10;
	snprintf(me, sizeof(me), "%llu", (unsigned long long)getpid());
	snprintf(warg, sizeof(warg), "%llu", (unsigned long long)w);
	const char *keeper[] = { SELF, "keeper", sid, me, warg, NULL };
	const char *sleeper[] = { SELF, "sleeper", NULL };
	pid_t kids[2] = { spawn(keeper, SPAWN_DEFAULT), spawn(sleeper, SPAWN_EMPTY_NS | SPAWN_EMPTY_FDS) };
	write(w, kids, sizeof(kids));
	return kids[0] == ERR || kids[1] == ERR ? 11 : 0;
}

/*
 * Below CREATOR (a pid), the creator of socket ID, with its report pipe's
 * write end W inherited: once the creator has ended, write 'k' on W if the
 * socket's ctl opens, else 'x'; wait to be killed.
 */
static int role_keeper(const char *id, pid_t creator, fd_t w)
{
	int st;
	if (tu_wait(creator, TU_CHILD_TIMEOUT, &st) != 0)
		write(w, "w", 1);
	fd_t c = sock_open(id, "ctl");
	write(w, c == ERR ? "x" : "k", 1);
	if (c != ERR)
		close(c); /* an open file would keep the socket by itself */
	for (;;)
		nanosleep(TU_SEC);
}

/* connect to NAME, send MSG, exit (the socket goes with this process). */
static int role_client(const char *name, const char *msg)
{
	fd_t fd = client_new(name, "");
	if (fd == ERR)
		return 10;
	return write(fd, msg, strlen(msg)) == strlen(msg) ? 0 : 11;
}

/* connect to NAME and echo every message until end of file. */
static int role_echo(const char *name)
{
	fd_t fd = client_new(name, "");
	if (fd == ERR)
		return 10;
	static char buf[NET_LOCAL_MAX_MSG];
	for (;;) {
		uint64_t n = read(fd, buf, sizeof(buf));
		if (n == 0)
			return 0;
		if (n == ERR)
			return 11;
		if (write(fd, buf, n) != n)
			return 12;
	}
}

/* bind NAME and listen, say so on fd W, accept two, say so, wait to be killed. */
static int role_server(const char *name, fd_t w)
{
	char sid[32];
	if (!server_new(sid, name))
		return 10;
	write(w, "l", 1);
	fd_t a = sock_open(sid, "accept"), b = sock_open(sid, "accept");
	if (a == ERR || b == ERR)
		return 11;
	write(w, "a", 1);
	for (;;)
		nanosleep(TU_SEC);
}

/* 32 clients of NAME numbered from FIRST: each sends its number and reads it back. */
static int role_clients(const char *name, int first)
{
	fd_t fd[32];
	for (int i = 0; i < 32; i++) {
		fd[i] = client_new(name, "");
		if (fd[i] == ERR)
			return 10;
		char msg[16];
		int len = snprintf(msg, sizeof(msg), "%d", first + i);
		if (write(fd[i], msg, (uint64_t)len) != (uint64_t)len)
			return 11;
	}
	for (int i = 0; i < 32; i++) {
		char msg[16], want[16];
		int len = snprintf(want, sizeof(want), "%d", first + i);
		if (read(fd[i], msg, sizeof(msg)) != (uint64_t)len || memcmp(msg, want, (size_t)len) != 0)
			return 12;
	}
	return 0;
}

/* bind NAME and listen, SHARE the socket's directory and write the key on fd W, wait to be killed. */
static int role_listener(const char *name, fd_t w)
{
	char sid[32], path[64];
	if (!server_new(sid, name))
		return 10;
	snprintf(path, sizeof(path), "/net/local/%s:directory", sid);
	fd_t dir = open(path);
	struct abi_key key;
	if (dir == ERR || share(&key, dir, CLOCKS_NEVER) != 0)
		return 11;
	close(dir); /* the key holds the open file */
	write(w, &key, sizeof(key));
	for (;;)
		nanosleep(TU_SEC);
}

/* Make sockets until 64 or a failure, write { count, errno } on fd W, wait to be killed. */
static int role_hold(fd_t w)
{
	int got[2] = { 0, 0 };
	char id[32];
	while (got[0] < NET_LOCAL_MAX_OWNED && sock_new(id))
		got[0]++;
	if (got[0] < NET_LOCAL_MAX_OWNED)
		got[1] = errno;
	write(w, got, sizeof(got));
	for (;;)
		nanosleep(TU_SEC);
}

/* A process owns at most NET_LOCAL_MAX_OWNED sockets: then EMFILE. */
static int role_limit(void)
{
	char id[32];
	for (int i = 0; i < NET_LOCAL_MAX_OWNED; i++)
		if (!sock_new(id))
			return 10;
	if (open("/net/local/seqpacket") != ERR || errno != EMFILE)
		return 11;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "client") == 0)
		return role_client(argv[2], argv[3]);
	if (argc >= 3 && strcmp(argv[1], "echo") == 0)
		return role_echo(argv[2]);
	if (argc >= 4 && strcmp(argv[1], "server") == 0)
		return role_server(argv[2], (fd_t)strtoull(argv[3], NULL, 10));
	if (argc >= 4 && strcmp(argv[1], "clients") == 0)
		return role_clients(argv[2], atoi(argv[3]));
	if (argc >= 4 && strcmp(argv[1], "listener") == 0)
		return role_listener(argv[2], (fd_t)strtoull(argv[3], NULL, 10));
	if (argc >= 3 && strcmp(argv[1], "hold") == 0)
		return role_hold((fd_t)strtoull(argv[2], NULL, 10));
	if (argc >= 2 && strcmp(argv[1], "limit") == 0)
		return role_limit();
	if (argc >= 5 && strcmp(argv[1], "stranger") == 0)
		return role_stranger((fd_t)strtoull(argv[2], NULL, 10), argv[3], argv[4]);
	if (argc >= 6 && strcmp(argv[1], "inheritor") == 0)
		return role_inheritor(argv[2], argv[3], argv[4], (fd_t)strtoull(argv[5], NULL, 10));
	if (argc >= 3 && strcmp(argv[1], "peek") == 0)
		return role_peek(argv[2]);
	if (argc >= 4 && strcmp(argv[1], "creator") == 0)
		return role_creator(argv[2], (fd_t)strtoull(argv[3], NULL, 10));
	if (argc >= 5 && strcmp(argv[1], "keeper") == 0)
		return role_keeper(argv[2], (pid_t)strtoull(argv[3], NULL, 10), (fd_t)strtoull(argv[4], NULL, 10));
	if (argc >= 2 && strcmp(argv[1], "sleeper") == 0)
		for (;;)
			nanosleep(TU_SEC);
	return tu_ktap_main(60 * TU_SEC);
}
