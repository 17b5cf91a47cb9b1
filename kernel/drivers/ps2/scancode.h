// SPDX-License-Identifier: MIT
// PS/2 keyboard scan codes (set 1, as the 8042 translates them) to the bytes a
// serial terminal sends for the same keys. Pure code, host-tested.
#ifndef QUILT_DRIVERS_PS2_SCANCODE_H
#define QUILT_DRIVERS_PS2_SCANCODE_H

#include <stdbool.h>
#include <stdint.h>

/* Most bytes one scan code can produce ("ESC [ 3 ~" for Delete). */
#define PS2_KBD_OUT_MAX 4

/* Decoder state: prefixes seen and modifiers held. Zero-initialized = nothing held. */
struct ps2_kbd {
	bool e0;               /* the previous byte was the 0xE0 prefix */
	uint8_t pause_left;    /* bytes of a Pause (0xE1 ...) sequence still to drop */
	bool lshift, rshift;
	bool lctrl, rctrl;
	bool caps_lock;        /* toggled by each press of Caps Lock */
};

/*
 * ps2_kbd_decode - feed one byte from the keyboard to @k; write what the key
 * types to @out. Letters and symbols follow the US layout with Shift and Caps
 * Lock; Ctrl with a letter or one of @[\]^_ gives its control code (Ctrl-C
 * 0x03); Enter is '\r' and Backspace DEL (0x7f), as a terminal sends them;
 * arrows, Home, End, Insert, Delete, Page Up/Down are their ANSI sequences
 * (ESC [ A ...). Releases, prefixes and keys without a byte produce nothing.
 * Returns the number of bytes written (0..PS2_KBD_OUT_MAX). Context: any; pure.
 */
unsigned ps2_kbd_decode(struct ps2_kbd *k, uint8_t code, char out[PS2_KBD_OUT_MAX]);

#endif
