// SPDX-License-Identifier: MIT
// Host tests of kernel/drivers/ps2/scancode.c: scan code set 1 to terminal bytes.
#include <stdio.h>
#include <string.h>

#include "kernel/abi/devices.h"
#include "kernel/drivers/ps2/scancode.h"
#include "tests/host/htest.h"

/* Feed @n codes; return everything typed, NUL-terminated, in a static buffer. */
static const char *feed(struct ps2_kbd *k, const uint8_t *codes, size_t n)
{
	static char text[64];
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		char out[PS2_KBD_OUT_MAX];
		unsigned got = ps2_kbd_decode(k, codes[i], out);
		if (got > PS2_KBD_OUT_MAX || len + got >= sizeof(text))
			return "(overflow)";
		memcpy(text + len, out, got);
		len += got;
	}
	text[len] = '\0';
	return text;
}

#define FEED(k, ...) feed((k), (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

HTEST(ps2, letters_digits_enter_backspace)
{
	struct ps2_kbd k = { 0 };
	/* l s space / Enter, each pressed and released; then 1 0 Backspace. */
	HEXPECT(!strcmp(FEED(&k, 0x26, 0xa6, 0x1f, 0x9f, 0x39, 0xb9, 0x35, 0xb5, 0x1c, 0x9c), "ls /\r"));
	HEXPECT(!strcmp(FEED(&k, 0x02, 0x82, 0x0b, 0x8b, 0x0e, 0x8e), "10\x7f"));
}

HTEST(ps2, shift_and_caps_lock)
{
	struct ps2_kbd k = { 0 };
	/* Left Shift held over a 2 and '; released before a. */
	HEXPECT(!strcmp(FEED(&k, 0x2a, 0x03, 0x83, 0x28, 0xa8, 0xaa, 0x1e, 0x9e), "@\"a"));
	/* Right Shift too. */
	HEXPECT(!strcmp(FEED(&k, 0x36, 0x1e, 0x9e, 0xb6), "A"));
	/* Caps Lock: letters only, Shift undoes it; a second press turns it off. */
	HEXPECT(!strcmp(FEED(&k, 0x3a, 0xba, 0x1e, 0x02, 0x2a, 0x1e, 0xaa, 0x3a, 0xba, 0x1e), "A1aa"));
}

HTEST(ps2, ctrl_gives_control_codes)
{
	struct ps2_kbd k = { 0 };
	/* Left Ctrl + c, d; right Ctrl (E0 1D) + u; release; then c again. */
	HEXPECT(!strcmp(FEED(&k, 0x1d, 0x2e, 0xae, 0x20, 0xa0, 0x9d), "\x03\x04"));
	HEXPECT(!strcmp(FEED(&k, 0xe0, 0x1d, 0x16, 0xe0, 0x9d, 0x2e), "\x15" "c"));
	/* Ctrl with Shift still gives the control code; Ctrl-[ is ESC. */
	HEXPECT(!strcmp(FEED(&k, 0x1d, 0x2a, 0x2e, 0xaa, 0x1a, 0x9d), "\x03\x1b"));
}

HTEST(ps2, arrows_and_editing_keys_are_ansi)
{
	struct ps2_kbd k = { 0 };
	HEXPECT(!strcmp(FEED(&k, 0xe0, 0x48, 0xe0, 0xc8, 0xe0, 0x50, 0xe0, 0x4d, 0xe0, 0x4b), "\x1b[A\x1b[B\x1b[C\x1b[D"));
	HEXPECT(!strcmp(FEED(&k, 0xe0, 0x47, 0xe0, 0x4f, 0xe0, 0x53), "\x1b[H\x1b[F\x1b[3~"));
	/* Without the prefix, the same codes are the keypad's digits. */
	HEXPECT(!strcmp(FEED(&k, 0x48, 0xc8, 0x4b), "84"));
	/* Keypad Enter and /. */
	HEXPECT(!strcmp(FEED(&k, 0xe0, 0x1c, 0xe0, 0x35), "\r/"));
}

HTEST(ps2, prefixes_and_fake_shifts)
{
	struct ps2_kbd k = { 0 };
	/* Print Screen: E0 2A E0 37, released E0 B7 E0 AA. No Shift may stick. */
	HEXPECT(!strcmp(FEED(&k, 0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7, 0xe0, 0xaa, 0x1e), "a"));
	/* Pause: E1 1D 45 E1 9D C5 types nothing and leaves Ctrl up. */
	HEXPECT(!strcmp(FEED(&k, 0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5, 0x2e), "c"));
	/* Function keys, unknown codes and the keyboard's ACK type nothing. */
	HEXPECT(!strcmp(FEED(&k, 0x3b, 0xbb, 0x58, 0x7f, 0xfa), ""));
}

/* Feed @n bytes to the key decoder; return the events as "+code" / "-code" (hex) in a static buffer. */
static const char *keys(struct ps2_keys *k, const uint8_t *codes, size_t n)
{
	static char text[128];
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t code;
		bool pressed;
		if (ps2_key_decode(k, codes[i], &code, &pressed) && len + 8 < sizeof(text))
			len += (size_t)snprintf(text + len, sizeof(text) - len, "%c%x ", pressed ? '+' : '-', code);
	}
	text[len] = '\0';
	return text;
}

