// SPDX-License-Identifier: MIT
// Per-CPU descriptor tables and control state. Every CPU, the bootstrap one
// and each AP, passes through arch_cpu_init() once: GDT with a TSS, the shared
// IDT, GS base, CR0/CR4 features, EFER and the syscall MSRs.
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/io.h"
#include "arch/x86_64/arch.h"
#include "arch/x86_64/symbols.h"
#include "arch/x86_64/vectors.h"

struct cpu cpus[MAX_CPUS];
bool arch_percpu_ready;
uint32_t cpu_count = 1;

/* IST stacks: 1 = #DF, 2 = NMI, 3 = #MC. */
#define IST_STACK_BYTES 8192
static uint8_t ist_stacks[MAX_CPUS][3][IST_STACK_BYTES] __attribute__((aligned(16)));

struct idt_entry {
	uint16_t offset_lo, selector;
	uint8_t ist, type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi, zero;
} __attribute__((packed));

static struct idt_entry idt[256];

/* PAT entries 0-7: WB, WC, UC-, UC, then the same again (memory types 6, 1, 7, 0). */
#define PAT_VALUE 0x0007010600070106ULL
bool arch_pat_wc; /* set on the BSP's init; the same on every CPU */


/* RFLAGS bits cleared on syscall entry: TF, IF, DF, IOPL, NT, AC (and AF as PW does). */
#define SFMASK_BITS ((1u << 8) | (1u << 9) | (1u << 10) | (3u << 12) | (1u << 14) | (1u << 18) | (1u << 4))

static void idt_set(int vec, uint64_t handler, uint8_t ist, uint8_t dpl)
{
	idt[vec].offset_lo = (uint16_t)handler;
	idt[vec].selector = SEL_KCODE;
	idt[vec].ist = ist;
	idt[vec].type_attr = 0x8e | (uint8_t)(dpl << 5); /* present, interrupt gate */
	idt[vec].offset_mid = (uint16_t)(handler >> 16);
	idt[vec].offset_hi = (uint32_t)(handler >> 32);
	idt[vec].zero = 0;
}

static void idt_build_once(void)
{
	static int built;
	if (built)
		return;
	for (int v = 0; v < 256; v++)
		idt_set(v, isr_stub_table[v], 0, 0);
	idt_set(VEC_DOUBLE_FAULT, isr_stub_table[VEC_DOUBLE_FAULT], 1, 0);
	idt_set(VEC_NMI, isr_stub_table[VEC_NMI], 2, 0);
	idt_set(VEC_MACHINE_CHECK, isr_stub_table[VEC_MACHINE_CHECK], 3, 0);
	idt_set(VEC_BREAKPOINT, isr_stub_table[VEC_BREAKPOINT], 0, 3); /* int3 usable from user mode */
	built = 1;
}

static void gdt_load(struct cpu *cpu)
{
	uint64_t tss = (uint64_t)&cpu->tss;
	cpu->gdt[0] = 0;
	cpu->gdt[1] = 0x00af9a000000ffffULL; /* 0x08 kernel code, long mode */
	cpu->gdt[2] = 0x00cf92000000ffffULL; /* 0x10 kernel data */
	cpu->gdt[3] = 0x00cff2000000ffffULL; /* 0x18 user data (DPL 3) */
	cpu->gdt[4] = 0x00affa000000ffffULL; /* 0x20 user code, long mode (DPL 3) */
	/* 0x28: 16-byte available 64-bit TSS descriptor */
	uint64_t limit = sizeof(struct tss) - 1;
	cpu->gdt[5] = (limit & 0xffff) | ((tss & 0xffffff) << 16) | (0x89ULL << 40) | ((limit >> 16) & 0xf) << 48 |
		      ((tss >> 24) & 0xff) << 56;
	cpu->gdt[6] = tss >> 32;

	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr = { sizeof(cpu->gdt) - 1, (uint64_t)cpu->gdt };
	__asm__ volatile("lgdt %0" : : "m"(gdtr));
	/* Reload CS through a far return, then the data segments. */
	__asm__ volatile("pushq %0\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "mov %1, %%ds\n\t"
			 "mov %1, %%es\n\t"
			 "mov %1, %%ss\n\t"
			 "xor %%eax, %%eax\n\t"
			 "mov %%eax, %%fs\n\t"
			 "mov %%eax, %%gs\n\t"
			 :
			 : "i"((uint64_t)SEL_KCODE), "r"((uint32_t)SEL_KDATA)
			 : "rax", "memory");
	__asm__ volatile("ltr %w0" : : "r"((uint16_t)SEL_TSS));
}

