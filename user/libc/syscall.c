// SPDX-License-Identifier: MIT
// Typed wrappers for the 34 system calls: raw call, then on failure copy the
// kernel's per-thread error code into errno (spec §2.3).
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/futex.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/*
 * Each wrapper names its call once (SYS_<NAME>) and checks, at compile time,
 * that it passes the number of arguments and expects the kind of result that
 * kernel/abi/syscalls.h lists for it. So the list stays the only place where
 * numbers, argument counts and failure values are written.
 */
#define KIND_INT 0
#define KIND_PTR 1
#define KIND_NONE 2
#define SYSCALL_META_(num, name, nargs, result) \
	NARGS_##name = nargs, KIND_##name = KIND_##result,
enum { SYSCALL_LIST(SYSCALL_META_) };
#undef SYSCALL_META_

#define CHECK_(name, n, kind)                                                      \
	_Static_assert(NARGS_##name == (n), "SYS_" #name ": wrong argument count"); \
	_Static_assert(KIND_##name == (kind), "SYS_" #name ": wrong result kind")

/* The kernel's code for the failure we just saw. SYS_ERRNO itself never fails. */
static void fetch_errno(void)
{
	errno = (int)syscall0(SYS_ERRNO);
}

static uint64_t int_result(uint64_t r)
{
	if (r == ERR)
		fetch_errno();
	return r;
}

static void *ptr_result(uint64_t r)
{
	if (r == 0)
		fetch_errno();
	return (void *)r;
}

/* CALL_INT(NAME, n, args...): SYS_NAME with n arguments, an ERR-style result. */
#define CALL_INT(name, n, ...)                   \
	({                                       \
		CHECK_(name, n, KIND_INT);       \
		int_result(syscall##n(SYS_##name, ##__VA_ARGS__)); \
	})
#define CALL_PTR(name, n, ...)                   \
	({                                       \
		CHECK_(name, n, KIND_PTR);       \
		ptr_result(syscall##n(SYS_##name, ##__VA_ARGS__)); \
	})
/* Calls that cannot fail: no errno traffic at all. */
#define CALL_NOFAIL(name, n, ...)                \
	({                                       \
		CHECK_(name, n, KIND_INT);       \
		syscall##n(SYS_##name, ##__VA_ARGS__); \
	})

#define U(x) ((uint64_t)(x))

void process_exit(int32_t status)
{
	CHECK_(PROCESS_EXIT, 1, KIND_NONE);
	/* Sign-extending is harmless: the kernel reads only the low 32 bits (§2.2). */
	syscall1(SYS_PROCESS_EXIT, U(status));
	for (;;)
		__asm__ volatile("ud2");
}

void thread_exit(void)
{
	CHECK_(THREAD_EXIT, 0, KIND_NONE);
	syscall0(SYS_THREAD_EXIT);
	for (;;)
		__asm__ volatile("ud2");
}

pid_t spawn(const char **argv, spawn_flags_t flags)
{
	return CALL_INT(SPAWN, 2, U(argv), U(flags));
}

uint64_t nanosleep(clock_t nanoseconds)
{
	return CALL_INT(NANOSLEEP, 1, U(nanoseconds));
}

errno_t errno_get(void)
{
	return (errno_t)CALL_NOFAIL(ERRNO, 0);
}

pid_t getpid(void)
{
	return CALL_NOFAIL(GETPID, 0);
}

tid_t gettid(void)
{
	return CALL_NOFAIL(GETTID, 0);
}

clock_t uptime(void)
{
	return CALL_NOFAIL(UPTIME, 0);
}

time_t unix_epoch(time_t *out)
{
	/* Always load RDI: PW libc forgot to, and the kernel writes through it (§11 row 13). */
	return CALL_INT(UNIX_EPOCH, 1, U(out));
}

fd_t open(const char *path)
{
	return CALL_INT(OPEN, 1, U(path));
}

uint64_t open2(const char *path, fd_t fds[2])
{
	return CALL_INT(OPEN2, 2, U(path), U(fds));
}

uint64_t close(fd_t fd)
{
	return CALL_INT(CLOSE, 1, U(fd));
}

uint64_t read(fd_t fd, void *buf, uint64_t count)
{
	return CALL_INT(READ, 3, U(fd), U(buf), count);
}

uint64_t write(fd_t fd, const void *buf, uint64_t count)
{
	return CALL_INT(WRITE, 3, U(fd), U(buf), count);
}

uint64_t seek(fd_t fd, int64_t offset, seek_origin_t origin)
{
	return CALL_INT(SEEK, 3, U(fd), U(offset), U(origin));
}

uint64_t ioctl(fd_t fd, uint64_t request, void *argp, uint64_t size)
{
	return CALL_INT(IOCTL, 4, U(fd), request, U(argp), size);
}

uint64_t chdir(const char *path)
{
	return CALL_INT(CHDIR, 1, U(path));
}

uint64_t poll(struct abi_pollfd *fds, uint64_t amount, clock_t timeout)
{
	return CALL_INT(POLL, 3, U(fds), amount, U(timeout));
}

uint64_t stat(const char *path, struct abi_stat *out)
{
	return CALL_INT(STAT, 2, U(path), U(out));
}

void *mmap(fd_t fd, void *addr, uint64_t length, prot_t prot)
{
	return CALL_PTR(MMAP, 4, U(fd), U(addr), length, U(prot));
}

void *munmap(void *addr, uint64_t length)
{
	return CALL_PTR(MUNMAP, 2, U(addr), length);
}

void *mprotect(void *addr, uint64_t length, prot_t prot)
{
	return CALL_PTR(MPROTECT, 3, U(addr), length, U(prot));
}

uint64_t getdents(fd_t fd, struct abi_dirent *buf, uint64_t count)
{
	return CALL_INT(GETDENTS, 3, U(fd), U(buf), count);
}

tid_t thread_create(void *entry, void *arg)
{
	return CALL_INT(THREAD_CREATE, 2, U(entry), U(arg));
}

uint64_t yield(void)
{
	return CALL_NOFAIL(YIELD, 0);
}

fd_t dup(fd_t old)
{
	return CALL_INT(DUP, 1, U(old));
}

fd_t dup2(fd_t old, fd_t new)
{
	return CALL_INT(DUP2, 2, U(old), U(new));
}

uint64_t futex(_Atomic(uint64_t) *addr, uint64_t val, futex_op_t op, clock_t timeout)
{
	return CALL_INT(FUTEX, 4, U(addr), val, U(op), U(timeout));
}

uint64_t remove(const char *path)
{
	return CALL_INT(REMOVE, 1, U(path));
}

uint64_t link(const char *old, const char *new)
{
	return CALL_INT(LINK, 2, U(old), U(new));
}

uint64_t share(struct abi_key *key_out, fd_t fd, clock_t timeout)
{
	return CALL_INT(SHARE, 3, U(key_out), U(fd), U(timeout));
}

fd_t claim(const struct abi_key *key)
{
	return CALL_INT(CLAIM, 1, U(key));
}

uint64_t bind(fd_t source, const char *mountpoint, mount_flags_t flags)
{
	return CALL_INT(BIND, 3, U(source), U(mountpoint), U(flags));
}

fd_t openat(fd_t from, const char *path)
{
	return CALL_INT(OPENAT, 2, U(from), U(path));
}
