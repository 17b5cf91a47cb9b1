// SPDX-License-Identifier: MIT
// Per-CPU data, reached through GS in the kernel. Private to arch/ and the
// few generic files that need the current CPU through arch.h's accessors.
#ifndef QUILT_ARCH_X86_64_CPU_H
#define QUILT_ARCH_X86_64_CPU_H

#define MAX_CPUS 64

/* Offsets used by assembly (entry.S, syscall.S). */
#define CPU_OFF_SELF         0
#define CPU_OFF_CURRENT      8
#define CPU_OFF_KSTACK_TOP   16
#define CPU_OFF_USER_RSP     24

/*
 * Offsets in struct trap_frame used by assembly (isr.S, syscall.S), checked
 * against the struct in trap.c. FRAME_VECTOR is where RSP points once the
 * general registers are popped: the CPU's part of the frame follows it.
 */
#define FRAME_RAX    (14 * 8)
#define FRAME_VECTOR (15 * 8)
#define FRAME_RIP    (17 * 8)
#define FRAME_CS     (18 * 8)
#define FRAME_RFLAGS (19 * 8)
#define FRAME_RSP    (20 * 8)
#define FRAME_SIZE   (22 * 8)

/* Segment selectors (spec §2.1). */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x1b
#define SEL_UCODE 0x23
#define SEL_TSS   0x28

#ifdef __ASSEMBLER__
/*
 * Push the general registers in struct trap_frame order (RAX first, R15
 * last, so R15 ends up at the lowest address): shared by the interrupt and
 * system-call entries, which therefore build the same frame.
 */
.macro PUSH_GPRS
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
.endm

/*
 * Pop what PUSH_GPRS pushed. With sysret=1, RCX and R11 are skipped: SYSRET
 * reloads them from the frame's RIP and RFLAGS.
 */
.macro POP_GPRS sysret=0
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	.if \sysret
	addq $8, %rsp
	.else
	popq %r11
	.endif
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	.if \sysret
	addq $8, %rsp
	.else
	popq %rcx
	.endif
	popq %rbx
	popq %rax
.endm

/* List @fault in the exception table: a fault there resumes at @fixup. */
.macro EXTABLE fault, fixup
	.pushsection .extable, "a"
	.balign 8
	.quad \fault, \fixup
	.popsection
.endm

/*
 * Open / close the SMAP window (RFLAGS.AC) around user accesses. stac and
 * clac are #UD without SMAP, hence the test (which clobbers the arithmetic
 * flags).
 */
.macro SMAP_OPEN
	testb $1, arch_smap_enabled(%rip)
	jz 91f
	stac
91:
.endm

.macro SMAP_CLOSE
	testb $1, arch_smap_enabled(%rip)
	jz 92f
	clac
92:
.endm

/*
 * Close the SMAP window (RFLAGS.AC = 0) on kernel entry. The CPU does not
 * clear AC when it delivers an interrupt or exception, and user mode may set
 * AC with popfq: without this, kernel code after an IRQ or fault taken from
 * user mode would run with SMAP off. From kernel mode it closes a window the
 * interrupted uaccess helper had open; IRETQ restores the saved RFLAGS, so
 * the helper gets it back. Callers run where the arithmetic flags are
 * already saved.
 */
.macro ENTRY_CLAC
	SMAP_CLOSE
.endm
#endif

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct trap_frame;

struct cpu {
	/* Owner CPU only (read by assembly through %gs) */
	struct cpu *self;
	void *current;        /* struct thread * */
	uint64_t kstack_top;  /* kernel stack for the current thread */
	uint64_t user_rsp;    /* scratch for the syscall entry */
	/* Immutable after bring-up */
	uint32_t index;
	uint32_t apic_id;
	/* Owner CPU only */
	uint32_t irq_depth;
	void *space;          /* struct vm_space * whose root is loaded */
	/* NMIs handled on this CPU (the paranoid-entry test reads it). */
	uint64_t nmi_count;
	/* Last fault recovered through the exception table (tests read it). */
	uint64_t fixup_vector, fixup_error, fixup_cr2;
	uint64_t gdt[7];
	struct tss tss;
} __attribute__((aligned(64)));

_Static_assert(offsetof(struct cpu, self) == CPU_OFF_SELF, "CPU_OFF_SELF");
_Static_assert(offsetof(struct cpu, current) == CPU_OFF_CURRENT, "CPU_OFF_CURRENT");
_Static_assert(offsetof(struct cpu, kstack_top) == CPU_OFF_KSTACK_TOP, "CPU_OFF_KSTACK_TOP");
_Static_assert(offsetof(struct cpu, user_rsp) == CPU_OFF_USER_RSP, "CPU_OFF_USER_RSP");

extern struct cpu cpus[MAX_CPUS];
extern uint32_t cpu_count;

static inline struct cpu *this_cpu(void)
{
	struct cpu *c;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(c));
	return c;
}

/* Registers as saved by the interrupt entry stubs (arch/x86_64/isr.S). */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* Load GDT, TSS, IDT, GS base, control-register features and syscall MSRs. */
void arch_cpu_init(struct cpu *cpu);
/* SMAP is on (CR4.SMAP set by the BSP in arch_cpu_init); read by the stac/clac macros. */
extern bool arch_smap_enabled;
/* PAT entry 1 is write-combining (ARCH_MAP_WC maps with it). */
extern bool arch_pat_wc;

/* isr.S: every exception and interrupt, IRQs off. */
void trap_dispatch(struct trap_frame *f);
/* trampoline.S: an AP in 64-bit mode on its own stack. */
__attribute__((noreturn)) void ap_main(struct cpu *cpu);

/*
 * smp.c: start the APs named by the MADT (@apic_ids: the first @npresent are
 * enabled CPUs, the rest only online-capable); register the IPI handlers. BSP, once.
 */
void arch_smp_start(const uint32_t *apic_ids, unsigned n, unsigned npresent);
void arch_smp_register_handlers(void);
#endif /* __ASSEMBLER__ */

#endif
