// SPDX-License-Identifier: MIT
// Calibrating the TSC against a fixed-frequency reference (HPET, else the ACPI
// PM timer, else the PIT), and reading the CMOS real-time clock.
#include "arch/x86_64/arch.h"
#include "arch/x86_64/io.h"
#include "kernel/boot.h"
#include "kernel/log/log.h"
#include "kernel/time/time.h"

#define HPET_CAP     0x00
#define HPET_CONFIG  0x10
#define HPET_COUNTER 0xF0

/*
 * The calibration window. Its error is the time one read of the reference
 * takes over the window's length: an HPET or PM-timer read costs about a
 * microsecond, 100 ppm of 10 ms (under QEMU the TSC and the HPET come from
 * one host clock, exact at any length). The kernel's clock only has to be
 * true to itself (sleeps and timeouts are measured with it); the wall clock
 * comes from the RTC. It was 20 ms, plus 10 ms of its own for the LAPIC
 * timer: a third of the boot to the shell.
 */
#define CALIBRATION_NS 10000000ULL /* 10 ms */

static uint64_t calibrate_hpet(uint64_t phys)
{
	volatile uint64_t *hpet = phys_to_virt(phys);
	uint64_t period_fs = hpet[HPET_CAP / 8] >> 32;
	if (period_fs == 0 || period_fs > 100000000ULL)
		return 0;
	hpet[HPET_CONFIG / 8] |= 1; /* counter running */
	uint64_t ticks = CALIBRATION_NS * 1000000ULL / period_fs;
	uint64_t h0 = hpet[HPET_COUNTER / 8], c0 = arch_cycles();
	while (hpet[HPET_COUNTER / 8] - h0 < ticks)
		arch_cpu_relax();
	uint64_t h1 = hpet[HPET_COUNTER / 8], c1 = arch_cycles();
	uint64_t elapsed_ns = (h1 - h0) * period_fs / 1000000ULL;
	return elapsed_ns ? (c1 - c0) * 1000000000ULL / elapsed_ns : 0;
}

static uint64_t calibrate_pm_timer(uint16_t port, bool wide)
{
	const uint64_t pm_hz = 3579545;
	uint32_t mask = wide ? 0xFFFFFFFFu : 0xFFFFFFu;
	uint64_t ticks = pm_hz * CALIBRATION_NS / 1000000000ULL;
	uint32_t p0 = inl(port) & mask;
	uint64_t c0 = arch_cycles(), seen = 0;
	uint32_t last = p0;
	while (seen < ticks) {
		uint32_t now = inl(port) & mask;
		seen += (now - last) & mask;
		last = now;
	}
	uint64_t c1 = arch_cycles();
	return (c1 - c0) * pm_hz / seen;
}

static uint64_t calibrate_pit(void)
{
	/* Channel 2, gate through port 0x61, mode 0, count down ~20 ms. */
	const uint64_t pit_hz = 1193182;
	uint16_t count = (uint16_t)(pit_hz * CALIBRATION_NS / 1000000000ULL);
	outb(0x61, (inb(0x61) & ~0x02) | 0x01);
	outb(0x43, 0xB0);
	outb(0x42, count & 0xFF);
	outb(0x42, count >> 8);
	uint64_t c0 = arch_cycles();
	while (!(inb(0x61) & 0x20))
		arch_cpu_relax();
	uint64_t c1 = arch_cycles();
	return (c1 - c0) * pit_hz / count;
}

uint64_t arch_calibrate_cycles(uint64_t hpet_phys, uint32_t pm_port, bool pm_wide, const char **source)
{
	uint64_t hz = 0;
	if (hpet_phys && (hz = calibrate_hpet(hpet_phys))) {
		*source = "HPET";
		return hz;
	}
	if (pm_port && (hz = calibrate_pm_timer((uint16_t)pm_port, pm_wide))) {
		*source = "ACPI PM timer";
		return hz;
	}
	*source = "PIT";
	return calibrate_pit();
}

static uint8_t cmos_read(uint8_t reg)
{
	outb(0x70, reg | 0x80); /* keep NMI disabled while selecting */
	return inb(0x71);
}

static unsigned bcd(uint8_t v, bool binary)
{
	return binary ? v : (v & 0x0F) + (v >> 4) * 10;
}

uint64_t arch_rtc_epoch(uint16_t century_reg)
{
	/* Read twice until stable and not mid-update, so no field rolls over between reads. */
	uint8_t r[7], again[7];
	for (int tries = 0; tries < 1000; tries++) {
		while (cmos_read(0x0A) & 0x80)
			arch_cpu_relax();
		static const uint8_t regs[7] = { 0x00, 0x02, 0x04, 0x07, 0x08, 0x09, 0x32 };
		for (int i = 0; i < 7; i++)
			r[i] = cmos_read(i == 6 ? (uint8_t)(century_reg ? century_reg : 0x32) : regs[i]);
		for (int i = 0; i < 7; i++)
			again[i] = cmos_read(i == 6 ? (uint8_t)(century_reg ? century_reg : 0x32) : regs[i]);
		bool same = true;
		for (int i = 0; i < 7; i++)
			same &= r[i] == again[i];
		if (same)
			break;
	}
	uint8_t status_b = cmos_read(0x0B);
	bool binary = status_b & 0x04, h24 = status_b & 0x02;
	unsigned sec = bcd(r[0], binary), min = bcd(r[1], binary);
	unsigned hour = bcd(r[2] & 0x7F, binary);
	if (!h24 && (r[2] & 0x80))
		hour = (hour % 12) + 12;
	else if (!h24 && hour == 12)
		hour = 0;
	unsigned day = bcd(r[3], binary), month = bcd(r[4], binary), year = bcd(r[5], binary);
	unsigned century = bcd(r[6], binary);
	if (century < 19 || century > 30)
		century = 20;
	if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
		return 0;
	int64_t days = time_days_from_civil((int64_t)century * 100 + year, month, day);
	return (uint64_t)(days * 86400 + hour * 3600 + min * 60 + sec);
}
