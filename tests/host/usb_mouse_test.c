// SPDX-License-Identifier: MIT
// Host tests of the USB mouse's pure parts: boot reports to mouse events
// (kernel/drivers/usb/hid_mouse.c) and finding a boot mouse interface in a
// configuration descriptor (kernel/drivers/usb/desc.c).
#include <string.h>

#include "kernel/abi/devices.h"
#include "kernel/abi/errno.h"
#include "kernel/drivers/usb/hid_mouse.h"
#include "kernel/drivers/usb/usb.h"
#include "tests/host/htest.h"

/* Feed reports of @len bytes; "b=B x y" per event made, "-" per report dropped, in a static buffer. */
static const char *mouse_reports(struct hid_mouse *m, const uint8_t (*r)[4], size_t n, unsigned len)
{
	static char text[256];
	size_t at = 0;
	text[0] = '\0';
	for (size_t i = 0; i < n && at + 24 < sizeof(text); i++) {
		struct hid_mouse_event ev;
		if (hid_mouse_report(m, r[i], len, &ev))
			at += (size_t)snprintf(text + at, sizeof(text) - at, "%sb=%u %d %d", at ? ", " : "", ev.buttons,
					       ev.dx, ev.dy);
		else
			at += (size_t)snprintf(text + at, sizeof(text) - at, "%s-", at ? ", " : "");
	}
	return text;
}

#define MOUSE(m, len, ...) mouse_reports((m), (const uint8_t[][4]){ __VA_ARGS__ }, \
					 sizeof((const uint8_t[][4]){ __VA_ARGS__ }) / 4, (len))

HTEST(usb_mouse, movements_are_signed_and_down_positive)
{
	struct hid_mouse m = { 0 };
	/* The PS/2 check's moves (10, 20) and (-7, -3), then the extremes of a byte. */
	HEXPECT(!strcmp(MOUSE(&m, 3, { 0, 10, 20 }, { 0, 0xf9, 0xfd }, { 0, 0x7f, 0x80 }, { 0, 0x80, 0x7f }),
			"b=0 10 20, b=0 -7 -3, b=0 127 -128, b=0 -128 127"));
}

HTEST(usb_mouse, buttons_become_patchworks_bits)
{
	struct hid_mouse m = { 0 };
	/* HID: bit 0 left, 1 right, 2 middle. PatchworkOS: right 1, middle 2, left 4. */
	HEXPECT(!strcmp(MOUSE(&m, 3, { 1 }, { 2 }, { 4 }, { 6 }, { 7 }, { 0 }),
			"b=4 0 0, b=1 0 0, b=2 0 0, b=3 0 0, b=7 0 0, b=0 0 0"));
	HEXPECT_EQ(MOUSE_LEFT, 4u);
	HEXPECT_EQ(MOUSE_RIGHT, 1u);
	HEXPECT_EQ(MOUSE_MIDDLE, 2u);
	/* Buttons beyond the boot three (bits 3-7: side buttons) are not reported. */
	HEXPECT(!strcmp(MOUSE(&m, 3, { 0xf9, 1, 0 }), "b=4 1 0"));
	/* Moving with a button held keeps it in every event. */
	HEXPECT(!strcmp(MOUSE(&m, 3, { 1, 0, 5 }, { 1, 0xff, 0 }), "b=4 0 5, b=4 -1 0"));
}

HTEST(usb_mouse, short_idle_and_long_reports)
{
	struct hid_mouse m = { 0 };
	/* Shorter than 3 bytes: dropped, and it changes nothing. */
	HEXPECT(!strcmp(MOUSE(&m, 2, { 1, 5, 5 }), "-"));
	HEXPECT(!strcmp(MOUSE(&m, 0, { 1, 5, 5 }), "-"));
	HEXPECT_EQ(m.buttons, 0u);
	/* An idle repeat (same buttons, no movement) makes no event; a change does. */
	HEXPECT(!strcmp(MOUSE(&m, 3, { 0 }, { 1 }, { 1 }, { 1, 0, 0 }, { 0 }), "-, b=4 0 0, -, -, b=0 0 0"));
	/* QEMU's usb-mouse sends 4 bytes (the wheel last): the wheel is ignored, a wheel-only report dropped. */
	HEXPECT(!strcmp(MOUSE(&m, 4, { 0, 3, 0xfe, 1 }, { 0, 0, 0, 0xff }), "b=0 3 -2, -"));
}

HTEST(usb_mouse, going_away_releases_held_buttons)
{
	struct hid_mouse m = { 0 };
	struct hid_mouse_event ev = { .buttons = 99 };
	/* Nothing held: no event. */
	HEXPECT(!hid_mouse_release(&m, &ev));
	HEXPECT_EQ(ev.buttons, 99u);
	HEXPECT(!strcmp(MOUSE(&m, 3, { 3, 1, 1 }), "b=5 1 1"));
	HEXPECT(hid_mouse_release(&m, &ev));
	HEXPECT_EQ(ev.buttons, 0u);
	HEXPECT_EQ(ev.dx, 0);
	HEXPECT_EQ(ev.dy, 0);
	HEXPECT(!hid_mouse_release(&m, &ev)); /* once */
	/* A report after that starts from "nothing held". */
	HEXPECT(!strcmp(MOUSE(&m, 3, { 0 }, { 1 }), "-, b=4 0 0"));
}

