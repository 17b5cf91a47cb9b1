// SPDX-License-Identifier: MIT
// Multiprocessor support: AP bring-up with INIT-SIPI-SIPI through a real-mode
// trampoline, and the inter-processor interrupts the kernel needs (TLB
// shootdown, remote function call, reschedule, stop-all on panic).
// Locks: shootdown_lock (one shootdown in flight), call slots are per target.
#include "arch/x86_64/apic.h"
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/io.h"
#include "arch/x86_64/symbols.h"
#include "kernel/boot.h"
#include "kernel/lib/string.h"
#include "kernel/log/log.h"
#include "kernel/mm/kstack.h"
#include "kernel/mm/pmm.h"
#include "kernel/time/time.h"

#define TRAMPOLINE_PHYS 0x8000ULL
#define TRAMP_PML4_PHYS 0x9000ULL
#define TRAMP_PDPT_PHYS 0xA000ULL
#define TRAMP_PD_PHYS   0xB000ULL

uint64_t ap_kernel_cr3;

static volatile uint32_t ap_online_flag;
static uint64_t online_mask = 1; /* atomic; bit i = cpus[i] online */

uint64_t arch_online_mask(void)
{
	return __atomic_load_n(&online_mask, __ATOMIC_ACQUIRE);
}

unsigned arch_cpu_count(void)
{
	return cpu_count;
}

__attribute__((noreturn)) void ap_main(struct cpu *cpu)
{
	arch_cpu_init(cpu);
	lapic_init_cpu();
	__atomic_fetch_or(&online_mask, 1ULL << cpu->index, __ATOMIC_ACQ_REL);
	__atomic_store_n(&ap_online_flag, 1, __ATOMIC_RELEASE);
	kernel_ap_main(cpu->index);
	arch_halt_forever();
}

static void tramp_write(uint64_t *sym, uint64_t value)
{
	uint64_t off = (uint64_t)((const char *)sym - trampoline_start);
	*(uint64_t *)phys_to_virt(TRAMPOLINE_PHYS + off) = value;
}

static void prepare_trampoline(void)
{
	memcpy(phys_to_virt(TRAMPOLINE_PHYS), trampoline_start, (size_t)(trampoline_end - trampoline_start));
	/* Temporary tables: identity 2 MiB (where the trampoline runs) plus the kernel half. */
	uint64_t *pml4 = phys_to_virt(TRAMP_PML4_PHYS), *pdpt = phys_to_virt(TRAMP_PDPT_PHYS);
	uint64_t *pd = phys_to_virt(TRAMP_PD_PHYS);
	memset(pml4, 0, PAGE_SIZE);
	memset(pdpt, 0, PAGE_SIZE);
	memset(pd, 0, PAGE_SIZE);
	memcpy(pml4 + 256, (uint64_t *)phys_to_virt(arch_pt_kernel_root()) + 256, 256 * 8);
	pml4[0] = TRAMP_PDPT_PHYS | 3;
	pdpt[0] = TRAMP_PD_PHYS | 3;
	pd[0] = 0 | 3 | (1 << 7);
	ap_kernel_cr3 = arch_pt_kernel_root();
	tramp_write(&tramp_cr3, TRAMP_PML4_PHYS);
	tramp_write(&tramp_entry, (uint64_t)ap_entry64);
}

static bool start_ap(unsigned index, uint32_t apic_id)
{
	uint64_t stack = kstack_alloc();
	if (!stack)
		return false;
	struct cpu *cpu = &cpus[index];
	cpu->index = index;
	cpu->apic_id = apic_id;
	cpu->kstack_top = stack + KSTACK_PAGES * PAGE_SIZE;
	tramp_write(&tramp_stack, cpu->kstack_top);
	tramp_write(&tramp_cpu, (uint64_t)cpu);
	__atomic_store_n(&ap_online_flag, 0, __ATOMIC_RELEASE);

	lapic_send_init(apic_id);
	time_delay_ns(10 * 1000 * 1000);
	for (int sipi = 0; sipi < 2; sipi++) {
		lapic_send_sipi(apic_id, (uint8_t)(TRAMPOLINE_PHYS >> 12));
		/* TCG is slow to start a CPU: allow a generous window before the second SIPI. */
		uint64_t until = time_now_ns() + (sipi ? 2000 : 200) * 1000 * 1000ULL;
		while (time_now_ns() < until) {
			if (__atomic_load_n(&ap_online_flag, __ATOMIC_ACQUIRE))
				return true;
			arch_cpu_relax();
		}
	}
	kstack_free(stack);
	return false;
}

