// SPDX-License-Identifier: MIT
// The only code that touches user memory. Each faulting instruction is listed
// in the exception table; a fault that the page-fault handler cannot resolve
// (unmapped, or a write to a read-only page) resumes at the fix-up, which
// reports how much was left. The SMAP window (stac/clac) is open only here.
// All functions: SysV ABI, any IRQ state, callable from thread context.

#include "arch/x86_64/cpu.h" /* EXTABLE, SMAP_OPEN, SMAP_CLOSE */

	.text

// The fix-up of the one access at 1: close the window, return -1.
.macro FIXUP_RETURN_MINUS_ONE
2:	SMAP_CLOSE
	movl $-1, %eax
	ret
	EXTABLE 1b, 2b
.endm

// uint64_t arch_copy_user(void *dst, const void *src, uint64_t len)
// Returns the number of bytes NOT copied (0 on success). Eight bytes at a
// time, then the tail: under TCG each rep iteration costs about the same
// whatever its width, so movsq is about eight times faster than movsb.
	.global arch_copy_user
arch_copy_user:
	movq %rdx, %rcx
	shrq $3, %rcx
	andl $7, %edx
	SMAP_OPEN
1:	rep movsq
	movq %rdx, %rcx
3:	rep movsb
2:	SMAP_CLOSE
	movq %rcx, %rax
	ret
	/* A fault in the quadword loop: RCX quadwords and the tail are left. */
4:	leaq (%rdx,%rcx,8), %rcx
	jmp 2b
	EXTABLE 1b, 4b
	EXTABLE 3b, 2b

// uint64_t arch_clear_user(void *dst, uint64_t len): bytes NOT cleared.
	.global arch_clear_user
arch_clear_user:
	movq %rsi, %rcx
	xorl %eax, %eax
	SMAP_OPEN
1:	rep stosb
2:	SMAP_CLOSE
	movq %rcx, %rax
	ret
	EXTABLE 1b, 2b

// int64_t arch_strncpy_user(char *dst, const char *src, uint64_t max)
// Copies up to and including the NUL. Returns the length without the NUL,
// -2 when no NUL within max bytes, -1 on a fault.
	.global arch_strncpy_user
arch_strncpy_user:
	xorl %ecx, %ecx
	SMAP_OPEN
3:	cmpq %rdx, %rcx
	jae 5f
1:	movb (%rsi,%rcx), %al
	movb %al, (%rdi,%rcx)
	testb %al, %al
	jz 4f
	incq %rcx
	jmp 3b
4:	SMAP_CLOSE
	movq %rcx, %rax
	ret
5:	SMAP_CLOSE
	movq $-2, %rax
	ret
2:	SMAP_CLOSE
	movq $-1, %rax
	ret
	EXTABLE 1b, 2b

// int arch_get_user_u64(uint64_t *out, const void *src): 0 or -1.
	.global arch_get_user_u64
arch_get_user_u64:
	SMAP_OPEN
1:	movq (%rsi), %rax
	SMAP_CLOSE
	movq %rax, (%rdi)
	xorl %eax, %eax
	ret
	FIXUP_RETURN_MINUS_ONE

// int arch_put_user_u64(void *dst, uint64_t value): 0 or -1.
	.global arch_put_user_u64
arch_put_user_u64:
	SMAP_OPEN
1:	movq %rsi, (%rdi)
	SMAP_CLOSE
	xorl %eax, %eax
	ret
	FIXUP_RETURN_MINUS_ONE
