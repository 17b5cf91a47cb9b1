// SPDX-License-Identifier: MIT
// Local APIC in xAPIC (MMIO) or x2APIC (MSR) mode, the I/O APIC, and the
// legacy 8259 PICs (masked: every interrupt comes through the APICs).
#include "arch/x86_64/apic.h"

#include "arch/x86_64/arch.h"
#include "arch/x86_64/io.h"
#include "kernel/boot.h"
#include "kernel/log/log.h"
#include "kernel/time/time.h"

#define X2APIC_MSR(reg)   (MSR_X2APIC_BASE + ((reg) >> 4))

#define LAPIC_ID      0x20
#define LAPIC_EOI     0xB0
#define LAPIC_SVR     0xF0
#define LAPIC_ICR_LO  0x300
#define LAPIC_ICR_HI  0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR  0x390
#define LAPIC_TIMER_DIV  0x3E0

/* Immutable after lapic_setup() / lapic_timer_calibrate_end(). */
static volatile uint32_t *lapic_mmio;
static bool x2apic;
static bool tsc_deadline;
static uint64_t timer_ticks_per_ms; /* LAPIC timer ticks (divide by 16) per millisecond */

bool lapic_x2apic(void)
{
	return x2apic;
}

static uint32_t lapic_read(uint32_t reg)
{
	if (x2apic)
		return (uint32_t)rdmsr(X2APIC_MSR(reg));
	return lapic_mmio[reg / 4];
}

static void lapic_write(uint32_t reg, uint32_t value)
{
	if (x2apic)
		wrmsr(X2APIC_MSR(reg), value);
	else
		lapic_mmio[reg / 4] = value;
}

/*
 * Put this CPU's timer in the mode lapic_timer_oneshot() uses, stopped.
 * The mode is set once: arming and stopping are then one register write
 * each (under QEMU without x2APIC each register write is an exit to the
 * device model, and the scheduler re-arms at nearly every switch).
 */
static void lapic_timer_mode(void)
{
	if (tsc_deadline) {
		lapic_write(LAPIC_LVT_TIMER, (2u << 17) | VEC_TIMER);
		/* The LVT write must be visible before the deadline MSR is armed. */
		__asm__ volatile("mfence" : : : "memory");
		wrmsr(MSR_TSC_DEADLINE, 0);
		return;
	}
	lapic_write(LAPIC_TIMER_DIV, 0x3); /* divide by 16 */
	lapic_write(LAPIC_TIMER_INIT, 0);  /* a count of 0 stops it */
	lapic_write(LAPIC_LVT_TIMER, VEC_TIMER); /* one-shot */
}

void lapic_setup(uint64_t mmio_phys)
{
	uint32_t a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	x2apic = (c >> 21) & 1;
	tsc_deadline = (c >> 24) & 1;
	lapic_mmio = phys_to_virt(mmio_phys ? mmio_phys : 0xFEE00000ULL);
}

void lapic_init_cpu(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);
	base |= 1u << 11; /* global enable */
	if (x2apic)
		base |= 1u << 10;
	wrmsr(MSR_APIC_BASE, base);
	lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS); /* software enable */
	lapic_timer_mode();
}

