// SPDX-License-Identifier: MIT
// Platform bring-up: ACPI tables to interrupt controllers, clocks and CPUs.
// A missing or broken MADT is reported and the machine runs on one CPU.
#include "arch/x86_64/apic.h"
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/io.h"
#include "kernel/abi/errno.h"
#include "kernel/acpi/acpi.h"
#include "kernel/boot.h"
#include "kernel/cmdline.h"
#include "kernel/lib/printf.h"
#include "kernel/log/log.h"
#include "kernel/time/time.h"

static struct acpi_info acpi; /* immutable after arch_platform_init() */
static unsigned cpus_expected = 1;

unsigned arch_cpus_expected(void)
{
	return cpus_expected;
}

static const void *acpi_map(uint64_t phys, uint64_t len, void *ctx)
{
	return phys_to_virt(phys);
}

void arch_isa_override(uint8_t irq, uint32_t *gsi, uint32_t *flags)
{
	for (uint32_t i = 0; i < acpi.noverrides; i++) {
		if (acpi.overrides[i].source_irq == irq && acpi.overrides[i].bus == 0) {
			*gsi = acpi.overrides[i].gsi;
			*flags = acpi.overrides[i].flags;
			return;
		}
	}
}

void arch_timer_oneshot(uint64_t ns)
{
	lapic_timer_oneshot(ns);
}

/*
 * One line naming every feature this CPU lacks and what the kernel does
 * instead, so a report from a real PC says at once which paths it runs.
 */
static void report_fallbacks(void)
{
	uint32_t a, b, c, c1, d, b7, c7, dx;
	cpuid(1, 0, &a, &b, &c1, &d);
	cpuid(7, 0, &a, &b7, &c7, &d);
	cpuid(0x80000001u, 0, &a, &b, &c, &dx);
	const struct {
		bool missing;
		const char *what;
	} f[] = {
		{ !((dx >> 26) & 1), "no 1 GiB pages (direct map in 2 MiB pages)" },
		{ !((c1 >> 24) & 1), "no TSC-deadline (LAPIC count-down timer)" },
		{ !((c1 >> 21) & 1), "no x2APIC (xAPIC through MMIO)" },
		{ !((c1 >> 30) & 1), "no RDRAND (SHARE keys from a cycle-counter mix)" },
		{ !((c1 >> 26) & 1), "no XSAVE (FXSAVE: x87 and SSE state only)" },
		{ !((b7 >> 7) & 1), "no SMEP" },
		{ !((b7 >> 20) & 1), "no SMAP" },
		{ !((c7 >> 2) & 1), "no UMIP" },
	};
	char line[400];
	size_t len = 0;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i].missing)
			len += ksnprintf(line + len, sizeof(line) - len, "%s%s", len ? "; " : "", f[i].what);
	kprintf("cpu: fallbacks: %s\n", len ? line : "none");
}

void arch_platform_init(uint64_t rsdp)
{
	const char *why = "no RSDP from the loader";
	int r = rsdp ? acpi_parse(rsdp, acpi_map, NULL, &acpi, &why) : ACPI_ERR_RSDP;
	bool have_madt = r == ACPI_OK || r == ACPI_ERR_MADT_ENTRY;
	if (r != ACPI_OK)
		kprintf("acpi: %s%s\n", why, have_madt ? "" : "; running on one CPU");

	lapic_setup(have_madt ? acpi.lapic_address : 0);
	lapic_init_cpu();
	cpus[0].apic_id = lapic_id();
	ioapic_setup(acpi.nioapics ? acpi.ioapics[0].address : 0, acpi.nioapics ? acpi.ioapics[0].gsi_base : 0);
	arch_smp_register_handlers();

	const char *source;
	lapic_timer_calibrate_begin();
	uint64_t hz = arch_calibrate_cycles(acpi.hpet_address, acpi.pm_timer_port, acpi.pm_timer_32bit, &source);
	lapic_timer_calibrate_end(hz);
	uint64_t epoch = arch_rtc_epoch(acpi.century_reg);
	time_init(hz, epoch);
	kprintf("time: TSC %lu.%03lu MHz (calibrated against the %s), RTC epoch %lu\n", hz / 1000000,
		(hz / 1000) % 1000, source, epoch);

	/* The enabled CPUs first, then those that are only online-capable (smp.c waits less for them). */
	static uint32_t ids[ACPI_MAX_CPUS];
	unsigned n = 0, npresent;
	for (uint32_t i = 0; have_madt && i < acpi.ncpus; i++)
		if (acpi.cpus[i].enabled)
			ids[n++] = acpi.cpus[i].apic_id;
	npresent = n;
	for (uint32_t i = 0; have_madt && i < acpi.ncpus; i++)
		if (!acpi.cpus[i].enabled && acpi.cpus[i].online_capable)
			ids[n++] = acpi.cpus[i].apic_id;
	if (cmdline_has("nosmp"))
		n = npresent = 0;
	cpus_expected = n ? n : 1;
	report_fallbacks();
	arch_smp_start(ids, n, npresent);
}

