// SPDX-License-Identifier: MIT
// Local APIC (xAPIC or x2APIC), I/O APIC and the legacy PIC, private to arch/.
#ifndef QUILT_ARCH_X86_64_APIC_H
#define QUILT_ARCH_X86_64_APIC_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/vectors.h"

/* Decide the mode (x2APIC when the CPU has it) and find the MMIO base. BSP, once. */
void lapic_setup(uint64_t mmio_phys);
/* Enable this CPU's LAPIC (every CPU). */
void lapic_init_cpu(void);
uint32_t lapic_id(void);
void lapic_eoi(void);
bool lapic_x2apic(void);
/* Fixed-delivery IPI to one CPU by APIC id. */
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);
/* NMI to every CPU except this one. */
void lapic_send_nmi_all_but_self(void);
/* INIT and STARTUP (SIPI) for AP bring-up. */
void lapic_send_init(uint32_t apic_id);
void lapic_send_sipi(uint32_t apic_id, uint8_t page);

/*
 * Timer calibration, in the TSC's calibration window: _begin starts the
 * count-down just before the window opens, _end reads it once the TSC's rate
 * (@tsc_hz) is known and times the count-down with the TSC. Nothing to do
 * with TSC deadlines (their unit is the TSC). One window for both clocks,
 * not one each. Context: boot, BSP.
 */
void lapic_timer_calibrate_begin(void);
void lapic_timer_calibrate_end(uint64_t tsc_hz);
/* Timer: one-shot interrupt on VEC_TIMER after @ns nanoseconds (0 = stop). */
void lapic_timer_oneshot(uint64_t ns);

/* Mask the 8259 PICs and every I/O APIC input; route one ISA IRQ to a vector on the BSP. */
void ioapic_setup(uint64_t ioapic_phys, uint32_t gsi_base);
void ioapic_route_isa(uint8_t irq, uint8_t vector, uint32_t dest_apic_id);

#endif
