// SPDX-License-Identifier: MIT
// Host tests of the USB keyboard's pure parts: boot reports to terminal
// bytes (kernel/drivers/usb/hid_kbd.c, over the shared keymap) and the
// configuration descriptor search (kernel/drivers/usb/desc.c).
#include <string.h>

#include "kernel/abi/errno.h"
#include "kernel/drivers/usb/hid_kbd.h"
#include "kernel/drivers/usb/usb.h"
#include "tests/host/htest.h"

/* Feed boot reports of 8 bytes each; return everything typed, NUL-terminated, in a static buffer. */
static const char *reports(struct hid_kbd *k, const uint8_t (*r)[8], size_t n)
{
	static char text[128];
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		char out[HID_KBD_OUT_MAX];
		unsigned got = hid_kbd_report(k, r[i], 8, out);
		if (got > HID_KBD_OUT_MAX || len + got >= sizeof(text))
			return "(overflow)";
		memcpy(text + len, out, got);
		len += got;
	}
	text[len] = '\0';
	return text;
}

#define REPORTS(k, ...) reports((k), (const uint8_t[][8]){ __VA_ARGS__ }, \
				sizeof((const uint8_t[][8]){ __VA_ARGS__ }) / 8)

/* Usages: a 0x04, c 0x06, d 0x07, l 0x0f, s 0x16, 1 0x1e, 2 0x1f, 0 0x27, Enter 0x28, Backspace 0x2a, Space 0x2c. */
HTEST(usb_kbd, presses_type_once_releases_nothing)
{
	struct hid_kbd k = { 0 };
	/* l, l+s (l still held: only s is new), s alone, none, space, / , Enter. */
	HEXPECT(!strcmp(REPORTS(&k, { 0, 0, 0x0f }, { 0, 0, 0x0f, 0x16 }, { 0, 0, 0x16 }, { 0 }, { 0, 0, 0x2c },
				{ 0, 0, 0x38 }, { 0, 0, 0x28 }, { 0 }), "ls /\r"));
	/* 1 0 Backspace; a key pressed again after its release types again. */
	HEXPECT(!strcmp(REPORTS(&k, { 0, 0, 0x1e }, { 0 }, { 0, 0, 0x27 }, { 0, 0, 0x2a }, { 0 }, { 0, 0, 0x2a }),
			"10\x7f\x7f"));
	/* Two keys new in one report type in the report's order. */
	HEXPECT(!strcmp(REPORTS(&k, { 0 }, { 0, 0, 0x07, 0x04 }), "da"));
}

HTEST(usb_kbd, shift_ctrl_and_caps_lock)
{
	struct hid_kbd k = { 0 };
	/* Left Shift (0x02) with 2 and '; right Shift (0x20) with a; then a without. */
	HEXPECT(!strcmp(REPORTS(&k, { 0x02, 0, 0x1f }, { 0x02, 0, 0x1f, 0x34 }, { 0 }, { 0x20, 0, 0x04 }, { 0 },
				{ 0, 0, 0x04 }), "@\"Aa"));
	/* Caps Lock (0x39): letters only, Shift undoes it, held across reports toggles once. */
	HEXPECT(!strcmp(REPORTS(&k, { 0, 0, 0x39 }, { 0, 0, 0x39 }, { 0 }, { 0, 0, 0x04 }, { 0, 0, 0x1e }, { 0 },
				{ 0x02, 0, 0x04 }, { 0 }, { 0, 0, 0x39 }, { 0 }, { 0, 0, 0x04 }), "A1aa"));
	/* Left (0x01) and right (0x10) Ctrl give control codes: Ctrl-C, Ctrl-D, Ctrl-[ is ESC. */
	HEXPECT(!strcmp(REPORTS(&k, { 0x01, 0, 0x06 }, { 0x01 }, { 0x10, 0, 0x07 }, { 0x11, 0, 0x2f }, { 0 }),
			"\x03\x04\x1b"));
}

