// SPDX-License-Identifier: MIT
// Small machine services behind arch.h: the console UART, the interrupt flag,
// QEMU's exit device, counters.
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/io.h"
#include "kernel/boot_info.h"
#include "kernel/log/console.h"
#include "kernel/log/log.h"

#define COM1 0x3f8
#define QEMU_EXIT_PORT 0xf4

void arch_console_init(void)
{
	outb(COM1 + 1, 0x00); /* no UART interrupts while polled */
	outb(COM1 + 3, 0x80); /* DLAB: divisor 1 = 115200 baud */
	outb(COM1 + 0, 0x01);
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1 */
	outb(COM1 + 2, 0xc7); /* FIFOs on and cleared */
	outb(COM1 + 4, 0x03); /* DTR, RTS */
}

void arch_console_putc(char c)
{
	/* Bounded wait: a missing UART must not hang a panic. */
	for (int spin = 0; spin < 100000 && !(inb(COM1 + 5) & 0x20); spin++)
		__asm__ volatile("pause");
	outb(COM1, (uint8_t)c);
}

irqflags_t arch_irq_save(void)
{
	uint64_t flags;
	__asm__ volatile("pushfq; pop %0; cli" : "=r"(flags) : : "memory");
	return flags & (1u << 9);
}

void arch_irq_restore(irqflags_t flags)
{
	if (flags & (1u << 9))
		__asm__ volatile("sti" : : : "memory");
}

void arch_irq_enable(void) { __asm__ volatile("sti" : : : "memory"); }
void arch_irq_disable(void) { __asm__ volatile("cli" : : : "memory"); }

bool arch_irq_enabled(void)
{
	uint64_t flags;
	__asm__ volatile("pushfq; pop %0" : "=r"(flags));
	return flags & (1u << 9);
}

void arch_cpu_relax(void) { __asm__ volatile("pause"); }

__attribute__((noreturn)) void arch_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

void arch_qemu_exit(uint32_t value)
{
	outl(QEMU_EXIT_PORT, value);
}

uint64_t arch_frame_pointer(void)
{
	/* our frame holds the caller's saved RBP: that is the caller's frame */
	return *(uint64_t *)__builtin_frame_address(0);
}

