// SPDX-License-Identifier: MIT
// The keyboard layout both keyboard drivers share (PS/2 and USB HID): a key,
// named by its PC scan code (set 1), plus the modifiers held, to the bytes a
// serial terminal sends for it. Pure code, host-tested.
#ifndef QUILT_DRIVERS_KEYBOARD_KEYMAP_H
#define QUILT_DRIVERS_KEYBOARD_KEYMAP_H

#include <stdint.h>

/* Most bytes one key can produce ("ESC [ 3 ~" for Delete). */
#define KEYMAP_OUT_MAX 4

/* A key is its set-1 make code (0x01-0x7f), or'ed with KEY_E0 for the extended keys (0xE0 prefix). */
#define KEY_E0 0x100u

/* Modifier state for keymap_bytes(). */
#define KEYMAP_SHIFT 0x1u /* either Shift held */
#define KEYMAP_CTRL  0x2u /* either Ctrl held */
#define KEYMAP_CAPS  0x4u /* Caps Lock on */

/*
 * keymap_bytes - what pressing @key with @mods types, into @out.
 * Letters and symbols follow the US layout with Shift and Caps Lock (Caps
 * Lock shifts letters only, Shift undoes it); Ctrl with a letter or one of
 * @[\]^_ gives its control code (Ctrl-C 0x03); Enter is '\r' and Backspace
 * DEL (0x7f), as a terminal sends them; arrows, Home, End, Insert, Delete,
 * Page Up/Down are their ANSI sequences (ESC [ A ...); the keypad types as
 * with Num Lock on. Modifiers, function keys and unknown keys type nothing.
 * Returns the number of bytes written (0..KEYMAP_OUT_MAX). Context: any; pure.
 */
unsigned keymap_bytes(uint16_t key, unsigned mods, char out[KEYMAP_OUT_MAX]);

#endif