void arch_smp_start(const uint32_t *apic_ids, unsigned n)
{
	uint32_t bsp = lapic_id();
	cpus[0].apic_id = bsp;
	prepare_trampoline();
	uint64_t t0 = time_now_ns();
	unsigned started = 0;
	for (unsigned i = 0; i < n && cpu_count < MAX_CPUS; i++) {
		if (apic_ids[i] == bsp)
			continue;
		if (start_ap(cpu_count, apic_ids[i])) {
			cpu_count++;
			started++;
		} else {
			kprintf("smp: CPU with APIC id %u did not start; skipped\n", apic_ids[i]);
		}
	}
	kprintf("smp: %u CPUs online (%u APs started in %lu ms, %s mode)\n", cpu_count, started,
		(time_now_ns() - t0) / 1000000, lapic_x2apic() ? "x2APIC" : "xAPIC");
}

/* ---------------------------------------------------------------- IPIs */

static struct {
	volatile uint32_t busy; /* one shootdown at a time */
	uint64_t root, start, end;
	uint64_t pending; /* atomic: CPUs that still have to flush */
} shootdown;

static void shootdown_service(void)
{
	uint64_t bit = 1ULL << this_cpu()->index;
	if (!(__atomic_load_n(&shootdown.pending, __ATOMIC_ACQUIRE) & bit))
		return;
	/* A global (kernel) range, or a space this CPU has loaded: forget it. */
	if (shootdown.root == 0 || arch_pt_current() == shootdown.root)
		arch_tlb_flush_local(shootdown.start, shootdown.end);
	__atomic_fetch_and(&shootdown.pending, ~bit, __ATOMIC_ACQ_REL);
}

static void send_to_mask(uint64_t mask, uint8_t vector)
{
	for (unsigned i = 0; i < cpu_count; i++)
		if (mask & (1ULL << i))
			lapic_send_ipi(cpus[i].apic_id, vector);
}

void arch_tlb_shootdown(uint64_t mask, uint64_t root, uint64_t start, uint64_t end)
{
	mask &= arch_online_mask() & ~(1ULL << arch_cpu_index());
	if (!mask)
		return;
	/*
	 * Waiting here with IRQs off is safe only because a CPU that is itself
	 * waiting (to start its own shootdown) keeps serving ours.
	 */
	irqflags_t f = arch_irq_save();
	while (__atomic_exchange_n(&shootdown.busy, 1, __ATOMIC_ACQUIRE)) {
		shootdown_service();
		arch_cpu_relax();
	}
	shootdown.root = root;
	shootdown.start = start;
	shootdown.end = end;
	__atomic_store_n(&shootdown.pending, mask, __ATOMIC_RELEASE);
	send_to_mask(mask, VEC_SHOOTDOWN);
	/*
	 * No serving of calls here: a call's function may start a shootdown of
	 * its own, which would wait for the busy flag we hold. A target that
	 * waits for a call to us serves our shootdown meanwhile (arch_run_on_cpu).
	 */
	while (__atomic_load_n(&shootdown.pending, __ATOMIC_ACQUIRE))
		arch_cpu_relax();
	__atomic_store_n(&shootdown.busy, 0, __ATOMIC_RELEASE);
	arch_irq_restore(f);
}

void arch_tlb_shootdown_all(uint64_t start, uint64_t end)
{
	arch_tlb_shootdown(~0ULL, 0, start, end);
}

struct call_slot {
	void (*fn)(void *);
	void *arg;
	volatile uint32_t pending;
};
static struct call_slot call_slots[MAX_CPUS];

