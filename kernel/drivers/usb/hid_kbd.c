// SPDX-License-Identifier: MIT
// Boot keyboard reports to terminal bytes (see hid_kbd.h). A HID keyboard
// reports the keys held, not key events: a press is a usage that appears,
// and releases need no handling at all. Usages (HID Usage Tables, page 7,
// "Keyboard/Keypad") are turned into the set-1 codes the shared keymap
// speaks, so the layout exists once.
#include "kernel/drivers/usb/hid_kbd.h"

#include <stddef.h>

#define MOD_LCTRL  0x01
#define MOD_LSHIFT 0x02
#define MOD_RCTRL  0x10
#define MOD_RSHIFT 0x20

#define USAGE_ERROR_ROLLOVER 0x01 /* 0x02 POSTFail, 0x03 ErrorUndefined: no key either */
#define USAGE_FIRST_KEY      0x04 /* 'a' */
#define USAGE_CAPS_LOCK      0x39
#define USAGE_LEFT_CTRL      0xe0 /* modifier bit i of byte 0 is usage 0xE0 + i */

#define E0 KEY_E0
/* Usage 0x04-0x65 to set 1: letters, digits, the main block, F1-F12, the editing block, the keypad. */
static const uint16_t usage_key[0x66] = {
	[0x04] = 0x1e, 0x30, 0x2e, 0x20, 0x12, 0x21, 0x22, 0x23, 0x17, 0x24, 0x25, 0x26, 0x32, /* a-m */
	0x31, 0x18, 0x19, 0x10, 0x13, 0x1f, 0x14, 0x16, 0x2f, 0x11, 0x2d, 0x15, 0x2c,          /* n-z */
	[0x1e] = 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,                   /* 1-0 */
	[0x28] = 0x1c, 0x01, 0x0e, 0x0f, 0x39,  /* Enter Escape Backspace Tab Space */
	0x0c, 0x0d, 0x1a, 0x1b, 0x2b,           /* - = [ ] \ */
	0x2b, 0x27, 0x28, 0x29, 0x33, 0x34, 0x35, /* non-US # (where \ sits), ; ' ` , . / */
	0x3a,                                    /* Caps Lock */
	0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x41, 0x42, 0x43, 0x44, 0x57, 0x58, /* F1-F12 */
	E0 | 0x37, 0x46, 0,                      /* Print Screen, Scroll Lock, Pause (E1: no key) */
	E0 | 0x52, E0 | 0x47, E0 | 0x49,         /* Insert Home Page Up */
	E0 | 0x53, E0 | 0x4f, E0 | 0x51,         /* Delete End Page Down */
	E0 | 0x4d, E0 | 0x4b, E0 | 0x50, E0 | 0x48, /* Right Left Down Up */
	0x45, E0 | 0x35, 0x37, 0x4a, 0x4e, E0 | 0x1c, /* Num Lock, keypad / * - + Enter */
	0x4f, 0x50, 0x51, 0x4b, 0x4c, 0x4d, 0x47, 0x48, 0x49, 0x52, 0x53, /* keypad 1-9 0 . */
	0x56, E0 | 0x5d,                         /* non-US \ (102nd key), Application */
};
#undef E0

uint16_t hid_usage_to_key(uint8_t usage)
{
	return usage < sizeof(usage_key) / sizeof(usage_key[0]) ? usage_key[usage] : 0;
}

static bool in(const uint8_t *keys, unsigned n, uint8_t usage)
{
	for (unsigned i = 0; i < n; i++)
		if (keys[i] == usage)
			return true;
	return false;
}

