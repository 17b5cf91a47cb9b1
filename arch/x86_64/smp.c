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
	/* APs take their cpus[] slot in arrival order: each learns its own APIC id. */
	cpu->apic_id = lapic_id();
	__atomic_fetch_or(&online_mask, 1ULL << cpu->index, __ATOMIC_ACQ_REL);
	kernel_ap_main(cpu->index);
	arch_halt_forever();
}

/* Where a trampoline variable lives in the copy below 1 MiB. */
static void *tramp_var(const void *sym)
{
	return phys_to_virt(TRAMPOLINE_PHYS + (uint64_t)((const char *)sym - trampoline_start));
}

/* What the trampoline hands an AP: slot i is cpus[i + 1]'s. */
static struct {
	uint64_t stack_top;
	struct cpu *cpu;
} ap_slots[MAX_CPUS - 1];

static void prepare_trampoline(unsigned nslots)
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
	*(uint64_t *)tramp_var(&tramp_cr3) = TRAMP_PML4_PHYS;
	*(uint64_t *)tramp_var(&tramp_entry) = (uint64_t)ap_entry64;
	*(uint64_t *)tramp_var(&tramp_slots) = (uint64_t)ap_slots;
	*(uint32_t *)tramp_var(&tramp_next) = 0;
	*(uint32_t *)tramp_var(&tramp_nslots) = nslots;
}

/* Added to the slot count to close it: a later AP finds no slot and parks. */
#define TRAMP_CLOSED 0x10000u

static uint32_t slots_taken(void)
{
	return __atomic_load_n((uint32_t *)tramp_var(&tramp_next), __ATOMIC_ACQUIRE);
}

/* Wait until @n APs have taken a slot or @ns have passed. */
static void wait_for_slots(uint32_t n, uint64_t ns)
{
	uint64_t until = time_now_ns() + ns;
	while (slots_taken() < n && time_now_ns() < until)
		arch_cpu_relax();
}

static bool apic_id_online(uint32_t apic_id)
{
	for (unsigned i = 1; i < MAX_CPUS; i++)
		if ((arch_online_mask() >> i & 1) && cpus[i].apic_id == apic_id)
			return true;
	return false;
}

/*
 * The 10 ms between INIT and STARTUP that the MP specification asks for is
 * for old CPUs: Intel family 6 and AMD family 0Fh and later take STARTUP at
 * once (Linux skips the wait for them too), and so do virtual CPUs.
 */
static bool init_needs_delay(void)
{
	uint32_t a, b, c, d;
	cpuid(0, 0, &a, &b, &c, &d);
	bool intel = b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e; /* "GenuineIntel" */
	bool amd = b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163;   /* "AuthenticAMD" */
	cpuid(1, 0, &a, &b, &c, &d);
	unsigned family = (a >> 8) & 0xf;
	if (family == 0xf)
		family += (a >> 20) & 0xff;
	return !((intel && family == 6) || (amd && family >= 0xf) || arch_on_hypervisor());
}

/*
 * Start every AP at once (INIT to all, one 10 ms wait, STARTUP to all, a
 * second STARTUP to those not yet seen): one wait in all instead of one per
 * CPU, which at 63 APs under TCG took 5.6 s. Each AP takes the next free
 * cpus[] slot; the BSP then closes the count, so an AP that shows up later
 * parks in the trampoline instead of running on a CPU count that left it out.
 */
void arch_smp_start(const uint32_t *apic_ids, unsigned n, unsigned npresent)
{
	uint32_t bsp = lapic_id();
	cpus[0].apic_id = bsp;
	static uint32_t targets[MAX_CPUS - 1];
	unsigned ntargets = 0, listed = 0, present = 0;
	for (unsigned i = 0; i < n; i++) {
		if (apic_ids[i] == bsp)
			continue;
		listed++;
		if (ntargets < MAX_CPUS - 1) {
			targets[ntargets++] = apic_ids[i];
			present += i < npresent;
		}
	}
	if (ntargets < listed)
		kprintf("smp: %u APs listed; starting the first %u only\n", listed, ntargets);
	unsigned nslots = 0;
	for (; nslots < ntargets; nslots++) {
		uint64_t stack = kstack_alloc();
		if (!stack)
			break;
		struct cpu *cpu = &cpus[nslots + 1];
		cpu->index = nslots + 1;
		cpu->kstack_top = stack + KSTACK_PAGES * PAGE_SIZE;
		ap_slots[nslots].stack_top = cpu->kstack_top;
		ap_slots[nslots].cpu = cpu;
	}
	if (nslots < ntargets)
		kprintf("smp: out of memory for AP stacks; starting %u of %u APs\n", nslots, ntargets);
	ntargets = nslots;
	prepare_trampoline(nslots);
	uint64_t t0 = time_now_ns();

	for (unsigned i = 0; i < ntargets; i++)
		lapic_send_init(targets[i]);
	if (ntargets && init_needs_delay())
		time_delay_ns(10 * 1000 * 1000);
	for (unsigned i = 0; i < ntargets; i++)
		lapic_send_sipi(targets[i], (uint8_t)(TRAMPOLINE_PHYS >> 12));
	/* TCG is slow to start CPUs, one host thread each: allow generous windows. */
	wait_for_slots(ntargets, 200 * 1000 * 1000ULL);
	if (slots_taken() < ntargets) {
		/* A STARTUP to a CPU already running is ignored: only the missing ones can act on it. */
		for (unsigned i = 0; i < ntargets; i++)
			if (!apic_id_online(targets[i]))
				lapic_send_sipi(targets[i], (uint8_t)(TRAMPOLINE_PHYS >> 12));
		/*
		 * A real CPU answers within microseconds or never. A virtual one is a
		 * host thread that a loaded host may not run for seconds (an AP of
		 * a 2-CPU guest took over 12 s beside three other QEMUs): wait for
		 * the CPUs the MADT says are there as long as a minute (the wait ends
		 * when the last is in), for those it only says may come online
		 * (hot-pluggable, usually absent) as before.
		 */
		wait_for_slots(present < ntargets ? present : ntargets,
			       (arch_on_hypervisor() ? 60000ULL : 2000ULL) * 1000 * 1000);
		wait_for_slots(ntargets, 2000 * 1000 * 1000ULL);
	}
	uint32_t arrived = __atomic_fetch_add((uint32_t *)tramp_var(&tramp_next), TRAMP_CLOSED, __ATOMIC_ACQ_REL);
	if (arrived > ntargets)
		arrived = ntargets;
	/* Whoever took a slot is in the kernel and comes online without waiting for anything. */
	uint64_t want = (arrived + 1 >= 64 ? ~0ULL : (1ULL << (arrived + 1)) - 1);
	uint64_t until = time_now_ns() + 10000ULL * 1000 * 1000;
	while ((arch_online_mask() & want) != want && time_now_ns() < until)
		arch_cpu_relax();
	if ((arch_online_mask() & want) != want)
		panic("smp: %u APs entered the kernel but not all came online (mask 0x%lx)", arrived,
		      arch_online_mask());
	for (unsigned i = arrived; i < nslots; i++)
		kstack_free(ap_slots[i].stack_top - KSTACK_PAGES * PAGE_SIZE);
	for (unsigned i = 0; i < ntargets; i++)
		if (!apic_id_online(targets[i]))
			kprintf("smp: CPU with APIC id %u did not start; skipped\n", targets[i]);
	cpu_count = arrived + 1;
	kprintf("smp: %u CPUs online (%u APs started in %lu ms, %s mode)\n", cpu_count, arrived,
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