uint64_t arch_cycles(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

void arch_drop_identity_map(void)
{
	uint64_t *pml4 = (uint64_t *)(BOOT_DIRECT_MAP_BASE + (read_cr3() & 0x000ffffffffff000ULL));
	for (int i = 0; i < 256; i++)
		pml4[i] = 0;
	/*
	 * The identity and direct maps share leaf entries, which carry the global
	 * bit: toggling CR4.PGE is what flushes global translations too.
	 */
	uint64_t cr4 = read_cr4();
	write_cr4(cr4 & ~(1ULL << 7));
	write_cr4(cr4 | (1ULL << 7));
	/* Kernel text and rodata are read-only from here on, for the kernel too. */
	write_cr0(read_cr0() | (1u << 16));
}

unsigned arch_cpu_index(void)
{
	/* Before arch_cpu_init() GS does not point at a struct cpu yet. */
	if (!cpus[0].self)
		return 0;
	return this_cpu()->index;
}

bool arch_smap_enabled; /* set once by the BSP in arch_cpu_init() */

void arch_user_access_begin(void)
{
	if (arch_smap_enabled)
		__asm__ volatile("stac" : : : "memory");
}

void arch_user_access_end(void)
{
	if (arch_smap_enabled)
		__asm__ volatile("clac" : : : "memory");
}

bool arch_user_access_is_open(void)
{
	uint64_t rflags;
	__asm__ volatile("pushfq; popq %0" : "=r"(rflags));
	return rflags & (1u << 18); /* AC */
}

static uint64_t user_access_leaks; /* atomic */

void arch_check_user_access_closed(void)
{
	if (!arch_smap_enabled || !arch_user_access_is_open())
		return;
	/*
	 * No print: this runs in NMI context too, where the log lock may be
	 * held by the interrupted code. The counter is the report (leakcheck
	 * and the tests read it); closing the window keeps SMAP in force.
	 */
	__atomic_fetch_add(&user_access_leaks, 1, __ATOMIC_RELAXED);
	arch_user_access_end();
}

uint64_t arch_user_access_leaks(void)
{
	return __atomic_load_n(&user_access_leaks, __ATOMIC_RELAXED);
}

void *arch_current_space(void)
{
	return this_cpu()->space;
}

void arch_set_current_space(void *space)
{
	this_cpu()->space = space;
}

uint64_t arch_thread_init_stack(uint64_t stack_top, void (*fn)(void *), void *arg)
{
	extern void arch_thread_start(void);
	/* Layout popped by arch_context_switch: r15 r14 r13 r12 rbx rbp rflags, then the return address. */
	/*
	 * Keep the top trap frame's worth free: a user thread's first entry to
	 * user mode builds its frame there (arch_prepare_user_frame) while the
	 * C frames that build it are still live; overlapping them made a new
	 * thread "return" to its own argument.
	 */
	uint64_t *sp = (uint64_t *)((stack_top - sizeof(struct trap_frame)) & ~15ULL);
	*--sp = (uint64_t)arch_thread_start; /* popped by ret: arch_thread_start runs with RSP 16-aligned */
	*--sp = 0x2;                        /* rflags: IF off (as after any switch), AC and DF clear */
	*--sp = 0;                          /* rbp */
	*--sp = 0;                          /* rbx */
	*--sp = (uint64_t)fn;               /* r12 */
	*--sp = (uint64_t)arg;              /* r13 */
	*--sp = 0;                          /* r14 */
	*--sp = 0;                          /* r15 */
	return (uint64_t)sp;
}

void arch_set_kernel_stack(uint64_t top)
{
	struct cpu *c = this_cpu();
	c->kstack_top = top;
	c->tss.rsp[0] = top;
}

void arch_set_current_thread(void *thread)
{
	this_cpu()->current = thread;
}

void *arch_current_thread(void)
{
	return this_cpu()->current;
}

void *arch_cpu_current_thread(unsigned cpu)
{
	return cpu < MAX_CPUS ? __atomic_load_n(&cpus[cpu].current, __ATOMIC_RELAXED) : NULL;
}

void arch_idle_wait(void)
{
	/* sti takes effect after the next instruction, so no interrupt slips in before hlt. */
	__asm__ volatile("sti; hlt; cli" : : : "memory");
}

/*
 * Page-sized loops are aligned so that they never straddle a 4 KiB page of
 * kernel text: QEMU's TCG cannot chain translated blocks across a page, and
 * a straddling loop ran 3.5 times slower there (1,342 vs 380 ns a page).
 */
#define HOT_LOOP __attribute__((aligned(256)))

HOT_LOOP void arch_zero_page(void *page)
{
	/*
	 * Plain 64-bit stores, eight per iteration: under QEMU's TCG this is
	 * about 40% faster than rep stosq (329 vs 532 ns a page), and on real
	 * hardware within a few percent of it.
	 */
	uint64_t *p = page;
	for (int i = 0; i < 512; i += 8) {
		p[i] = 0;
		p[i + 1] = 0;
		p[i + 2] = 0;
		p[i + 3] = 0;
		p[i + 4] = 0;
		p[i + 5] = 0;
		p[i + 6] = 0;
		p[i + 7] = 0;
	}
	__asm__ volatile("" : : : "memory");
}

HOT_LOOP void arch_copy_page(void *dst, const void *src)
{
	uint64_t n = 512;
	__asm__ volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

bool arch_random64(uint64_t *out)
{
	uint32_t a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & (1u << 30)))
		return false;
	for (int tries = 0; tries < 10; tries++) {
		uint64_t v;
		uint8_t ok;
		__asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
		if (ok) {
			*out = v;
			return true;
		}
	}
	return false;
}

/* COM1 receive interrupt: hand every waiting byte to the console input ring. */
static void com1_interrupt(unsigned vector, void *frame)
{
	while (inb(COM1 + 5) & 1)
		console_input_push((char)inb(COM1));
	arch_lapic_eoi();
}

void arch_console_enable_input(void)
{
	arch_irq_register(0x24, com1_interrupt);
	arch_route_isa_irq(4, 0x24);
	outb(COM1 + 1, 0x01); /* interrupt on received data */
}
