// SPDX-License-Identifier: MIT
// The 34 PatchworkOS system calls, raw: numbers (SYS_*) and syscallN(). The typed
// wrappers are in <unistd.h>, <fcntl.h>, <time.h>, <poll.h>, <sys/stat.h>,
// <sys/mman.h> and <sys/futex.h>.
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

#endif
