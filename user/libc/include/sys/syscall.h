// SPDX-License-Identifier: MIT
// The 34 PatchworkOS system calls: raw syscallN() and one typed wrapper each.
#ifndef QUILT_LIBC_SYS_SYSCALL_H
#define QUILT_LIBC_SYS_SYSCALL_H

#include <stdint.h>
#include <sys/types.h>

#include "kernel/abi/syscalls.h"
#include "kernel/abi/types.h"

/*
 * Raw calls (spec §2.1): number in RAX, arguments in RDI, RSI, RDX, R10; the
 * result comes back in RAX. The CPU destroys RCX (return RIP) and R11
 * (RFLAGS); the arithmetic flags are clobbered; the kernel may read and write
 * memory we point it at. Every other register survives, so the argument
 * registers are plain inputs. These never touch errno: they are what tests
 * use to pass garbage upper bits or out-of-range numbers, and what libc uses
 * internally where errno must not change (mutexes, start-up probes).
 * Context: any thread.
 */
static inline uint64_t syscall0(uint64_t num)
{
	uint64_t ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(num) : "rcx", "r11", "cc", "memory");
	return ret;
}

static inline uint64_t syscall1(uint64_t num, uint64_t a1)
{
	uint64_t ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(num), "D"(a1) : "rcx", "r11", "cc", "memory");
	return ret;
}

static inline uint64_t syscall2(uint64_t num, uint64_t a1, uint64_t a2)
{
	uint64_t ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(num), "D"(a1), "S"(a2)
			 : "rcx", "r11", "cc", "memory");
	return ret;
}

static inline uint64_t syscall3(uint64_t num, uint64_t a1, uint64_t a2, uint64_t a3)
{
	uint64_t ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(num), "D"(a1), "S"(a2), "d"(a3)
			 : "rcx", "r11", "cc", "memory");
	return ret;
}

static inline uint64_t syscall4(uint64_t num, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	uint64_t ret;
	/* R10 has no constraint letter; argument 4 goes there because syscall eats RCX. */
	register uint64_t r10 __asm__("r10") = a4;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(num), "D"(a1), "S"(a2), "d"(a3), "r"(r10)
			 : "rcx", "r11", "cc", "memory");
	return ret;
}

/*
 * Typed wrappers, named as in the prototype column of spec §2.6. Each returns
 * the kernel's raw result. On failure -- ERR ((uint64_t)-1) for integer
 * results, NULL for mmap/munmap/mprotect -- it has already asked the kernel
 * for the error code (SYS_ERRNO) and stored it in the calling thread's errno.
 * On success errno is left alone. See spec §7 for each call's semantics.
 * Context: any thread; the ones that wait (nanosleep, read/write on pipes,
 * poll, futex wait, ...) may block.
 */

