// SPDX-License-Identifier: MIT
// The US layout on set-1 scan codes (see keymap.h). Set 1 names the keys
// because the 8042 delivers it (translation on) and a USB keyboard's HID
// usages map onto it one to one (kernel/drivers/usb/hid_kbd.c).
#include "kernel/drivers/keyboard/keymap.h"

#include <stdbool.h>
#include <stddef.h>

/* Set 1 make codes 0x00-0x58, US layout; 0 = no byte (modifiers, function keys). */
static const char plain[0x59] = {
	[0x01] = 0x1b, '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '-', '=', 0x7f, '\t',
	'q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p', '[', ']', '\r',
	[0x1e] = 'a', 's', 'd', 'f', 'g', 'h', 'j', 'k', 'l', ';', '\'', '`',
	[0x2b] = '\\', 'z', 'x', 'c', 'v', 'b', 'n', 'm', ',', '.', '/',
	[0x37] = '*', [0x39] = ' ',
	/* The keypad as with Num Lock on, the state most firmware leaves it in. */
	[0x47] = '7', '8', '9', '-', '4', '5', '6', '+', '1', '2', '3', '0', '.',
};

static const char shifted[0x59] = {
	[0x01] = 0x1b, '!', '@', '#', '$', '%', '^', '&', '*', '(', ')', '_', '+', 0x7f, '\t',
	'Q', 'W', 'E', 'R', 'T', 'Y', 'U', 'I', 'O', 'P', '{', '}', '\r',
	[0x1e] = 'A', 'S', 'D', 'F', 'G', 'H', 'J', 'K', 'L', ':', '"', '~',
	[0x2b] = '|', 'Z', 'X', 'C', 'V', 'B', 'N', 'M', '<', '>', '?',
	[0x37] = '*', [0x39] = ' ',
	[0x47] = '7', '8', '9', '-', '4', '5', '6', '+', '1', '2', '3', '0', '.',
};

/* The extended keys that type something: a sequence, or a keypad byte. */
static const char *extended(uint8_t code)
{
	switch (code) {
	case 0x1c: return "\r";      /* keypad Enter */
	case 0x35: return "/";       /* keypad / */
	case 0x47: return "\x1b[H";  /* Home */
	case 0x48: return "\x1b[A";  /* Up */
	case 0x49: return "\x1b[5~"; /* Page Up */
	case 0x4b: return "\x1b[D";  /* Left */
	case 0x4d: return "\x1b[C";  /* Right */
	case 0x4f: return "\x1b[F";  /* End */
	case 0x50: return "\x1b[B";  /* Down */
	case 0x51: return "\x1b[6~"; /* Page Down */
	case 0x52: return "\x1b[2~"; /* Insert */
	case 0x53: return "\x1b[3~"; /* Delete */
	default: return NULL;
	}
}

unsigned keymap_bytes(uint16_t key, unsigned mods, char out[KEYMAP_OUT_MAX])
{
	uint8_t code = (uint8_t)key;
	if (key & KEY_E0) {
		/* What a terminal sends for these does not change with Shift or Ctrl. */
		const char *seq = extended(code);
		unsigned n = 0;
		while (seq && seq[n] && n < KEYMAP_OUT_MAX) {
			out[n] = seq[n];
			n++;
		}
		return n;
	}
	if (code >= sizeof(plain) || !plain[code])
		return 0;
	char c = plain[code];
	bool letter = c >= 'a' && c <= 'z';
	bool shift = mods & KEYMAP_SHIFT, caps = mods & KEYMAP_CAPS;
	if (letter ? shift != caps : shift)
		c = shifted[code];
	if (mods & KEYMAP_CTRL) {
		char u = letter ? (char)(plain[code] - 'a' + 'A') : c;
		if (u >= '@' && u <= '_')
			c = (char)(u & 0x1f);
	}
	out[0] = c;
	return 1;
}
