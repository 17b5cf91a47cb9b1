// SPDX-License-Identifier: MIT
// sys_share: SHARE and CLAIM (spec §7 numbers 30, 31) and shared memory
// through /dev/shmem/new (§8.4), within one process and across two.
// With an argument this program is one of its own helper children.
#include <errno.h>
#include <fcntl.h>
#include <ktap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/proc.h>
#include <time.h>
#include <unistd.h>

static int run_child(const char *role, fd_t stdin_fd)
{
	/* The child reads its key from fd 0: put the pipe there for the spawn. */
	fd_t saved = dup(0);
	dup2(stdin_fd, 0);
	const char *argv[] = { "/bin/tests/sys_share", role, NULL };
	pid_t pid = spawn(argv, SPAWN_STDIO_FDS);
	dup2(saved, 0);
	close(saved);
	if (pid == ERR)
		return -1000;
	int status = -1000;
	if (wait_pid(pid, &status) != 0)
		return -1001;
	return status;
}

static fd_t temp_file(const char *name, const char *content)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/%s:rwct", name);
	fd_t fd = open(path);
	if (fd != ERR && content)
		write(fd, content, strlen(content));
	return fd;
}

KTAP_TEST(claim_in_same_process_shares_position)
{
	fd_t fd = temp_file("share1", "abcdef");
	TASSERT(fd != ERR);
	seek(fd, 2, SEEK_SET);
	struct abi_key k;
	TEXPECT_EQ(share(&k, fd, CLOCKS_NEVER), 0);
	fd_t c = claim(&k);
	TASSERT(c != ERR);
	TEXPECT(c != fd);
	char b[2] = { 0 };
	TEXPECT_EQ(read(c, b, 1), 1);
	TEXPECT_EQ(b[0], 'c'); /* the sharer's position */
	TEXPECT_EQ(seek(fd, 0, SEEK_CUR), 3); /* and it moved for both */
	TEXPECT_ERR(claim(&k), ENOENT); /* one-shot */
	close(c);
	close(fd);
}

KTAP_TEST(random_key_refused)
{
	struct abi_key k;
	memset(&k, 0x5a, sizeof(k));
	TEXPECT_ERR(claim(&k), ENOENT);
}

KTAP_TEST(expired_keys_refused)
{
	fd_t fd = temp_file("share2", "x");
	TASSERT(fd != ERR);
	struct abi_key k;
	TEXPECT_EQ(share(&k, fd, 0), 0);
	TEXPECT_ERR(claim(&k), ENOENT);
	TEXPECT_EQ(share(&k, fd, 50 * 1000 * 1000ULL), 0);
	nanosleep(100 * 1000 * 1000ULL);
	TEXPECT_ERR(claim(&k), ENOENT);
	close(fd);
}

KTAP_TEST(claim_after_sharer_closed)
{
	fd_t fd = temp_file("share3", "hello");
	TASSERT(fd != ERR);
	seek(fd, 0, SEEK_SET);
	struct abi_key k;
	TEXPECT_EQ(share(&k, fd, CLOCKS_NEVER), 0);
	close(fd);
	fd_t c = claim(&k);
	TASSERT(c != ERR);
	char b[6] = { 0 };
	TEXPECT_EQ(read(c, b, 5), 5);
	TEXPECT_STREQ(b, "hello");
	close(c);
}

KTAP_TEST(bad_arguments)
{
	fd_t fd = temp_file("share4", NULL);
	TASSERT(fd != ERR);
	struct abi_key k;
	TEXPECT_ERR(share(NULL, fd, CLOCKS_NEVER), EFAULT);
	TEXPECT_ERR(share((struct abi_key *)0xFFFFFFFF80000000ULL, fd, CLOCKS_NEVER), EFAULT);
	TEXPECT_ERR(share(&k, 99, CLOCKS_NEVER), EBADF);
	TEXPECT_ERR(share(&k, FD_NONE, CLOCKS_NEVER), EBADF);
	/* An output in a read-only mapping: the key is withdrawn, not left live. */
	fd_t zero = open("/dev/zero");
	struct abi_key *ro = mmap(zero, NULL, 4096, PROT_READ);
	TASSERT(ro != NULL);
	TEXPECT_ERR(share(ro, fd, CLOCKS_NEVER), EFAULT);
	munmap(ro, 4096);
	close(zero);
	TEXPECT_ERR(claim(NULL), EFAULT);
	TEXPECT_ERR(claim((struct abi_key *)0x1000), EFAULT);
	close(fd);
}