HTEST(usb_kbd, editing_keys_are_ansi_like_ps2)
{
	struct hid_kbd k = { 0 };
	/* Up Down Right Left (0x52 0x51 0x4f 0x50), Home End Delete (0x4a 0x4d 0x4c). */
	HEXPECT(!strcmp(REPORTS(&k, { 0, 0, 0x52 }, { 0, 0, 0x51 }, { 0, 0, 0x4f }, { 0, 0, 0x50 }, { 0 }),
			"\x1b[A\x1b[B\x1b[C\x1b[D"));
	HEXPECT(!strcmp(REPORTS(&k, { 0, 0, 0x4a }, { 0, 0, 0x4d }, { 0, 0, 0x4c }, { 0 }), "\x1b[H\x1b[F\x1b[3~"));
	/* The keypad: 8, 4, Enter, /; F1 and the Application key type nothing. */
	HEXPECT(!strcmp(REPORTS(&k, { 0, 0, 0x60 }, { 0, 0, 0x5c }, { 0, 0, 0x58 }, { 0, 0, 0x54 }, { 0, 0, 0x3a },
				{ 0, 0, 0x65 }, { 0 }), "84\r/"));
	/* Ends of the table, so a shifted row shows: keypad . and the Application key. */
	HEXPECT_EQ(hid_usage_to_key(0x63), 0x53);
	HEXPECT_EQ(hid_usage_to_key(0x65), KEY_E0 | 0x5d);
	HEXPECT_EQ(hid_usage_to_key(0x66), 0);
	HEXPECT_EQ(hid_usage_to_key(0xe0), 0); /* modifiers come in byte 0, not as keys */
}

HTEST(usb_kbd, rollover_and_short_reports_are_dropped)
{
	struct hid_kbd k = { 0 };
	/* a held; too many keys (ErrorRollOver in every slot); then a and c: only c is new. */
	HEXPECT(!strcmp(REPORTS(&k, { 0, 0, 0x04 }, { 0, 0, 1, 1, 1, 1, 1, 1 }, { 0, 0, 0x04, 0x06 }), "ac"));
	char out[HID_KBD_OUT_MAX];
	const uint8_t two[2] = { 0, 0 }, three[3] = { 0, 0, 0x07 };
	HEXPECT_EQ(hid_kbd_report(&k, two, 2, out), 0);
	/* A 3-byte report holds one key: d is new, a and c are released. */
	HEXPECT_EQ(hid_kbd_report(&k, three, 3, out), 1);
	HEXPECT_EQ(out[0], 'd');
	/* One usage listed twice types once. */
	HEXPECT(!strcmp(REPORTS(&k, { 0 }, { 0, 0, 0x06, 0x06 }), "c"));
}

/* QEMU's usb-kbd: one interface, HID 3/1/1, its HID descriptor, endpoint 0x81 interrupt 8 bytes, 7 ms. */
static const uint8_t qemu_kbd[] = {
	9, 2, 34, 0, 1, 1, 0, 0xa0, 50,
	9, 4, 0, 0, 1, 3, 1, 1, 0,
	9, 0x21, 0x11, 0x01, 0, 1, 0x22, 63, 0,
	7, 5, 0x81, 3, 8, 0, 7,
};

HTEST(usb_desc, finds_boot_keyboard)
{
	struct usb_intr_in kb = { 0 };
	HEXPECT_EQ(usb_find_boot_keyboard(qemu_kbd, sizeof(qemu_kbd), &kb), 0);
	HEXPECT_EQ(kb.config_value, 1);
	HEXPECT_EQ(kb.interface, 0);
	HEXPECT_EQ(kb.endpoint, 0x81);
	HEXPECT_EQ(kb.max_packet, 8);
	HEXPECT_EQ(kb.interval, 7);
}

