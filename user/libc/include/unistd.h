// SPDX-License-Identifier: MIT
// Processes, threads, descriptors and names: the typed wrappers of most system calls.
#ifndef QUILT_LIBC_UNISTD_H
#define QUILT_LIBC_UNISTD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "kernel/abi/types.h"

/*
 * Typed system-call wrappers, named as in the prototype column of spec §2.6.
 * Each returns the kernel's raw result. On failure -- ERR ((uint64_t)-1) for
 * integer results, NULL for mmap/munmap/mprotect -- it has already asked the
 * kernel for the error code (SYS_ERRNO) and stored it in the calling thread's
 * errno; on success errno is left alone. Spec §7 has each call's semantics;
 * <sys/syscall.h> has the raw syscallN() forms. Context: any thread; the
 * calls that wait (nanosleep, read/write on pipes, poll, futex wait, ...)
 * may block.
 */

/* process_exit - end the whole process with @status (low 32 bits, §7.0). Prefer exit(). */
__attribute__((noreturn)) void process_exit(int32_t status);
/* thread_exit - end the calling thread; the last thread ends the process with 0 (§7.1). */
__attribute__((noreturn)) void thread_exit(void);
/* spawn - start argv[0] as a new process (§7.2). Returns its pid or ERR. */
pid_t spawn(const char **argv, spawn_flags_t flags);
/* errno_get - the kernel's error slot of this thread (§2.3); never fails, no errno change. */
errno_t errno_get(void);
/* getpid/gettid - this process's id / this thread's id within its process. Never fail. */
pid_t getpid(void);
tid_t gettid(void);
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

/*
 * write_all - write all @n bytes of @buf, looping over short writes (pipes
 * may take them in pieces). Not a system call. Returns true, or false with
 * errno (the write's error, or EIO when a write made no progress).
 */
bool write_all(fd_t fd, const void *buf, size_t n);

#endif
