// SPDX-License-Identifier: MIT
// Symbols defined outside C, private to arch/: by the assembly files (entry
// stubs, the AP trampoline, the boot stack) and by the linker script.
#ifndef QUILT_ARCH_X86_64_SYMBOLS_H
#define QUILT_ARCH_X86_64_SYMBOLS_H

#include <stdint.h>

/* isr.S: the 256 interrupt entry stubs, by vector. */
extern const uint64_t isr_stub_table[256];
/* syscall.S: the SYSCALL target (IA32_LSTAR). */
void syscall_entry(void);
/* switch.S: where a new thread's first switch returns (arch_thread_init_stack). */
void arch_thread_start(void);
/* entry.S: the boot CPU's first stack, and where an AP enters 64-bit kernel code. */
extern char boot_stack_top[];
void ap_entry64(void);

/* trampoline.S: the AP start-up code, copied below 1 MiB, and its parameters. */
extern const char trampoline_start[], trampoline_end[];
extern uint64_t tramp_cr3, tramp_slots, tramp_entry;
extern uint32_t tramp_next, tramp_nslots;

/* linker.ld: the exception table (isr fix-ups) and the kernel image's sections. */
struct extable_entry {
	uint64_t fault_ip;
	uint64_t fixup_ip;
};
extern const struct extable_entry __extable_start[], __extable_end[];
extern char __text_start[], __rodata_start[], __data_start[], __kernel_end[];

#endif
