// SPDX-License-Identifier: MIT
// The PS/2 keyboard behind an i8042 controller: typed keys join the serial
// console's input (console_input_push), so /dev/console reads both alike.
#ifndef QUILT_DRIVERS_PS2_PS2_H
#define QUILT_DRIVERS_PS2_PS2_H

/*
 * ps2_init - find and set up the i8042 and its keyboard port, then take the
 * keyboard's IRQ 1. A machine whose ACPI tables say there is no 8042, or
 * whose controller does not answer in time, is reported and left alone.
 * Context: boot, after platform init (the clock bounds every wait) and
 * before anything reads /dev/console.
 */
void ps2_init(void);

#endif
