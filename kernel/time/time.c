// SPDX-License-Identifier: MIT
// The monotonic clock. ns = (cycles - base) * mult >> 32, computed in 128 bits
// so it neither overflows nor loses precision over long uptimes. The cycle
// counters of all CPUs tick together (invariant, synchronized TSC), so one
// base serves every CPU.
#include "kernel/time/time.h"

#include "arch/x86_64/arch.h"

/* Immutable after time_init(). */
static uint64_t base_cycles;
static uint64_t mult;       /* ns per cycle, 32.32 fixed point */
static uint64_t inv_mult;   /* cycles per ns, 44.20 fixed point */
static uint64_t hz;
static uint64_t epoch_at_boot;

void time_init(uint64_t cycles_hz, uint64_t boot_epoch)
{
	hz = cycles_hz;
	/* 64-bit divisions only: the kernel has no 128-bit division helper. */
	mult = (1000000000ULL << 32) / cycles_hz;
	inv_mult = (cycles_hz << 20) / 1000000000ULL;
	epoch_at_boot = boot_epoch;
	base_cycles = arch_cycles();
}

uint64_t time_cycles_to_ns(uint64_t cycles)
{
	return (uint64_t)(((unsigned __int128)cycles * mult) >> 32);
}

uint64_t time_now_ns(void)
{
	if (!hz)
		return 0;
	uint64_t c = arch_cycles();
	return time_cycles_to_ns(c > base_cycles ? c - base_cycles : 0);
}

uint64_t time_unix_epoch(void)
{
	return epoch_at_boot ? epoch_at_boot + time_now_ns() / 1000000000ULL : 0;
}

uint64_t time_ns_to_tsc_deadline(uint64_t ns)
{
	unsigned __int128 delta = ((unsigned __int128)ns * inv_mult) >> 20;
	uint64_t now = arch_cycles();
	return delta > UINT64_MAX - now ? UINT64_MAX : now + (uint64_t)delta;
}

uint64_t time_cycles_hz(void)
{
	return hz;
}

void time_delay_ns(uint64_t ns)
{
	uint64_t end = time_now_ns() + ns;
	while (time_now_ns() < end)
		arch_cpu_relax();
}

int64_t time_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* Shift the year to start in March so the leap day is the last day of the year. */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}