/* process_exit - end the whole process with @status (low 32 bits, §7.0). Prefer exit(). */
__attribute__((noreturn)) void process_exit(int32_t status);
/* thread_exit - end the calling thread; the last thread ends the process with 0 (§7.1). */
__attribute__((noreturn)) void thread_exit(void);
/* spawn - start argv[0] as a new process (§7.2). Returns its pid or ERR. */
pid_t spawn(const char **argv, spawn_flags_t flags);
/* nanosleep - sleep at least @nanoseconds. Returns 0, or ERR (EINTR). */
uint64_t nanosleep(clock_t nanoseconds);
/* errno_get - the kernel's error slot of this thread (§2.3); never fails, no errno change. */
errno_t errno_get(void);
/* getpid/gettid - this process's id / this thread's id within its process. Never fail. */
pid_t getpid(void);
tid_t gettid(void);
/* uptime - nanoseconds since boot, monotonic. Never fails. */
clock_t uptime(void);
/* unix_epoch - wall-clock seconds; also stored in *@out unless @out is NULL (§7.8). */
time_t unix_epoch(time_t *out);
/* open - open @path ("name[:flags]", §5) and return the lowest free descriptor, or ERR. */
fd_t open(const char *path);
/* open2 - open @path twice into @fds[0], @fds[1] (a pipe for "/dev/pipe/new"). 0 or ERR. */
uint64_t open2(const char *path, fd_t fds[2]);
/* close - release descriptor @fd. 0 or ERR. */
uint64_t close(fd_t fd);
/* read - up to @count bytes into @buf; returns the number read (0 = end) or ERR. */
uint64_t read(fd_t fd, void *buf, uint64_t count);
/* write - @count bytes from @buf; returns the number written or ERR. */
uint64_t write(fd_t fd, const void *buf, uint64_t count);
/* seek - move the position to base(@origin) + @offset; returns the new position or ERR. */
uint64_t seek(fd_t fd, int64_t offset, seek_origin_t origin);
/* ioctl - device request; no driver implements one in this version (ENOTTY). */
uint64_t ioctl(fd_t fd, uint64_t request, void *argp, uint64_t size);
/* chdir - set the process's working directory. 0 or ERR. */
uint64_t chdir(const char *path);
/* poll - wait for readiness of @amount (1..64) entries; returns the ready count, 0 on timeout, or ERR. */
uint64_t poll(struct abi_pollfd *fds, uint64_t amount, clock_t timeout);
/* stat - describe the object at @path into *@out. 0 or ERR. */
uint64_t stat(const char *path, struct abi_stat *out);
/* mmap - map @length bytes of @fd's object (/dev/zero for anonymous memory); NULL on failure. */
void *mmap(fd_t fd, void *addr, uint64_t length, prot_t prot);
/* munmap - unmap the pages touched by [@addr, @addr + @length); returns the page start or NULL. */
void *munmap(void *addr, uint64_t length);
/* mprotect - change the protection of mapped pages (PROT_NONE unmaps); page start or NULL. */
void *mprotect(void *addr, uint64_t length, prot_t prot);
/* getdents - whole 272-byte records into @buf; returns the bytes stored (0 = end) or ERR. */
uint64_t getdents(fd_t fd, struct abi_dirent *buf, uint64_t count);
/*
 * thread_create - raw thread creation (§7.23): the thread starts at @entry with
 * RDI = @arg and RSP 16-byte aligned with no return address, and must never
 * return. Returns its tid or ERR. C code wants thrd_create_raw() (<threads.h>).
 */
tid_t thread_create(void *entry, void *arg);
/* yield - give up the CPU. Always 0. */
uint64_t yield(void);
/* dup - the lowest free descriptor, sharing @old's open file; or ERR. */
fd_t dup(fd_t old);
/* dup2 - make @new refer to @old's open file; returns @new or ERR. */
fd_t dup2(fd_t old, fd_t new);
/*
 * futex - FUTEX_WAIT: sleep while *@addr == @val (up to @timeout ns); 0 when
 * woken, ERR with EAGAIN/ETIMEDOUT/EINTR otherwise. FUTEX_WAKE: wake up to
 * @val waiters (FUTEX_ALL: every one); returns the number woken.
 */
uint64_t futex(_Atomic(uint64_t) *addr, uint64_t val, futex_op_t op, clock_t timeout);
/* remove - remove a name (":directory" for directories, ":recursive" for trees). 0 or ERR. */
uint64_t remove(const char *path);
/* link - a second name @new for the file @old. 0 or ERR. */
uint64_t link(const char *old, const char *new);
/* share - a one-time key for @fd's open file, valid for @timeout ns. 0 or ERR. */
uint64_t share(struct abi_key *key_out, fd_t fd, clock_t timeout);
/* claim - consume a key from share(); returns a new descriptor or ERR. */
fd_t claim(const struct abi_key *key);
/* bind - mount @source's object at @mountpoint in this namespace. 0 or ERR. */
uint64_t bind(fd_t source, const char *mountpoint, mount_flags_t flags);
/* openat - like open, relative paths starting at directory @from (FD_NONE: the cwd). */
fd_t openat(fd_t from, const char *path);

#endif
