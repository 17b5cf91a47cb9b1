// SPDX-License-Identifier: MIT
// Power-off through ACPI S5 and reset through the FADT reset register, the
// 8042 and a triple fault, in the order Linux's default reboot takes them.
// \_S5_'s SLP_TYP values come from a byte scan of the DSDT
// (acpi_aml_find_s5), not an AML interpreter: so _PTS, which the spec wants
// evaluated before a sleep, is not run (README "Power").
// Locks: none; whoever calls these is ending the machine.
#include "kernel/drivers/power/power.h"

#include <stdint.h>

#include "arch/x86_64/arch.h"
#include "kernel/abi/errno.h"
#include "kernel/acpi/acpi.h"
#include "kernel/log/log.h"
#include "kernel/test/cov.h"
#include "kernel/time/time.h"

#define PM1_SCI_EN     (1u << 0)
#define PM1_SLP_TYP(t) ((uint16_t)((t) & 7) << 10)
#define PM1_SLP_TYP_MASK PM1_SLP_TYP(7)
#define PM1_SLP_EN     (1u << 13)

#define I8042_STATUS   0x64
#define I8042_CMD      0x64
#define I8042_IN_FULL  0x02
#define I8042_PULSE_RESET 0xfe /* pulse output line 0: the CPU's reset */

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA    0xcfc

#define MS (1000 * 1000ULL)

static void spin_ns(uint64_t ns)
{
	uint64_t deadline = time_now_ns() + ns;
	while (time_now_ns() < deadline)
		arch_cpu_relax();
}

bool power_shutdown_supported(void)
{
	const struct acpi_info *a = arch_acpi_info();
	return a->have_fadt && a->pm1a_cnt && a->have_s5;
}

/*
 * Sleep states need ACPI mode (SCI_EN). Firmware that boots in legacy mode
 * hands it over when ACPI_ENABLE is written to SMI_CMD; the switch may take
 * a while (ACPICA allows 3 s).
 */
static void acpi_mode_on(const struct acpi_info *a)
{
	if ((arch_io_in16(a->pm1a_cnt) & PM1_SCI_EN) || !a->smi_cmd || !a->acpi_enable)
		return;
	arch_io_out8(a->smi_cmd, a->acpi_enable);
	uint64_t deadline = time_now_ns() + 3000 * MS;
	while (!(arch_io_in16(a->pm1a_cnt) & PM1_SCI_EN) && time_now_ns() < deadline)
		arch_cpu_relax();
}

/* SLP_TYP first, then with SLP_EN, as ACPICA writes them; the rest of the register kept. */
static void enter_sleep(uint16_t port, uint8_t slp_typ)
{
	uint16_t v = (uint16_t)((arch_io_in16(port) & ~(PM1_SLP_TYP_MASK | PM1_SLP_EN)) | PM1_SLP_TYP(slp_typ));
	arch_io_out16(port, v);
	arch_io_out16(port, v | PM1_SLP_EN);
}

int power_shutdown(void)
{
	const struct acpi_info *a = arch_acpi_info();
	if (!power_shutdown_supported())
		return -ENODEV;
	kprintf("power: off (ACPI S5, SLP_TYP %u/%u)\n", a->s5_slp_typa, a->s5_slp_typb);
	cov_dump();
	acpi_mode_on(a);
	irqflags_t f = arch_irq_save();
	enter_sleep(a->pm1a_cnt, a->s5_slp_typa);
	if (a->pm1b_cnt)
		enter_sleep(a->pm1b_cnt, a->s5_slp_typb);
	spin_ns(1000 * MS);
	arch_irq_restore(f);
	kprintf("power: still on after the S5 request\n");
	return -EIO;
}

/* The FADT reset register, in whichever address space it lives. */
static void acpi_reset(const struct acpi_info *a)
{
	switch (a->reset_space) {
	case ACPI_SPACE_IO:
		if (a->reset_address <= 0xffff)
			arch_io_out8((uint16_t)a->reset_address, a->reset_value);
		break;
	case ACPI_SPACE_MEMORY:
		arch_mmio_write8(a->reset_address, a->reset_value);
		break;
	case ACPI_SPACE_PCI: {
		/* Bus 0; device, function and offset as the GAS encodes them (ACPI 6.5 table 5.1). */
		uint32_t dev = (a->reset_address >> 32) & 0x1f, fn = (a->reset_address >> 16) & 7,
			 off = a->reset_address & 0xff;
		arch_io_out32(PCI_CONFIG_ADDRESS, 0x80000000u | dev << 11 | fn << 8 | (off & 0xfc));
		arch_io_out8(PCI_CONFIG_DATA + (off & 3), a->reset_value);
		break;
	}
	}
}

void power_reboot(void)
{
	const struct acpi_info *a = arch_acpi_info();
	kprintf("power: reboot\n");
	cov_dump();
	arch_irq_disable();
	/* Each way is announced before it is tried: the last line on serial names the one that worked. */
	if (a->reset_supported) {
		kprintf("power: reset through the ACPI reset register\n");
		acpi_reset(a);
		/* Linux waits 15 ms: some chipsets take a moment to act. */
		spin_ns(50 * MS);
	}
	if (!a->no_i8042) {
		kprintf("power: reset through the 8042\n");
		for (int i = 0; i < 10; i++) {
			for (int spin = 0; spin < 100000 && (arch_io_in8(I8042_STATUS) & I8042_IN_FULL); spin++)
				arch_cpu_relax();
			arch_io_out8(I8042_CMD, I8042_PULSE_RESET);
			spin_ns(50 * MS);
		}
	}
	kprintf("power: reset did not happen; triple fault\n");
	arch_reset_triple_fault();
}
