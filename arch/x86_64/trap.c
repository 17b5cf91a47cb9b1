// SPDX-License-Identifier: MIT
// Exception and interrupt dispatch. A kernel-mode fault at an instruction
// listed in the exception table resumes at its fix-up (the user-copy helpers
// and the probe functions rely on this); any other kernel fault panics with
// the frame. User-mode faults go to the process layer once it exists.
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/io.h"
#include "kernel/log/log.h"

struct extable_entry {
	uint64_t fault_ip;
	uint64_t fixup_ip;
};
extern const struct extable_entry __extable_start[], __extable_end[];

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
	ASSERT(vector >= 32 && vector < 256);
	irq_handlers[vector] = handler;
}

void arch_dump_frame(const void *frame, void (*out)(const char *fmt, ...))
{
	const struct trap_frame *f = frame;
	out("  vector %lu (%s) error 0x%lx cr2 0x%lx\n", f->vector, f->vector < 32 ? exception_names[f->vector] : "irq",
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
			cpu->fixup_cr2 = f->vector == 14 ? read_cr2() : 0;
			f->rip = e->fixup_ip;
			return true;
		}
	}
	return false;
}

int log_verbose_faults;

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
	if (f->vector >= 32) {
		arch_irq_handler_t h = irq_handlers[f->vector];
		if (h)
			h((unsigned)f->vector, f);
		return;
	}
	if (f->vector == 2) {
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
	if (f->vector == 8 || f->vector == 18)
		panic_trap(f, "%s exception (%s mode)", exception_names[f->vector], user ? "user" : "kernel");
	if (f->vector == 14) {
		int r = mm_handle_page_fault(read_cr2(), fault_access(f->error_code), user ? f->rip : 0,
					     f->rflags & RFLAGS_IF);
		if (r == MM_FAULT_RETRY_STEP)
			f->rflags |= RFLAGS_TF; /* one instruction, then #DB below */
		if (r != MM_FAULT_UNRESOLVED)
			return;
	}
	if (f->vector == 1 && user && mm_single_step_done()) {
		f->rflags &= ~RFLAGS_TF;
		return;
	}
	if (!user && fixup(f))
		return;
	if (user) {
		/* An unhandled exception in user mode ends the process with status 14 (spec §9.3). */
		if (log_verbose_faults)
			kprintf("user fault: %s at rip %lx (cr2 %lx)\n", exception_names[f->vector], f->rip,
				f->vector == 14 ? read_cr2() : 0);
		sched_user_fault();
		return;
	}
	panic_trap(f, "%s exception in kernel mode", exception_names[f->vector]);
}

void arch_last_fixup(uint64_t *vector, uint64_t *error, uint64_t *cr2)
{
	struct cpu *cpu = this_cpu();
	*vector = cpu->fixup_vector;
	*error = cpu->fixup_error;
	*cr2 = cpu->fixup_cr2;
}

bool arch_frame_returns_to_user_ok(const void *frame)
{
	const struct trap_frame *f = frame;
	return f->rip < 0x0000800000000000ULL;
}

void arch_probe_nmi(bool with_user_gs, uint64_t user_gs, struct arch_nmi_probe *out)
{
	const uint32_t msr_gs_base = 0xC0000101u, msr_kernel_gs_base = 0xC0000102u;
	irqflags_t f = arch_irq_save();
	struct cpu *cpu = this_cpu();
	uint64_t saved_user_gs = rdmsr(msr_kernel_gs_base);
	uint32_t lo, hi;
	out->nmi_count_before = cpu->nmi_count;
	if (with_user_gs) {
		wrmsr(msr_kernel_gs_base, user_gs);
		/* Nothing between the two swapgs may use GS: all of it is in one asm block. */
		__asm__ volatile("swapgs\n\t"
				 "int $2\n\t"
				 "rdmsr\n\t"
				 "swapgs"
				 : "=a"(lo), "=d"(hi)
				 : "c"(msr_gs_base)
				 : "memory");
		wrmsr(msr_kernel_gs_base, saved_user_gs);
	} else {
		__asm__ volatile("int $2\n\t"
				 "rdmsr"
				 : "=a"(lo), "=d"(hi)
				 : "c"(msr_gs_base)
				 : "memory");
	}
	out->gs_base_after = ((uint64_t)hi << 32) | lo;
	out->nmi_count_after = cpu->nmi_count;
	arch_irq_restore(f);
}