void arch_cpu_init(struct cpu *cpu)
{
	uint32_t a, b, c, d;
	cpu->self = cpu;
	for (int i = 0; i < 3; i++)
		cpu->tss.ist[i] = (uint64_t)&ist_stacks[cpu->index][i][IST_STACK_BYTES];
	cpu->tss.iomap_base = sizeof(struct tss); /* no I/O bitmap: user port access faults */
	gdt_load(cpu);
	if (cpu == &cpus[0])
		__atomic_store_n(&arch_percpu_ready, true, __ATOMIC_RELEASE);

	idt_build_once();
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (uint64_t)idt };
	__asm__ volatile("lidt %0" : : "m"(idtr));

	/* GS base is this CPU's block in the kernel; user GS starts as 0. */
	wrmsr(MSR_GS_BASE, (uint64_t)cpu);
	wrmsr(MSR_KERNEL_GS_BASE, 0);

	/* CR0: WP (kernel honours read-only pages), NE; clear EM and TS. */
	uint64_t cr0 = read_cr0();
	cr0 |= (1u << 16) | (1u << 5) | (1u << 1);
	cr0 &= ~((1ULL << 2) | (1ULL << 3));
	write_cr0(cr0);

	cpuid(7, 0, &a, &b, &c, &d);
	uint64_t cr4 = read_cr4();
	cr4 |= (1u << 7) | (1u << 9) | (1u << 10); /* PGE, OSFXSR, OSXMMEXCPT */
	if (b & (1u << 7))
		cr4 |= 1u << 20; /* SMEP */
	if (b & (1u << 20)) {
		cr4 |= 1u << 21; /* SMAP */
		arch_smap_enabled = true;
	}
	if (c & (1u << 2))
		cr4 |= 1u << 11; /* UMIP */
	cpuid(1, 0, &a, &b, &c, &d);
	if (c & (1u << 26))
		cr4 |= 1u << 18; /* OSXSAVE */
	write_cr4(cr4);
	/*
	 * PAT: entry 1 (PWT alone in a PTE) becomes write-combining instead of
	 * the power-on write-through; the others keep their reset values (WB,
	 * UC-, UC). No mapping uses PWT alone before this (leaf_bits sets PCD
	 * and PWT together), and every CPU writes the same value, as the SDM
	 * requires. Used for the framebuffer a program maps (/dev/fb/0/buffer).
	 */
	if (d & (1u << 16)) {
		wrmsr(MSR_PAT, PAT_VALUE);
		arch_pat_wc = true;
	}

	arch_fpu_init_cpu();

	/* EFER: SCE (syscall) and NXE. */
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE | EFER_NXE);
	/*
	 * STAR: syscall loads CS = 0x08, SS = 0x10; sysret (64-bit) loads
	 * CS = 0x10 + 16 = 0x20 | 3 and SS = 0x10 + 8 = 0x18 | 3.
	 */
	wrmsr(MSR_STAR, ((uint64_t)0x10 << 48) | ((uint64_t)SEL_KCODE << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_SFMASK, SFMASK_BITS);
}

void arch_bsp_init(void)
{
	cpus[0].index = 0;
	arch_cpu_init(&cpus[0]);
}