#define KEYS(k, ...) keys((k), (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

HTEST(ps2, keycodes_are_hid_usages)
{
	struct ps2_keys k = { 0 };
	/* a, z, 1, 0, Enter, Space, Left Shift: press and release (HID 04 1d 1e 27 28 2c e1). */
	HEXPECT(!strcmp(KEYS(&k, 0x1e, 0x9e, 0x2c, 0xac, 0x02, 0x82, 0x0b, 0x8b), "+4 -4 +1d -1d +1e -1e +27 -27 "));
	HEXPECT(!strcmp(KEYS(&k, 0x1c, 0x9c, 0x39, 0xb9, 0x2a, 0xaa), "+28 -28 +2c -2c +e1 -e1 "));
	/* q, m, F1, F10, F11, F12, keypad 7 and 0 (14 10 3a 43 44 45 5f 62). */
	HEXPECT(!strcmp(KEYS(&k, 0x10, 0x32, 0x3b, 0x44, 0x57, 0x58, 0x47, 0x52), "+14 +10 +3a +43 +44 +45 +5f +62 "));
}

HTEST(ps2, extended_keys_and_fake_shifts)
{
	struct ps2_keys k = { 0 };
	/* Up, Right Ctrl, Delete, left Windows key: E0-prefixed make and break. */
	HEXPECT(!strcmp(KEYS(&k, 0xe0, 0x48, 0xe0, 0xc8, 0xe0, 0x1d, 0xe0, 0x53, 0xe0, 0x5b), "+52 -52 +e4 +4c +e3 "));
	/* Print Screen with its fake shift (E0 2A E0 37 / E0 B7 E0 AA): only SysRq. */
	HEXPECT(!strcmp(KEYS(&k, 0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7, 0xe0, 0xaa), "+46 -46 "));
	/* Pause: one press at its start, one release at its end; then keys decode normally. */
	HEXPECT(!strcmp(KEYS(&k, 0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5, 0x1e), "+48 -48 +4 "));
	/* Unknown codes are no event. */
	HEXPECT(!strcmp(KEYS(&k, 0x59, 0x7f, 0xe0, 0x01), ""));
}

HTEST(ps2, mouse_packets_decode_and_resync)
{
	struct ps2_mouse m = { 0 };
	uint32_t b;
	int32_t dx, dy;
	/* Left button, moved right 5 and up 3 (the mouse's +y is away from the user: up on screen). */
	HEXPECT(!ps2_mouse_feed(&m, 0x09, 0, &b, &dx, &dy));
	HEXPECT(!ps2_mouse_feed(&m, 0x05, 1, &b, &dx, &dy));
	HEXPECT(ps2_mouse_feed(&m, 0x03, 2, &b, &dx, &dy));
	HEXPECT(b == MOUSE_LEFT && dx == 5 && dy == -3);
	/* Negative x through the sign bit; right and middle held. */
	HEXPECT(!ps2_mouse_feed(&m, 0x1e, 3, &b, &dx, &dy) && !ps2_mouse_feed(&m, 0xf6, 4, &b, &dx, &dy));
	HEXPECT(ps2_mouse_feed(&m, 0x00, 5, &b, &dx, &dy) && b == (MOUSE_RIGHT | MOUSE_MIDDLE) && dx == -10 && dy == 0);
	/* A first byte without the always-one bit is dropped until one comes. */
	HEXPECT(!ps2_mouse_feed(&m, 0x00, 6, &b, &dx, &dy) && m.dropped == 1);
	HEXPECT(!ps2_mouse_feed(&m, 0x08, 7, &b, &dx, &dy) && !ps2_mouse_feed(&m, 0x01, 8, &b, &dx, &dy));
	HEXPECT(ps2_mouse_feed(&m, 0x00, 9, &b, &dx, &dy) && b == 0 && dx == 1 && dy == 0);
	/* A packet cut short (a byte lost) is abandoned after the resync gap. */
	HEXPECT(!ps2_mouse_feed(&m, 0x08, 10, &b, &dx, &dy) && !ps2_mouse_feed(&m, 0x07, 11, &b, &dx, &dy));
	uint64_t later = 11 + PS2_MOUSE_RESYNC_NS;
	HEXPECT(!ps2_mouse_feed(&m, 0x0a, later, &b, &dx, &dy) && m.dropped == 3);
	HEXPECT(!ps2_mouse_feed(&m, 0x00, later + 1, &b, &dx, &dy));
	HEXPECT(ps2_mouse_feed(&m, 0x02, later + 2, &b, &dx, &dy) && b == MOUSE_RIGHT && dx == 0 && dy == -2);
	/* An overflowed axis reads 0. */
	HEXPECT(!ps2_mouse_feed(&m, 0x48, later + 3, &b, &dx, &dy) && !ps2_mouse_feed(&m, 0xff, later + 4, &b, &dx, &dy));
	HEXPECT(ps2_mouse_feed(&m, 0x04, later + 5, &b, &dx, &dy) && dx == 0 && dy == -4);
}