HTEST(usb_desc, composite_device_second_interface)
{
	/*
	 * Configuration 2: interface 0 a mouse (3/1/2) with its IN endpoint,
	 * interface 1 alternate 1 a keyboard (ignored: not alternate 0),
	 * interface 1 alternate 0 the keyboard with an OUT endpoint first,
	 * then its interrupt IN endpoint 0x83.
	 */
	static const uint8_t d[] = {
		9, 2, 66, 0, 2, 2, 0, 0xa0, 50,
		9, 4, 0, 0, 1, 3, 1, 2, 0,
		7, 5, 0x81, 3, 4, 0, 10,
		9, 4, 1, 1, 1, 3, 1, 1, 0,
		7, 5, 0x82, 3, 8, 0, 10,
		9, 4, 1, 0, 2, 3, 1, 1, 0,
		7, 5, 0x02, 3, 8, 0, 10,
		7, 5, 0x83, 3, 8, 0, 10,
	};
	struct usb_intr_in kb = { 0 };
	HEXPECT_EQ(usb_find_boot_keyboard(d, sizeof(d), &kb), 0);
	HEXPECT_EQ(kb.config_value, 2);
	HEXPECT_EQ(kb.interface, 1);
	HEXPECT_EQ(kb.endpoint, 0x83);
}

HTEST(usb_desc, refuses_what_is_not_a_keyboard_or_broken)
{
	struct usb_intr_in kb;
	/* A mass-storage stick: class 8, bulk endpoints. */
	static const uint8_t stick[] = {
		9, 2, 32, 0, 1, 1, 0, 0x80, 50,
		9, 4, 0, 0, 2, 8, 6, 0x50, 0,
		7, 5, 0x81, 2, 0, 2, 0,
		7, 5, 0x02, 2, 0, 2, 0,
	};
	HEXPECT_EQ(usb_find_boot_keyboard(stick, sizeof(stick), &kb), -ENOENT);
	/* Cut before the endpoint, and a wTotalLength that stops short of it. */
	HEXPECT_EQ(usb_find_boot_keyboard(qemu_kbd, sizeof(qemu_kbd) - 1, &kb), -ENOENT);
	uint8_t shortened[sizeof(qemu_kbd)];
	memcpy(shortened, qemu_kbd, sizeof(qemu_kbd));
	shortened[2] = 27;
	HEXPECT_EQ(usb_find_boot_keyboard(shortened, sizeof(shortened), &kb), -ENOENT);
	/* A zero-length descriptor ends the walk instead of looping. */
	memcpy(shortened, qemu_kbd, sizeof(qemu_kbd));
	shortened[18] = 0;
	HEXPECT_EQ(usb_find_boot_keyboard(shortened, sizeof(shortened), &kb), -ENOENT);
	/* Not a configuration descriptor at all. */
	HEXPECT_EQ(usb_find_boot_keyboard(qemu_kbd + 9, sizeof(qemu_kbd) - 9, &kb), -EINVAL);
	HEXPECT_EQ(usb_find_boot_keyboard(qemu_kbd, 4, &kb), -EINVAL);
}

HTEST(usb_kbd, repeat_follows_the_newest_key_held)
{
	struct hid_kbd k = { 0 };
	char out[HID_KBD_OUT_MAX];
	const uint8_t a[8] = { 0, 0, 0x04 }, a_up[8] = { 0, 0, 0x52, 0x04 }, up[8] = { 0, 0, 0x52 },
		      shift_only[8] = { 0x02 }, none[8] = { 0 }, caps[8] = { 0, 0, 0x39 };
	HEXPECT_EQ(hid_kbd_report(&k, a, 8, out), 1);
	HEXPECT_EQ(k.repeat_len, 1);
	HEXPECT_EQ(k.repeat[0], 'a');
	uint32_t gen = k.repeat_gen;
	/* Still held: nothing typed, the repeat stays, its delay is not restarted. */
	HEXPECT_EQ(hid_kbd_report(&k, a, 8, out), 0);
	HEXPECT_EQ(k.repeat_len, 1);
	HEXPECT_EQ(k.repeat_gen, gen);
	/* Up pressed while a is held: Up repeats now, with a new generation. */
	HEXPECT_EQ(hid_kbd_report(&k, a_up, 8, out), 3);
	HEXPECT_EQ(k.repeat_len, 3);
	HEXPECT(!memcmp(k.repeat, "\x1b[A", 3));
	HEXPECT(k.repeat_gen != gen);
	/* a released, Up still held: Up goes on; Up released: nothing repeats. */
	HEXPECT_EQ(hid_kbd_report(&k, up, 8, out), 0);
	HEXPECT_EQ(k.repeat_len, 3);
	HEXPECT_EQ(hid_kbd_report(&k, none, 8, out), 0);
	HEXPECT_EQ(k.repeat_len, 0);
	/* Keys that type nothing (a modifier, Caps Lock) never repeat. */
	HEXPECT_EQ(hid_kbd_report(&k, shift_only, 8, out), 0);
	HEXPECT_EQ(hid_kbd_report(&k, caps, 8, out), 0);
	HEXPECT_EQ(k.repeat_len, 0);
}