unsigned hid_kbd_report(struct hid_kbd *k, const uint8_t *report, unsigned len, char out[HID_KBD_OUT_MAX])
{
	if (len < 3)
		return 0;
	unsigned nkeys = len - 2 < HID_BOOT_KEYS ? len - 2 : HID_BOOT_KEYS;
	const uint8_t *keys = report + 2;
	/* Rollover: the keyboard cannot tell which keys are down; keep the last state. */
	for (unsigned i = 0; i < nkeys; i++)
		if (keys[i] >= USAGE_ERROR_ROLLOVER && keys[i] < USAGE_FIRST_KEY)
			return 0;

	uint8_t m = report[0];
	unsigned mods = (m & (MOD_LSHIFT | MOD_RSHIFT) ? KEYMAP_SHIFT : 0) | (m & (MOD_LCTRL | MOD_RCTRL) ? KEYMAP_CTRL : 0);
	unsigned n = 0;
	for (unsigned i = 0; i < nkeys; i++) {
		uint8_t u = keys[i];
		/* 0 is an empty slot; a usage listed twice in one report is one key. */
		if (u == 0 || in(k->held, HID_BOOT_KEYS, u) || in(keys, i, u))
			continue;
		if (u == USAGE_CAPS_LOCK) {
			k->caps_lock = !k->caps_lock;
			continue;
		}
		uint16_t key = hid_usage_to_key(u);
		unsigned got = key ? keymap_bytes(key, mods | (k->caps_lock ? KEYMAP_CAPS : 0), out + n) : 0;
		if (got) {
			/* The newest key that types is the one that repeats, as on a PS/2 keyboard. */
			k->repeat_usage = u;
			k->repeat_len = (uint8_t)got;
			for (unsigned j = 0; j < got; j++)
				k->repeat[j] = out[n + j];
			k->repeat_gen++;
		}
		n += got;
	}
	k->mods = m;
	if (k->repeat_usage && !in(keys, nkeys, k->repeat_usage))
		k->repeat_usage = k->repeat_len = 0;
	for (unsigned i = 0; i < HID_BOOT_KEYS; i++)
		k->held[i] = i < nkeys ? keys[i] : 0;
	return n;
}

/* Whether a report is one hid_kbd_report() drops: too short, or "too many keys" (ErrorRollOver...). */
static bool dropped(const uint8_t *report, unsigned len)
{
	if (len < 3)
		return true;
	unsigned nkeys = len - 2 < HID_BOOT_KEYS ? len - 2 : HID_BOOT_KEYS;
	for (unsigned i = 0; i < nkeys; i++)
		if (report[2 + i] >= USAGE_ERROR_ROLLOVER && report[2 + i] < USAGE_FIRST_KEY)
			return true;
	return false;
}

unsigned hid_kbd_key_events(const struct hid_kbd *k, const uint8_t *report, unsigned len,
			    struct hid_key_event out[HID_KBD_EVENTS_MAX])
{
	static const uint8_t none[HID_BOOT_REPORT_BYTES];
	if (!report) {
		report = none;
		len = sizeof(none);
	}
	if (dropped(report, len))
		return 0;
	unsigned nkeys = len - 2 < HID_BOOT_KEYS ? len - 2 : HID_BOOT_KEYS, n = 0;
	const uint8_t *keys = report + 2;
	uint8_t was = k->mods, now = report[0];
	for (unsigned i = 0; i < HID_BOOT_KEYS; i++) {
		uint8_t u = k->held[i];
		if (u >= USAGE_FIRST_KEY && !in(keys, nkeys, u) && !in(k->held, i, u))
			out[n++] = (struct hid_key_event){ u, false };
	}
	for (unsigned b = 0; b < 8; b++)
		if ((was & ~now) & (1u << b))
			out[n++] = (struct hid_key_event){ (uint8_t)(USAGE_LEFT_CTRL + b), false };
	for (unsigned b = 0; b < 8; b++)
		if ((now & ~was) & (1u << b))
			out[n++] = (struct hid_key_event){ (uint8_t)(USAGE_LEFT_CTRL + b), true };
	for (unsigned i = 0; i < nkeys; i++) {
		uint8_t u = keys[i];
		if (u >= USAGE_FIRST_KEY && !in(k->held, HID_BOOT_KEYS, u) && !in(keys, i, u))
			out[n++] = (struct hid_key_event){ u, true };
	}
	return n;
}
