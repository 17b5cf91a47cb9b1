// SPDX-License-Identifier: MIT
// bench: file-layer micro-benchmarks, timed with SYS_UPTIME, printed as
// "name ns_per_op" lines (make bench):
//   open_close_ramfs         open + close of an existing RAM-fs file
//   read_4k_ramfs            one 4 KiB read of a cached RAM-fs file
//   pipe_pingpong_roundtrip  one byte there and back between two processes
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/proc.h>
#include <sys/syscall.h>

static void report(const char *name, clock_t start, uint64_t ops)
{
	printf("%s %llu\n", name, (unsigned long long)((uptime() - start) / ops));
}

static void open_close(void)
{
	fd_t fd = open("/tmp/bench-file:c");
	close(fd);
	enum { N = 2000 };
	clock_t t0 = uptime();
	for (int i = 0; i < N; i++)
		close(open("/tmp/bench-file"));
	report("open_close_ramfs", t0, N);
}

static void read_4k(void)
{
	static char buf[4096];
	fd_t fd = open("/tmp/bench-data:c");
	memset(buf, 'b', sizeof(buf));
	for (int i = 0; i < 64; i++)
		write(fd, buf, sizeof(buf)); /* 256 KiB */
	enum { N = 2000 };
	seek(fd, 0, SEEK_SET);
	clock_t t0 = uptime();
	for (int i = 0; i < N; i++) {
		if (read(fd, buf, sizeof(buf)) != sizeof(buf))
			seek(fd, 0, SEEK_SET); /* wrap around: rare, and cheap */
	}
	report("read_4k_ramfs", t0, N);
	close(fd);
	remove("/tmp/bench-data");
	remove("/tmp/bench-file");
}

static void pingpong(const char *self)
{
	fd_t there[2], back[2];
	open2("/dev/pipe/new", there);
	open2("/dev/pipe/new", back);
	char a[8], b[8], c1[8], c2[8];
	snprintf(a, sizeof(a), "%llu", (unsigned long long)there[0]);
	snprintf(b, sizeof(b), "%llu", (unsigned long long)back[1]);
	snprintf(c1, sizeof(c1), "%llu", (unsigned long long)there[1]);
	snprintf(c2, sizeof(c2), "%llu", (unsigned long long)back[0]);
	/* The child inherits every slot: it closes the two ends it must not hold. */
	const char *argv[] = { self, "pong", a, b, c1, c2, NULL };
	pid_t pid = spawn(argv, SPAWN_DEFAULT);
	char c = 'x';
	/* Warm up: the child is running once the first byte comes back. */
	write(there[1], &c, 1);
	read(back[0], &c, 1);
	enum { N = 500 };
	clock_t t0 = uptime();
	for (int i = 0; i < N; i++) {
		write(there[1], &c, 1);
		read(back[0], &c, 1);
	}
	report("pipe_pingpong_roundtrip", t0, N);
	close(there[1]); /* the child sees end of stream and exits */
	wait_pid(pid, NULL);
	close(there[0]);
	close(back[0]);
	close(back[1]);
}

int main(int argc, char **argv)
{
	if (argc >= 6 && strcmp(argv[1], "pong") == 0) {
		fd_t in = (fd_t)strtoull(argv[2], NULL, 10), out = (fd_t)strtoull(argv[3], NULL, 10);
		close((fd_t)strtoull(argv[4], NULL, 10));
		close((fd_t)strtoull(argv[5], NULL, 10));
		char c;
		while (read(in, &c, 1) == 1)
			write(out, &c, 1);
		return 0;
	}
	open_close();
	read_4k();
	pingpong(argc > 0 ? argv[0] : "/bin/bench");
	return 0;
}
