// SPDX-License-Identifier: MIT
// Boot mouse reports to mouse events (see hid_mouse.h). The report's button
// bits are HID's (left, right, middle from bit 0); the input layer speaks
// PatchworkOS's mouse_buttons_t, which orders them right, middle, left.
#include "kernel/drivers/usb/hid_mouse.h"

#include "kernel/abi/devices.h"

#define BOOT_LEFT   0x01
#define BOOT_RIGHT  0x02
#define BOOT_MIDDLE 0x04

bool hid_mouse_report(struct hid_mouse *m, const uint8_t *report, unsigned len, struct hid_mouse_event *out)
{
	if (len < HID_MOUSE_REPORT_BYTES)
		return false;
	uint8_t b = report[0];
	uint32_t buttons = ((b & BOOT_LEFT) ? MOUSE_LEFT : 0) | ((b & BOOT_RIGHT) ? MOUSE_RIGHT : 0) |
			   ((b & BOOT_MIDDLE) ? MOUSE_MIDDLE : 0);
	/* Two's complement bytes; unlike PS/2, Y already grows downwards. */
	int32_t dx = (int8_t)report[1], dy = (int8_t)report[2];
	if (dx == 0 && dy == 0 && buttons == m->buttons)
		return false;
	m->buttons = buttons;
	*out = (struct hid_mouse_event){ .buttons = buttons, .dx = dx, .dy = dy };
	return true;
}

bool hid_mouse_release(struct hid_mouse *m, struct hid_mouse_event *out)
{
	if (!m->buttons)
		return false;
	m->buttons = 0;
	*out = (struct hid_mouse_event){ .buttons = 0, .dx = 0, .dy = 0 };
	return true;
}
