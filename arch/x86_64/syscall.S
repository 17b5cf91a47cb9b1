// SPDX-License-Identifier: MIT
// SYSCALL entry. Until user space exists (the process layer adds the real
// entry path), nothing can execute SYSCALL at CPL 3, so reaching this is a bug.
	.text
	.global syscall_entry
syscall_entry:
	swapgs
	leaq syscall_unreachable_msg(%rip), %rdx
	leaq syscall_unreachable_file(%rip), %rdi
	xorl %esi, %esi
	call panic_at
	.section .rodata
syscall_unreachable_file: .asciz "arch/x86_64/syscall.S"
syscall_unreachable_msg: .asciz "syscall before user space exists"