uint32_t lapic_id(void)
{
	uint32_t id = lapic_read(LAPIC_ID);
	return x2apic ? id : id >> 24;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

static void icr_send(uint32_t apic_id, uint32_t low)
{
	if (x2apic) {
		wrmsr(X2APIC_MSR(LAPIC_ICR_LO), ((uint64_t)apic_id << 32) | low);
		return;
	}
	lapic_write(LAPIC_ICR_HI, apic_id << 24);
	lapic_write(LAPIC_ICR_LO, low);
	/* Wait for the delivery-status bit so back-to-back IPIs are not lost. */
	while (lapic_read(LAPIC_ICR_LO) & (1u << 12))
		arch_cpu_relax();
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
	icr_send(apic_id, vector);
}

void lapic_send_nmi_all_but_self(void)
{
	/* Destination shorthand 11 (all excluding self), delivery mode NMI (100). */
	icr_send(0, (3u << 18) | (4u << 8) | (1u << 14));
}

void lapic_send_init(uint32_t apic_id)
{
	icr_send(apic_id, (5u << 8) | (1u << 14)); /* INIT, assert, edge */
}

void lapic_send_sipi(uint32_t apic_id, uint8_t page)
{
	icr_send(apic_id, (6u << 8) | page);
}

static uint64_t calibration_start; /* TSC when the count-down started */

void lapic_timer_calibrate_begin(void)
{
	if (tsc_deadline)
		return; /* deadlines are in TSC units, calibrated with it */
	lapic_write(LAPIC_TIMER_DIV, 0x3); /* divide by 16 */
	lapic_write(LAPIC_LVT_TIMER, 1u << 16);
	calibration_start = arch_cycles();
	lapic_write(LAPIC_TIMER_INIT, 0xFFFFFFFFu);
}

void lapic_timer_calibrate_end(uint64_t tsc_hz)
{
	if (tsc_deadline)
		return;
	uint32_t elapsed = 0xFFFFFFFFu - lapic_read(LAPIC_TIMER_CUR);
	uint64_t cycles = arch_cycles() - calibration_start;
	lapic_timer_mode(); /* stopped, in the mode lapic_timer_oneshot() uses */
	/* ticks per ms = elapsed / (cycles / tsc_hz * 1000): below 2^32 * 10^7 before the division. */
	timer_ticks_per_ms = cycles ? (uint64_t)elapsed * (tsc_hz / 1000) / cycles : 0;
	if (timer_ticks_per_ms == 0)
		timer_ticks_per_ms = 1;
	kprintf("apic: timer %lu ticks a ms (bus clock / 16)\n", timer_ticks_per_ms);
}

void lapic_timer_oneshot(uint64_t ns)
{
	if (tsc_deadline) {
		/* Writing 0 disarms. */
		wrmsr(MSR_TSC_DEADLINE, ns ? time_ns_to_tsc_deadline(ns) : 0);
		return;
	}
	uint64_t ticks = 0; /* 0 stops the count-down */
	if (ns > 1000ULL * 1000000000ULL) {
		ticks = 0xFFFFFFFFu; /* past the counter's reach (about a minute) anyway */
	} else if (ns) {
		ticks = ns * timer_ticks_per_ms / 1000000;
		if (ticks == 0)
			ticks = 1;
		if (ticks > 0xFFFFFFFFu)
			ticks = 0xFFFFFFFFu;
	}
	lapic_write(LAPIC_TIMER_INIT, (uint32_t)ticks);
}

/* ---------------------------------------------------------------- I/O APIC */

static volatile uint32_t *ioapic;
static uint32_t ioapic_gsi_base;

static uint32_t ioapic_read(uint32_t reg)
{
	ioapic[0] = reg;
	return ioapic[4];
}

static void ioapic_write(uint32_t reg, uint32_t value)
{
	ioapic[0] = reg;
	ioapic[4] = value;
}

void ioapic_setup(uint64_t phys, uint32_t gsi_base)
{
	/* Both 8259s: remap away from the exception vectors, then mask everything. */
	outb(0x20, 0x11);
	outb(0xA0, 0x11);
	outb(0x21, 0xE0);
	outb(0xA1, 0xE8);
	outb(0x21, 4);
	outb(0xA1, 2);
	outb(0x21, 1);
	outb(0xA1, 1);
	outb(0x21, 0xFF);
	outb(0xA1, 0xFF);
	if (!phys)
		return;
	ioapic = phys_to_virt(phys);
	ioapic_gsi_base = gsi_base;
	uint32_t entries = ((ioapic_read(1) >> 16) & 0xFF) + 1;
	for (uint32_t i = 0; i < entries; i++) {
		ioapic_write(0x10 + 2 * i, 1u << 16); /* masked */
		ioapic_write(0x11 + 2 * i, 0);
	}
}

void ioapic_route_isa(uint8_t irq, uint8_t vector, uint32_t dest_apic_id)
{
	if (!ioapic)
		return;
	uint32_t gsi = irq, flags = 0;
	arch_isa_override(irq, &gsi, &flags);
	uint32_t pin = gsi - ioapic_gsi_base;
	uint32_t low = vector;
	if ((flags & 3) == 3)
		low |= 1u << 13; /* active low */
	if (((flags >> 2) & 3) == 3)
		low |= 1u << 15; /* level triggered */
	ioapic_write(0x11 + 2 * pin, dest_apic_id << 24);
	ioapic_write(0x10 + 2 * pin, low);
}
