// SPDX-License-Identifier: MIT
// PS/2 keyboard scan codes (set 1, as the 8042 translates them) to the bytes a
// serial terminal sends for the same keys and to PatchworkOS keycodes, and
// PS/2 mouse packets to movements. Pure code, host-tested.
#ifndef QUILT_DRIVERS_PS2_SCANCODE_H
#define QUILT_DRIVERS_PS2_SCANCODE_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/drivers/keyboard/keymap.h"

/* Most bytes one scan code can produce ("ESC [ 3 ~" for Delete). */
#define PS2_KBD_OUT_MAX KEYMAP_OUT_MAX

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
 * types to @out (the layout is keymap_bytes()'s). Letters and symbols follow the US layout with Shift and Caps
 * Lock; Ctrl with a letter or one of @[\]^_ gives its control code (Ctrl-C
 * 0x03); Enter is '\r' and Backspace DEL (0x7f), as a terminal sends them;
 * arrows, Home, End, Insert, Delete, Page Up/Down are their ANSI sequences
 * (ESC [ A ...). Releases, prefixes and keys without a byte produce nothing.
 * Returns the number of bytes written (0..PS2_KBD_OUT_MAX). Context: any; pure.
 */
unsigned ps2_kbd_decode(struct ps2_kbd *k, uint8_t code, char out[PS2_KBD_OUT_MAX]);

/* Key decoder state (prefixes), apart from ps2_kbd's so each decoder reads the byte stream alone. */
struct ps2_keys {
	bool e0;            /* the previous byte was the 0xE0 prefix */
	uint8_t pause_left; /* bytes of a Pause sequence still to come */
};

/*
 * ps2_key_decode - feed one byte from the keyboard to @k. When it completes
 * a key's make or break code, store the key's KBD_* keycode
 * (kernel/abi/devices.h: USB HID usage numbers, as PatchworkOS) in *@code,
 * whether it went down in *@pressed, and return true. Prefixes, the fake
 * shifts keyboards wrap around some keys, and unknown codes return false.
 * Pause (E1 1D 45 E1 9D C5, no break code) is a press at its first byte and
 * a release at its last. Context: any; pure.
 */
bool ps2_key_decode(struct ps2_keys *k, uint8_t byte, uint32_t *code, bool *pressed);

/* Mouse packet assembly: three bytes, flags first (bit 3 always set). */
struct ps2_mouse {
	uint8_t packet[3];
	uint8_t have;            /* bytes of the current packet so far */
	uint64_t last_ns;        /* when the last byte came */
	uint64_t dropped;        /* bytes thrown away to find a packet start again */
};

/* A packet is three bytes in quick succession; a gap this long starts a new one. */
#define PS2_MOUSE_RESYNC_NS (50 * 1000 * 1000ULL)

/*
 * ps2_mouse_feed - feed one byte from the mouse, which came at @now_ns. When
 * it completes a packet, store the buttons held (MOUSE_*) and the movement
 * in screen terms (right and down positive; an axis whose counter
 * overflowed reads 0) and return true. A first byte without its always-one
 * bit, or a packet left half-done for PS2_MOUSE_RESYNC_NS, is dropped, so a
 * lost byte costs one packet, not a shifted stream. Context: any; pure.
 */
bool ps2_mouse_feed(struct ps2_mouse *m, uint8_t byte, uint64_t now_ns, uint32_t *buttons, int32_t *dx, int32_t *dy);

#endif
