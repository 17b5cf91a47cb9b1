// SPDX-License-Identifier: MIT
// _start: the entry point (e_entry) of every Quilt user program.

/*
 * _start - first instruction of the process's main thread.
 * On entry (spec §10.4/10.5): user mode, IF set, RDI = argc, RSI = argv
 * (a NULL-terminated pointer array on this stack), RSP 16-byte aligned with
 * nothing stored at it (no argc slot, no envp, no auxv), all other general
 * registers 0, FS/GS base 0, default x87/SSE state.
 * Leaves RDI/RSI untouched for __libc_start(argc, argv), clears RBP to end
 * frame-pointer walks here, and re-aligns RSP itself rather than trusting
 * the kernel, so that __libc_start sees RSP = 8 (mod 16) after the call.
 * __libc_start never returns (it calls exit); ud2 traps if it ever did.
 * _start is weak so that a test of the start contract can put a probe in
 * front of it (user/tests/start_contract/entry.S), which ends here, at
 * __crt0_start.
 */
	.text
	.weak _start
	.globl __crt0_start
	.type _start, @function
_start:
__crt0_start:
	xorl	%ebp, %ebp
	andq	$-16, %rsp
	call	__libc_start
	ud2
	.size _start, . - _start

	.section .note.GNU-stack, "", @progbits