HTEST(usb_desc, finds_a_hubs_status_endpoint)
{
	/* QEMU's usb-hub: interface class 9, endpoint 0x81 interrupt, 1 byte, 255 ms. */
	static const uint8_t hub[] = {
		9, 2, 25, 0, 1, 1, 0, 0xe0, 0,
		9, 4, 0, 0, 1, 9, 0, 0, 0,
		7, 5, 0x81, 3, 1, 0, 0xff,
	};
	struct usb_intr_in ep = { 0 };
	HEXPECT_EQ(usb_find_interrupt_in(hub, sizeof(hub), 9, -1, -1, &ep), 0);
	HEXPECT_EQ(ep.endpoint, 0x81);
	HEXPECT_EQ(ep.max_packet, 1);
	HEXPECT_EQ(usb_find_boot_keyboard(hub, sizeof(hub), &ep), -ENOENT);
	/* Any class at all finds the keyboard's endpoint too. */
	HEXPECT_EQ(usb_find_interrupt_in(qemu_kbd, sizeof(qemu_kbd), -1, -1, -1, &ep), 0);
	HEXPECT_EQ(ep.endpoint, 0x81);
	HEXPECT_EQ(usb_find_interrupt_in(qemu_kbd, sizeof(qemu_kbd), 3, 1, 2, &ep), -ENOENT); /* a mouse: no */
}

/* Events between reports, as "+04 -e1 ...", in a static buffer; each report then taken. */
static const char *events(struct hid_kbd *k, const uint8_t (*r)[8], size_t n)
{
	static char text[256];
	size_t len = 0;
	text[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		struct hid_key_event ev[HID_KBD_EVENTS_MAX];
		unsigned got = hid_kbd_key_events(k, r ? r[i] : NULL, 8, ev);
		for (unsigned j = 0; j < got && len + 5 < sizeof(text); j++)
			len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%c%02x", len ? " " : "",
						ev[j].pressed ? '+' : '-', ev[j].usage);
		char out[HID_KBD_OUT_MAX];
		if (r)
			(void)hid_kbd_report(k, r[i], 8, out);
	}
	return text;
}

#define EVENTS(k, ...) events((k), (const uint8_t[][8]){ __VA_ARGS__ }, \
			      sizeof((const uint8_t[][8]){ __VA_ARGS__ }) / 8)

HTEST(usb_kbd, key_events_for_the_input_layer)
{
	struct hid_kbd k = { 0 };
	/* a; Shift-b as QEMU sends it (Shift, b, b up, Shift up); Ctrl-Up; the PS/2 check's list. */
	HEXPECT(!strcmp(EVENTS(&k, { 0, 0, 0x04 }, { 0 }, { 0x02 }, { 0x02, 0, 0x05 }, { 0x02 }, { 0 },
			       { 0x01 }, { 0x01, 0, 0x52 }, { 0x01 }, { 0 }),
			"+04 -04 +e1 +05 -05 -e1 +e0 +52 -52 -e0"));
	/* All at once: releases before presses, keys released before modifiers, modifiers pressed before keys. */
	HEXPECT(!strcmp(EVENTS(&k, { 0x22, 0, 0x04, 0x05 }, { 0x08, 0, 0x06 }),
			"+e1 +e5 +04 +05 -04 -05 -e1 -e5 +e3 +06"));
	/* Rollover makes none and keeps the state; the keyboard going away releases what is held. */
	HEXPECT(!strcmp(EVENTS(&k, { 0x08, 0, 1, 1, 1, 1, 1, 1 }), ""));
	HEXPECT(!strcmp(events(&k, NULL, 1), "-06 -e3"));
}
