// SPDX-License-Identifier: MIT
// Turning the machine off (ACPI S5) and resetting it, for /dev/power.
#ifndef QUILT_DRIVERS_POWER_POWER_H
#define QUILT_DRIVERS_POWER_POWER_H

#include <stdbool.h>

#include "kernel/lib/compiler.h"

/* Whether power_shutdown() has what it needs: a FADT with PM1a_CNT and \_S5_ from the DSDT. */
bool power_shutdown_supported(void);

/*
 * power_shutdown - enter ACPI S5 (soft off): ACPI mode on if the firmware left it
 * off, then SLP_TYPa|SLP_EN to PM1a_CNT (and SLP_TYPb to PM1b_CNT).
 * Returns only when the machine is still on: -ENODEV when it cannot try
 * (see power_shutdown_supported), -EIO when it tried and nothing happened.
 * Context: process; sleeps with IRQs off for up to a few seconds.
 */
int __must_check power_shutdown(void);

/*
 * power_reboot - reset the machine: the FADT reset register when the FADT
 * says it is supported, then the 8042's reset line, then a triple fault.
 * Context: any. Never returns.
 */
__attribute__((noreturn)) void power_reboot(void);

#endif