static void call_service(void)
{
	struct call_slot *s = &call_slots[this_cpu()->index];
	if (__atomic_load_n(&s->pending, __ATOMIC_ACQUIRE)) {
		s->fn(s->arg);
		__atomic_store_n(&s->pending, 0, __ATOMIC_RELEASE);
	}
}

/*
 * While this CPU spins for another one with IRQs off, the other one may be
 * spinning, IRQs off too, for us: a TLB shootdown from a context switch or a
 * call of its own. Serve both here, as their IPI handlers would (with IRQs
 * on the handlers do it, and serving here as well could run a call twice).
 * Without this, a call to a CPU busy with a shootdown towards this one
 * deadlocked both (fs.ramfs_concurrent_churn draining page caches while
 * the other CPU freed a dead thread's stack).
 */
static void serve_ipis_while_waiting(bool irqs_off)
{
	if (irqs_off) {
		shootdown_service();
		call_service();
	}
	arch_cpu_relax();
}

int arch_run_on_cpu(unsigned cpu, void (*fn)(void *), void *arg, bool wait)
{
	if (cpu >= cpu_count || !(arch_online_mask() & (1ULL << cpu)))
		return -1;
	if (cpu == arch_cpu_index()) {
		fn(arg);
		return 0;
	}
	bool irqs_off = !arch_irq_enabled();
	struct call_slot *s = &call_slots[cpu];
	while (__atomic_exchange_n(&s->pending, 1, __ATOMIC_ACQUIRE))
		serve_ipis_while_waiting(irqs_off); /* previous call to that CPU still running */
	s->fn = fn;
	s->arg = arg;
	lapic_send_ipi(cpus[cpu].apic_id, VEC_CALL);
	while (wait && __atomic_load_n(&s->pending, __ATOMIC_ACQUIRE))
		serve_ipis_while_waiting(irqs_off);
	return 0;
}

void arch_send_reschedule(unsigned cpu)
{
	if (cpu < cpu_count && cpu != arch_cpu_index())
		lapic_send_ipi(cpus[cpu].apic_id, VEC_RESCHEDULE);
}

static uint32_t cpus_halted; /* atomic: CPUs parked by the panic NMI */

void arch_park_for_panic(void)
{
	__atomic_fetch_add(&cpus_halted, 1, __ATOMIC_ACQ_REL);
	arch_halt_forever();
}

unsigned arch_stop_other_cpus(void)
{
	unsigned others = 0;
	for (unsigned i = 0; i < cpu_count; i++)
		others += (arch_online_mask() >> i) & 1;
	others -= 1;
	if (others == 0)
		return 0;
	lapic_send_nmi_all_but_self();
	/* Wait (bounded: the clock may be what broke) for every other CPU to park. */
	for (uint64_t spin = 0; spin < 200000000ULL && __atomic_load_n(&cpus_halted, __ATOMIC_ACQUIRE) < others; spin++)
		arch_cpu_relax();
	return __atomic_load_n(&cpus_halted, __ATOMIC_ACQUIRE);
}

static void ipi_handler(unsigned vector, void *frame)
{
	switch (vector) {
	case VEC_SHOOTDOWN:
		shootdown_service();
		lapic_eoi();
		break;
	case VEC_CALL:
		lapic_eoi();
		call_service();
		break;
	case VEC_RESCHEDULE:
		lapic_eoi();
		sched_reschedule_interrupt();
		break;
	case VEC_TIMER:
		lapic_eoi();
		sched_timer_interrupt(((const struct trap_frame *)frame)->cs & 3);
		break;
	case VEC_SPURIOUS:
		break; /* no EOI for spurious interrupts */
	}
}

void arch_smp_register_handlers(void)
{
	arch_irq_register(VEC_SHOOTDOWN, ipi_handler);
	arch_irq_register(VEC_CALL, ipi_handler);
	arch_irq_register(VEC_RESCHEDULE, ipi_handler);
	arch_irq_register(VEC_TIMER, ipi_handler);
	arch_irq_register(VEC_SPURIOUS, ipi_handler);
}
