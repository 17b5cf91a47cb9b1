// SPDX-License-Identifier: MIT
// A USB mouse's boot-protocol input reports to /dev/mouse/0's events, in the
// form the PS/2 mouse gives them (kernel/drivers/input/input.h). Pure code,
// host-tested.
#ifndef QUILT_DRIVERS_USB_HID_MOUSE_H
#define QUILT_DRIVERS_USB_HID_MOUSE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A boot report (HID 1.11 appendix B.2): buttons (bit 0 left, 1 right,
 * 2 middle), then X and Y as signed 8-bit counts, right and down positive.
 * Mice may send more (a wheel, more buttons): those bytes are ignored.
 */
#define HID_MOUSE_REPORT_BYTES 3

/* Decoder state. Zero-initialized = no button held. */
struct hid_mouse {
	uint32_t buttons; /* MOUSE_* held after the last report taken */
};

/* One event for input_mouse_event(). */
struct hid_mouse_event {
	uint32_t buttons; /* MOUSE_* (PatchworkOS's bits: right 1, middle 2, left 4) */
	int32_t dx, dy;   /* right and down positive, as the input layer wants */
};

/*
 * hid_mouse_report - take one input report of @len bytes. Returns true with
 * @out filled when it says something happened (a movement or a change of
 * buttons); false for a report shorter than a boot report (dropped) or one
 * that repeats the last state without movement (a mouse that ignored
 * SET_IDLE 0 sends those at its idle rate; the PS/2 mouse would not).
 * Context: any; pure.
 */
bool hid_mouse_report(struct hid_mouse *m, const uint8_t *report, unsigned len, struct hid_mouse_event *out);

/*
 * hid_mouse_release - the mouse went away (unplugged, stopped): returns true
 * with an event that releases every button when some were held, so none
 * stays down in /dev/mouse/0; the state is then "nothing held".
 * Context: any; pure.
 */
bool hid_mouse_release(struct hid_mouse *m, struct hid_mouse_event *out);

#endif
