// SPDX-License-Identifier: MIT
// Host tests of kernel/drivers/ps2/scancode.c: scan code set 1 to terminal bytes.
#include <string.h>

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
