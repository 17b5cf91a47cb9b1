// SPDX-License-Identifier: MIT
// Time: a monotonic nanosecond clock from the CPU's cycle counter, calibrated
// at boot, and the wall-clock time of boot from the RTC.
#ifndef QUILT_TIME_TIME_H
#define QUILT_TIME_TIME_H

#include <stdint.h>

/* Start the clock: @cycles_hz from calibration, @boot_epoch in Unix seconds (0 if unknown). Context: boot. */
void time_init(uint64_t cycles_hz, uint64_t boot_epoch);
/* Nanoseconds since time_init(); never decreases, on any CPU. Context: any. */
uint64_t time_now_ns(void);
/* A span of @cycles (arch_cycles) in ns; 0 before time_init. */
uint64_t time_cycles_to_ns(uint64_t cycles);
/* Seconds since 1970-01-01 UTC, or 0 when no RTC was found. */
uint64_t time_unix_epoch(void);
/* The cycle-counter value @ns nanoseconds from now (for TSC-deadline timers). */
uint64_t time_ns_to_tsc_deadline(uint64_t ns);
uint64_t time_cycles_hz(void);
/* Busy-wait. Context: any. */
void time_delay_ns(uint64_t ns);

/* Days since 1970-01-01 of a proleptic Gregorian date. Pure. */
int64_t time_days_from_civil(int64_t year, unsigned month, unsigned day);

/* Saturating deadline arithmetic of the spec (§3.3). */
#define CLOCKS_NEVER_NS UINT64_MAX
static inline uint64_t time_deadline(uint64_t now, uint64_t timeout)
{
	return (timeout == CLOCKS_NEVER_NS || timeout > UINT64_MAX - now) ? CLOCKS_NEVER_NS : now + timeout;
}

#endif