/* QEMU's usb-mouse: one interface 3/1/2, endpoint 0x81 interrupt, 4 bytes, 10 ms. */
static const uint8_t qemu_mouse[] = {
	9, 2, 34, 0, 1, 1, 0, 0xa0, 50,
	9, 4, 0, 0, 1, 3, 1, 2, 0,
	9, 0x21, 0x01, 0x00, 0, 1, 0x22, 52, 0,
	7, 5, 0x81, 3, 4, 0, 10,
};

/* QEMU's usb-tablet: absolute, class 3 but not a boot device (subclass 0). */
static const uint8_t qemu_tablet[] = {
	9, 2, 34, 0, 1, 1, 0, 0xa0, 50,
	9, 4, 0, 0, 1, 3, 0, 2, 0,
	9, 0x21, 0x01, 0x00, 0, 1, 0x22, 74, 0,
	7, 5, 0x81, 3, 8, 0, 10,
};

/* A wireless receiver's shape: a boot keyboard on interface 0, a boot mouse with two endpoints on 1. */
static const uint8_t combo[] = {
	9, 2, 66, 0, 2, 1, 0, 0xa0, 50,
	9, 4, 0, 0, 1, 3, 1, 1, 0,
	9, 0x21, 0x11, 0x01, 0, 1, 0x22, 63, 0,
	7, 5, 0x81, 3, 8, 0, 8,
	9, 4, 1, 0, 2, 3, 1, 2, 0,
	9, 0x21, 0x11, 0x01, 0, 1, 0x22, 100, 0,
	7, 5, 0x02, 3, 8, 0, 8,   /* an interrupt OUT endpoint first: not the one */
	7, 5, 0x82, 3, 8, 0, 2,
};

HTEST(usb_desc, finds_boot_mouse)
{
	struct usb_intr_in ep = { 0 };
	HEXPECT_EQ(usb_find_boot_mouse(qemu_mouse, sizeof(qemu_mouse), &ep), 0);
	HEXPECT_EQ(ep.config_value, 1);
	HEXPECT_EQ(ep.interface, 0);
	HEXPECT_EQ(ep.endpoint, 0x81);
	HEXPECT_EQ(ep.max_packet, 4);
	HEXPECT_EQ(ep.interval, 10);
	HEXPECT_EQ(usb_find_boot_keyboard(qemu_mouse, sizeof(qemu_mouse), &ep), -ENOENT);
	/* A tablet is neither. */
	HEXPECT_EQ(usb_find_boot_mouse(qemu_tablet, sizeof(qemu_tablet), &ep), -ENOENT);
	HEXPECT_EQ(usb_find_boot_keyboard(qemu_tablet, sizeof(qemu_tablet), &ep), -ENOENT);
	/* Both halves of a combo are found, each with its own interface and IN endpoint. */
	HEXPECT_EQ(usb_find_boot_mouse(combo, sizeof(combo), &ep), 0);
	HEXPECT_EQ(ep.interface, 1);
	HEXPECT_EQ(ep.endpoint, 0x82);
	HEXPECT_EQ(ep.interval, 2);
	HEXPECT_EQ(usb_find_boot_keyboard(combo, sizeof(combo), &ep), 0);
	HEXPECT_EQ(ep.interface, 0);
	HEXPECT_EQ(ep.endpoint, 0x81);
	/* Cut before the mouse's endpoint: no mouse. */
	HEXPECT_EQ(usb_find_boot_mouse(combo, sizeof(combo) - 7, &ep), -ENOENT);
}

HTEST(usb_desc, boot_hid_picks_the_first_function)
{
	struct usb_intr_in ep = { 0 };
	bool mouse = true;
	HEXPECT_EQ(usb_find_boot_hid(qemu_mouse, sizeof(qemu_mouse), &ep, &mouse), 0);
	HEXPECT(mouse);
	HEXPECT_EQ(ep.max_packet, 4);
	/* The receiver: keyboard on interface 0, so a keyboard. */
	HEXPECT_EQ(usb_find_boot_hid(combo, sizeof(combo), &ep, &mouse), 0);
	HEXPECT(!mouse);
	HEXPECT_EQ(ep.endpoint, 0x81);
	/* Its mouse endpoint cut off: still the keyboard. */
	HEXPECT_EQ(usb_find_boot_hid(combo, sizeof(combo) - 7, &ep, &mouse), 0);
	HEXPECT(!mouse);
	/* A gaming mouse's shape: the keyboard interface numbered after the mouse's, so a mouse. */
	uint8_t gaming[sizeof(combo)];
	memcpy(gaming, combo, sizeof(combo));
	gaming[9 + 2] = 2; /* bInterfaceNumber of the keyboard */
	HEXPECT_EQ(usb_find_boot_hid(gaming, sizeof(gaming), &ep, &mouse), 0);
	HEXPECT(mouse);
	HEXPECT_EQ(ep.endpoint, 0x82);
	HEXPECT_EQ(ep.interface, 1);
	/* Neither: a tablet; not a configuration descriptor at all. */
	HEXPECT_EQ(usb_find_boot_hid(qemu_tablet, sizeof(qemu_tablet), &ep, &mouse), -ENOENT);
	HEXPECT(!mouse);
	HEXPECT_EQ(usb_find_boot_hid(qemu_mouse + 9, sizeof(qemu_mouse) - 9, &ep, &mouse), -EINVAL);
	HEXPECT(!mouse);
}
