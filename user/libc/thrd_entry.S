// SPDX-License-Identifier: MIT
// First instructions of every thread made by thrd_create_raw().

/*
 * __thrd_trampoline - entry point passed to SYS_THREAD_CREATE.
 * On entry (spec §7.23): user mode, IF set, RDI = the start record from
 * thrd_create_raw, RSP = RBP = top of this thread's stack, 16-byte aligned
 * with no return address pushed; other general registers 0; default x87/SSE
 * state. The call below pushes a return address, leaving RSP = 8 (mod 16) in
 * __thrd_start as the SysV ABI requires. __thrd_start never returns: it ends
 * the thread with SYS_THREAD_EXIT; ud2 guards against that contract breaking.
 */
	.text
	.globl __thrd_trampoline
	.type __thrd_trampoline, @function
__thrd_trampoline:
	xorl	%ebp, %ebp		/* end of the frame-pointer chain */
	andq	$-16, %rsp		/* the ABI promises alignment; do not depend on it */
	call	__thrd_start
	ud2
	.size __thrd_trampoline, . - __thrd_trampoline

	.section .note.GNU-stack, "", @progbits
