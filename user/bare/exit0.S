// SPDX-License-Identifier: MIT
// exit0: a program without libc that ends at once with status 0. What a
// process costs the kernel alone (make bench spawn_exit_wait_bare), beside a
// libc program's spawn_exit_wait: the difference is libc's start and end.

	.text
	.globl _start
	.type _start, @function
_start:
	movl	$0, %eax		/* SYS_PROCESS_EXIT (kernel/abi/syscalls.h: number 0) */
	xorl	%edi, %edi
	syscall
	ud2
	.size _start, . - _start

	.section .note.GNU-stack, "", @progbits
