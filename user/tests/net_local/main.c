// SPDX-License-Identifier: MIT
// net_local: PatchworkOS's local seqpacket sockets under /net/local (the
// contract is kernel/abi/net_local.h): the factory and ctl commands, message
// boundaries, blocking and nonblock, poll, hang-ups, a server that dies with
// clients waiting, 64 clients on one listener, limits and bad input.
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

/* Helper thread: after @arg ms, a note to this process's first thread. */
static void note_later(void *arg)
{
	nanosleep((uint64_t)(uintptr_t)arg * TU_MS);
	char path[48];
	snprintf(path, sizeof(path), "/proc/%llu/note", (unsigned long long)getpid());
	fd_t fd = open(path);
	if (fd != ERR) {
		write(fd, "wake", 4);
		close(fd);
	}
}

KTAP_TEST(notes_interrupt_blocked_calls)
{
	char sid[32], name[32];
	TASSERT(server_new(sid, unique_name(name, "i")));
	struct tu_thread t;
	/* A blocked accept. */
	TASSERT(tu_thread_start(&t, note_later, (void *)(uintptr_t)30));
	TEXPECT_ERR(sock_open(sid, "accept"), EINTR);
	TEXPECT(tu_thread_join(&t, 10 * TU_SEC));
	fd_t cl = client_new(name, "");
	fd_t sv = sock_open(sid, "accept");
	TASSERT(cl != ERR && sv != ERR);
	/* A blocked read. */
	char buf[64];
	TASSERT(tu_thread_start(&t, note_later, (void *)(uintptr_t)30));
	TEXPECT_ERR(read(cl, buf, sizeof(buf)), EINTR);
	TEXPECT(tu_thread_join(&t, 10 * TU_SEC));
	/* A blocked write (the queue full). */
	static char big[NET_LOCAL_MAX_MSG];
	TEXPECT_EQ(write(cl, big, sizeof(big)), sizeof(big));
	TASSERT(tu_thread_start(&t, note_later, (void *)(uintptr_t)30));
	TEXPECT_ERR(write(cl, buf, 1), EINTR);
	TEXPECT(tu_thread_join(&t, 10 * TU_SEC));
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
	fd_t p[2];
	TASSERT(open2("/dev/pipe/new", p) == 0);
	char wfdarg[16];
	snprintf(wfdarg, sizeof(wfdarg), "%llu", (unsigned long long)p[1]);
	fd_t wfd;
	const char *argv[] = { SELF, "server", name, wfdarg, NULL };
	pid_t pid = tu_spawn_watched(argv, 0, &wfd);
	TASSERT(pid != ERR);
	close(p[1]);
	char c;
	TEXPECT_EQ(read(p[0], &c, 1), 1); /* listening */
	/* Two accepted by the server (it keeps them), two waiting in its backlog. */
	fd_t cl[4];
	for (int i = 0; i < 4; i++) {
		cl[i] = client_new(name, "");
		TEXPECT(cl[i] != ERR);
		TEXPECT_EQ(write(cl[i], "hi", 2), 2);
	}
	TEXPECT_EQ(read(p[0], &c, 1), 1); /* two accepted */
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
	close(p[0]);
	/* The name is free again, and gone from /net/local/listen. */
	char lpath[64];
	struct abi_stat lst;
	snprintf(lpath, sizeof(lpath), "/net/local/listen/%s", name);
	TEXPECT_ERR(stat(lpath, &lst), ENOENT);
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
	uint64_t result;
	int err;
};

static void accept_thread(void *arg)
{
	struct accept_try *a = arg;
	a->result = open(a->path);
	a->err = errno;
}

KTAP_TEST(accept_aborted_when_listener_goes)
{
	char name[32];
	unique_name(name, "a");
	fd_t p[2];
	TASSERT(open2("/dev/pipe/new", p) == 0);
	char wfdarg[16];
	snprintf(wfdarg, sizeof(wfdarg), "%llu", (unsigned long long)p[1]);
	fd_t wfd;
	const char *argv[] = { SELF, "listener", name, wfdarg, NULL };
	pid_t pid = tu_spawn_watched(argv, 0, &wfd);
	TASSERT(pid != ERR);
	close(p[1]);
	char id[32];
	uint64_t n = read(p[0], id, sizeof(id) - 1);
	close(p[0]);
	TASSERT(n != ERR && n > 0);
	id[n] = '\0';
	char path[64];
	snprintf(path, sizeof(path), "/net/local/%s/accept", id);
	struct accept_try a = { path, 0, 0 };
	struct tu_thread t;
	TASSERT(tu_thread_start(&t, accept_thread, &a));
	nanosleep(200 * TU_MS); /* let it block (if not, the directory is gone: ENOENT) */
	tu_kill(pid);
	int st;
	TEXPECT_EQ(tu_wait_fd(wfd, pid, TU_CHILD_TIMEOUT, &st), 0);
	TEXPECT(tu_thread_join(&t, 10 * TU_SEC));
	TEXPECT_EQ(a.result, ERR);
	if (a.err == ENOENT)
		ktap_diag("the accept opened after the listener went (a slow host): ENOENT");
	else
		TEXPECT_EQ(a.err, ECONNABORTED);
	TEXPECT_ERR(open(path), ENOENT);
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
		fd_t p[2];
		TASSERT(open2("/dev/pipe/new", p) == 0);
		char wfdarg[16];
		snprintf(wfdarg, sizeof(wfdarg), "%llu", (unsigned long long)p[1]);
		const char *argv[] = { SELF, "hold", wfdarg, NULL };
		pid[procs] = tu_spawn_watched(argv, 0, &wfd[procs]);
		close(p[1]);
		if (pid[procs] == ERR) {
			close(p[0]);
			TEXPECT(!"spawn");
			break;
		}
		int got[2] = { 0, 0 };
		TEXPECT_EQ(read(p[0], got, sizeof(got)), sizeof(got));
		close(p[0]);
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

/* ---- helper roles ---- */

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

/* bind NAME and listen, write the socket's id on fd W, wait to be killed. */
static int role_listener(const char *name, fd_t w)
{
	char sid[32];
	if (!server_new(sid, name))
		return 10;
	write(w, sid, strlen(sid));
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
	return tu_ktap_main(60 * TU_SEC);
}