void arch_route_isa_irq(uint8_t irq, uint8_t vector)
{
	ioapic_route_isa(irq, vector, cpus[0].apic_id);
}

void arch_isa_irq_install(uint8_t irq, arch_irq_handler_t handler)
{
	/* IRQ 0 would land on the timer's vector, IRQ 4 is the console's own. */
	ASSERT(irq >= 1 && irq <= 15 && irq != 4);
	arch_irq_register(VEC_ISA_FIRST + irq, handler);
	arch_route_isa_irq(irq, VEC_ISA_FIRST + irq);
}

/* The local APICs' MSI window (Intel SDM vol. 3, "Message Signalled Interrupts"). */
#define MSI_ADDRESS_BASE 0xfee00000u

int arch_msi_alloc(arch_irq_handler_t handler, uint64_t *address, uint32_t *data)
{
	static unsigned next = VEC_MSI_FIRST; /* boot only: no lock */
	/* Without interrupt remapping a message names an 8-bit APIC id. */
	if (cpus[0].apic_id > 0xff)
		return -ENODEV;
	if (next > VEC_MSI_LAST)
		return -ENOSPC;
	unsigned vector = next++;
	arch_irq_register(vector, handler);
	*address = MSI_ADDRESS_BASE | cpus[0].apic_id << 12;
	*data = vector; /* fixed delivery, edge triggered */
	return 0;
}

const struct acpi_info *arch_acpi_info(void)
{
	return &acpi;
}

uint8_t arch_io_in8(uint16_t port) { return inb(port); }
uint16_t arch_io_in16(uint16_t port) { return inw(port); }
uint32_t arch_io_in32(uint16_t port) { return inl(port); }
void arch_io_out8(uint16_t port, uint8_t value) { outb(port, value); }
void arch_io_out16(uint16_t port, uint16_t value) { outw(port, value); }
void arch_io_out32(uint16_t port, uint32_t value) { outl(port, value); }

void arch_mmio_write8(uint64_t phys, uint8_t value)
{
	*(volatile uint8_t *)phys_to_virt(phys) = value;
}

/*
 * With a zero-limit IDT every exception is a fault on fetching its own
 * descriptor, then a double fault, then a triple fault: the CPU signals
 * shutdown and the chipset resets. NMIs are blocked by the same empty IDT.
 */
void arch_reset_triple_fault(void)
{
	static const struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) empty = { 0, 0 };
	__asm__ volatile("cli; lidt %0; int3" : : "m"(empty));
	for (;;)
		__asm__ volatile("hlt");
}

void arch_lapic_eoi(void)
{
	lapic_eoi();
}

/* QEMU's isa-debug-exit device: QEMU exits with (value << 1) | 1. */
#define QEMU_EXIT_PORT 0xf4

void arch_qemu_exit(uint32_t value)
{
	outl(QEMU_EXIT_PORT, value);
}