KTAP_TEST(emfile_keeps_key_claimable)
{
	fd_t fd = temp_file("share5", "z");
	TASSERT(fd != ERR);
	struct abi_key k;
	TEXPECT_EQ(share(&k, fd, CLOCKS_NEVER), 0);
	fd_t filler[64];
	int n = 0;
	for (; n < 64; n++) {
		filler[n] = dup(fd);
		if (filler[n] == ERR)
			break;
	}
	TEXPECT_ERR(claim(&k), EMFILE);
	close(filler[--n]);
	fd_t c = claim(&k);
	TEXPECT(c != ERR);
	close(c);
	while (n > 0)
		close(filler[--n]);
	close(fd);
}

/* Child: read a key from fd 0, claim it, read the file behind it, check the text. */
static int child_claim_read(void)
{
	struct abi_key k;
	if (read(0, &k, sizeof(k)) != sizeof(k))
		return 10;
	fd_t c = claim(&k);
	if (c == ERR)
		return 11;
	char b[16] = { 0 };
	if (read(c, b, 6) != 6 || strcmp(b, "secret") != 0)
		return 12;
	return 0;
}

KTAP_TEST(key_through_pipe_claimed_by_child)
{
	fd_t fd = temp_file("share6", "secret");
	TASSERT(fd != ERR);
	seek(fd, 0, SEEK_SET);
	fd_t p[2];
	TASSERT(open2("/dev/pipe/new", p) == 0);
	struct abi_key k;
	TEXPECT_EQ(share(&k, fd, CLOCKS_NEVER), 0);
	TEXPECT_EQ(write(p[1], &k, sizeof(k)), sizeof(k));
	TEXPECT_EQ(run_child("child-claim-read", p[0]), 0);
	close(p[0]);
	close(p[1]);
	close(fd);
}

/* Child: claim a shmem key from fd 0, map it, check the parent's word, write its own. */
static int child_shmem(void)
{
	struct abi_key k;
	if (read(0, &k, sizeof(k)) != sizeof(k))
		return 20;
	fd_t c = claim(&k);
	if (c == ERR)
		return 21;
	volatile uint64_t *m = mmap(c, NULL, 2 * 4096, PROT_READ | PROT_WRITE);
	if (!m)
		return 22;
	if (m[0] != 0x1234567890ULL || m[512] != 0)
		return 23;
	m[513] = 0xfeedULL;
	return 0;
}

KTAP_TEST(shmem_shared_between_processes)
{
	fd_t s = open("/dev/shmem/new");
	TASSERT(s != ERR);
	volatile uint64_t *m = mmap(s, NULL, 2 * 4096, PROT_READ | PROT_WRITE);
	TASSERT(m != NULL);
	TEXPECT_EQ(m[0], 0); /* OUR CHOICE: zero-filled */
	TEXPECT_EQ(m[1023], 0);
	m[0] = 0x1234567890ULL;
	fd_t p[2];
	TASSERT(open2("/dev/pipe/new", p) == 0);
	struct abi_key k;
	TEXPECT_EQ(share(&k, s, CLOCKS_NEVER), 0);
	TEXPECT_EQ(write(p[1], &k, sizeof(k)), sizeof(k));
	TEXPECT_EQ(run_child("child-shmem", p[0]), 0);
	TEXPECT_EQ(m[513], 0xfeedULL); /* the child's write is visible here */
	/* A second mapping of the same object shows the same pages. */
	volatile uint64_t *m2 = mmap(s, NULL, 4096, PROT_READ);
	TASSERT(m2 != NULL);
	TEXPECT_EQ(m2[0], 0x1234567890ULL);
	TEXPECT(munmap((void *)m2, 4096) != NULL);
	TEXPECT(munmap((void *)m, 2 * 4096) != NULL);
	TEXPECT_ERR(read(s, (void *)&k, 1), ENOSYS);
	TEXPECT_ERR(seek(s, 0, SEEK_SET), ESPIPE);
	close(s);
	close(p[0]);
	close(p[1]);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child-claim-read") == 0)
		return child_claim_read();
	if (argc > 1 && strcmp(argv[1], "child-shmem") == 0)
		return child_shmem();
	return ktap_main();
}
