// SPDX-License-Identifier: MIT
// The running CPU behind arch.h: its interrupt flag, the SMAP window, the
// per-CPU pointers (current thread, address space, kernel stack), a new
// thread's first stack frame, and the few instructions generic code needs
// (pause, hlt, rdtsc, the frame pointer).
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/io.h"
#include "arch/x86_64/symbols.h"

_Static_assert(offsetof(struct cpu, current) == ARCH_CPU_CURRENT_OFFSET, "arch_current_thread reads %gs:8");

bool arch_on_hypervisor(void)
{
	uint32_t a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	return (c >> 31) & 1;
}

__attribute__((noreturn)) void arch_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

uint64_t arch_frame_pointer(void)
{
	/* our frame holds the caller's saved RBP: that is the caller's frame */
	return *(uint64_t *)__builtin_frame_address(0);
}

_Static_assert(offsetof(struct cpu, index) == ARCH_CPU_INDEX_OFFSET, "arch_cpu_index reads %gs:32");

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

uint64_t arch_boot_stack_top(void)
{
	return (uint64_t)boot_stack_top;
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

void *arch_cpu_current_thread(unsigned cpu)
{
	return cpu < MAX_CPUS ? __atomic_load_n(&cpus[cpu].current, __ATOMIC_RELAXED) : NULL;
}

void arch_idle_wait(void)
{
	/* sti takes effect after the next instruction, so no interrupt slips in before hlt. */
	__asm__ volatile("sti; hlt; cli" : : : "memory");
}
