// SPDX-License-Identifier: MIT
// The register state the main thread started with, recorded by this test's
// own _start (entry.S) so that it can check the start contract (spec §10.4).
#ifndef QUILT_TESTS_START_STATE_H
#define QUILT_TESTS_START_STATE_H

#include <stdint.h>

struct start_state {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rflags;
	uint32_t mxcsr;
	uint16_t fcw;
	uint16_t pad;
};

extern struct start_state __start_state;

#endif
