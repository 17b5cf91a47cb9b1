// SPDX-License-Identifier: MIT
// Boot profile. Marks keep raw cycle counts: the first steps run before the
// clock is calibrated (arch_platform_init), so conversion to time waits for
// the report. Marks cost a few instructions, so they are taken on every
// boot; only the printing depends on "bootprof".
#include "kernel/log/bootprof.h"

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/arch.h"
#include "kernel/cmdline.h"
#include "kernel/log/log.h"
#include "kernel/time/time.h"

#define MAX_STEPS 16

static uint64_t start_cycles; /* the kernel's first mark: its entry */
static uint64_t last_cycles;
static struct {
	const char *name;
	uint64_t cycles;
} steps[MAX_STEPS];
static unsigned nsteps;
static bool console_seen; /* atomic */

static uint64_t cycles_to_us(uint64_t cycles)
{
	return time_cycles_to_ns(cycles) / 1000;
}

void bootprof_mark(const char *step)
{
	uint64_t now = arch_cycles();
	if (!start_cycles) {
		/* The first mark opens the profile: there is no step before it. */
		start_cycles = last_cycles = now;
		return;
	}
	if (nsteps < MAX_STEPS)
		steps[nsteps++] = (typeof(steps[0])){ step, now - last_cycles };
	last_cycles = now;
}

void bootprof_report(void)
{
	if (!cmdline_has("bootprof"))
		return;
	for (unsigned i = 0; i < nsteps; i++) {
		uint64_t us = cycles_to_us(steps[i].cycles);
		kprintf("bootprof: %-12s %5lu.%03lu ms\n", steps[i].name, us / 1000, us % 1000);
	}
	uint64_t us = cycles_to_us(last_cycles - start_cycles);
	kprintf("bootprof: %-12s %5lu.%03lu ms\n", "kernel", us / 1000, us % 1000);
}

void bootprof_console_read(void)
{
	if (__atomic_load_n(&console_seen, __ATOMIC_RELAXED) || __atomic_exchange_n(&console_seen, true, __ATOMIC_RELAXED))
		return;
	if (!cmdline_has("bootprof"))
		return;
	uint64_t us = cycles_to_us(arch_cycles() - start_cycles);
	kprintf("bootprof: %-12s %5lu.%03lu ms (kernel entry to the first console read)\n", "prompt", us / 1000,
		us % 1000);
}
