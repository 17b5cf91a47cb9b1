// SPDX-License-Identifier: MIT
// Scan code set 1 to terminal bytes (see scancode.h). Set 1 is what an 8042
// with translation on delivers whatever set the keyboard speaks, which is
// why the controller driver turns translation on rather than decoding set 2.
#include "kernel/drivers/ps2/scancode.h"

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

enum {
	SC_LCTRL = 0x1d,
	SC_LSHIFT = 0x2a,
	SC_RSHIFT = 0x36,
	SC_CAPS = 0x3a,
	SC_RELEASE = 0x80, /* set on the break code of every key */
	SC_PREFIX_E0 = 0xe0,
	SC_PREFIX_E1 = 0xe1,
	PAUSE_TAIL = 5,    /* E1 1D 45 E1 9D C5: five bytes after the first */
};

/* The 0xE0-prefixed keys that type something: a sequence, or a keypad byte. */
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

static unsigned copy_out(const char *s, char *out)
{
	unsigned n = 0;
	while (s[n] && n < PS2_KBD_OUT_MAX) {
		out[n] = s[n];
		n++;
	}
	return n;
}

unsigned ps2_kbd_decode(struct ps2_kbd *k, uint8_t code, char out[PS2_KBD_OUT_MAX])
{
	if (k->pause_left) {
		k->pause_left--;
		return 0;
	}
	if (code == SC_PREFIX_E0) {
		k->e0 = true;
		return 0;
	}
	if (code == SC_PREFIX_E1) {
		k->pause_left = PAUSE_TAIL;
		return 0;
	}
	bool e0 = k->e0, release = code & SC_RELEASE;
	k->e0 = false;
	uint8_t make = code & ~SC_RELEASE;

	if (make == SC_LCTRL) {
		*(e0 ? &k->rctrl : &k->lctrl) = !release;
		return 0;
	}
	if (e0) {
		/*
		 * E0 2A / E0 36 are the "fake shifts" keyboards wrap around
		 * Print Screen and the grey keys: never a real Shift.
		 */
		const char *seq = extended(make);
		return !release && seq ? copy_out(seq, out) : 0;
	}
	if (make == SC_LSHIFT || make == SC_RSHIFT) {
		*(make == SC_LSHIFT ? &k->lshift : &k->rshift) = !release;
		return 0;
	}
	if (release)
		return 0;
	if (make == SC_CAPS) {
		k->caps_lock = !k->caps_lock;
		return 0;
	}
	if (make >= sizeof(plain) || !plain[make])
		return 0;

	char c = plain[make];
	bool letter = c >= 'a' && c <= 'z';
	/* Caps Lock shifts letters only, and Shift undoes it, as on a PC. */
	bool shift = k->lshift || k->rshift;
	if (letter ? shift != k->caps_lock : shift)
		c = shifted[make];
	if (k->lctrl || k->rctrl) {
		char u = letter ? (char)(plain[make] - 'a' + 'A') : c;
		if (u >= '@' && u <= '_')
			c = (char)(u & 0x1f);
	}
	out[0] = c;
	return 1;
}
