// SPDX-License-Identifier: MIT
// Exception and interrupt dispatch. A kernel-mode fault at an instruction
// listed in the exception table resumes at its fix-up (the user-copy helpers
// and the probe functions rely on this); any other kernel fault panics with
// the frame. User-mode faults go to the process layer once it exists.
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/io.h"
#include "arch/x86_64/symbols.h"
#include "arch/x86_64/vectors.h"
#include "kernel/abi/layout.h"
#include "kernel/log/log.h"

/* The layouts isr.S, syscall.S and entry code read through fixed offsets. */
_Static_assert(offsetof(struct trap_frame, rax) == FRAME_RAX, "trap frame: rax");
_Static_assert(offsetof(struct trap_frame, vector) == FRAME_VECTOR, "trap frame: vector");
_Static_assert(offsetof(struct trap_frame, rip) == FRAME_RIP, "trap frame: rip");
_Static_assert(offsetof(struct trap_frame, cs) == FRAME_CS, "trap frame: cs");
_Static_assert(offsetof(struct trap_frame, rflags) == FRAME_RFLAGS, "trap frame: rflags");
_Static_assert(offsetof(struct trap_frame, rsp) == FRAME_RSP, "trap frame: rsp");
_Static_assert(sizeof(struct trap_frame) == FRAME_SIZE, "trap frame: size");
_Static_assert(offsetof(struct cpu, self) == CPU_OFF_SELF, "struct cpu: self");
_Static_assert(offsetof(struct cpu, current) == CPU_OFF_CURRENT, "struct cpu: current");
_Static_assert(offsetof(struct cpu, kstack_top) == CPU_OFF_KSTACK_TOP, "struct cpu: kstack_top");
_Static_assert(offsetof(struct cpu, user_rsp) == CPU_OFF_USER_RSP, "struct cpu: user_rsp");

static arch_irq_handler_t irq_handlers[256];

static const char *const exception_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range", "invalid opcode",
	"device not available", "double fault", "coprocessor overrun", "invalid TSS", "segment not present",
	"stack fault", "general protection", "page fault", "reserved", "x87 error", "alignment check",
	"machine check", "SIMD error", "virtualization", "control protection", "reserved", "reserved",
	"reserved", "reserved", "reserved", "reserved", "hypervisor injection", "VMM communication",
	"security", "reserved",
};

void arch_irq_register(unsigned vector, arch_irq_handler_t handler)
{
	ASSERT(vector >= VEC_FIRST_IRQ && vector < 256);
	irq_handlers[vector] = handler;
}

void arch_dump_frame(const void *frame, void (*out)(const char *fmt, ...))
{
	const struct trap_frame *f = frame;
	out("  vector %lu (%s) error 0x%lx cr2 0x%lx\n", f->vector, f->vector < VEC_FIRST_IRQ ? exception_names[f->vector] : "irq",
	    f->error_code, read_cr2());
	out("  rip %016lx cs %04lx rflags %08lx rsp %016lx ss %04lx\n", f->rip, f->cs, f->rflags, f->rsp, f->ss);
	out("  rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
	out("  rsi %016lx rdi %016lx rbp %016lx r8  %016lx\n", f->rsi, f->rdi, f->rbp, f->r8);
	out("  r9  %016lx r10 %016lx r11 %016lx r12 %016lx\n", f->r9, f->r10, f->r11, f->r12);
	out("  r13 %016lx r14 %016lx r15 %016lx\n", f->r13, f->r14, f->r15);
}

uint64_t arch_frame_fp(const void *frame)
{
	return ((const struct trap_frame *)frame)->rbp;
}

uint64_t arch_frame_ip(const void *frame)
{
	return ((const struct trap_frame *)frame)->rip;
}

static bool fixup(struct trap_frame *f)
{
	for (const struct extable_entry *e = __extable_start; e < __extable_end; e++) {
		if (e->fault_ip == f->rip) {
			struct cpu *cpu = this_cpu();
			cpu->fixup_vector = f->vector;
			cpu->fixup_error = f->error_code;
			cpu->fixup_cr2 = f->vector == VEC_PAGE_FAULT ? read_cr2() : 0;
			f->rip = e->fixup_ip;
			return true;
		}
	}
	return false;
}

#define RFLAGS_TF (1u << 8)
#define RFLAGS_IF (1u << 9)

/* x86 page-fault error code bits (SDM vol. 3, 4.7) in the memory layer's neutral terms. */
static unsigned fault_access(uint64_t error)
{
	return ((error & 0x1) ? MM_FAULT_PRESENT : 0) | ((error & 0x2) ? MM_FAULT_WRITE : 0) |
	       ((error & 0x4) ? MM_FAULT_USER : 0) | ((error & 0x10) ? MM_FAULT_EXEC : 0);
}

void trap_dispatch(struct trap_frame *f)
{
	bool user = (f->cs & 3) != 0;
	arch_check_user_access_closed();
	if (f->vector >= VEC_FIRST_IRQ) {
		arch_irq_handler_t h = irq_handlers[f->vector];
		if (h)
			h((unsigned)f->vector, f);
		return;
	}
	if (f->vector == VEC_NMI) {
		/* NMI: the panicking CPU uses it to stop everyone else. */
		if (panic_in_progress())
			arch_park_for_panic();
		/*
		 * Anything else is only counted: printing would take the log lock,
		 * which the interrupted code on this CPU may hold.
		 */
		this_cpu()->nmi_count++;
		return;
	}
	/*
	 * #DF and #MC run on IST stacks without the return-to-user work (see
	 * isr.S), so not even a user-mode one can end just its process here: a
	 * double fault is a kernel bug, a machine check a hardware error.
	 */
	if (f->vector == VEC_DOUBLE_FAULT || f->vector == VEC_MACHINE_CHECK)
		panic_trap(f, "%s exception (%s mode)", exception_names[f->vector], user ? "user" : "kernel");
	if (f->vector == VEC_PAGE_FAULT) {
		int r = mm_handle_page_fault(read_cr2(), fault_access(f->error_code), user ? f->rip : 0,
					     f->rflags & RFLAGS_IF);
		if (r == MM_FAULT_RETRY_STEP)
			f->rflags |= RFLAGS_TF; /* one instruction, then #DB below */
		if (r != MM_FAULT_UNRESOLVED)
			return;
	}
	if (f->vector == VEC_DEBUG && user && mm_single_step_done()) {
		f->rflags &= ~RFLAGS_TF;
		return;
	}
	if (!user && fixup(f))
		return;
	if (user) {
		/* An unhandled exception in user mode ends the process with status 14 (spec §9.3). */
		sched_user_fault();
		return;
	}
	panic_trap(f, "%s exception in kernel mode", exception_names[f->vector]);
}

bool arch_frame_returns_to_user_ok(const void *frame)
{
	const struct trap_frame *f = frame;
	return f->rip < USER_MAX;
}

