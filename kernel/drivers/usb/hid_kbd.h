// SPDX-License-Identifier: MIT
// A USB keyboard's boot-protocol input reports to terminal bytes, with the
// layout the PS/2 keyboard uses (kernel/drivers/keyboard/keymap.h). Pure
// code, host-tested.
#ifndef QUILT_DRIVERS_USB_HID_KBD_H
#define QUILT_DRIVERS_USB_HID_KBD_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/drivers/keyboard/keymap.h"

/* A boot report: modifier bits, a reserved byte, then up to six usages of the keys held. */
#define HID_BOOT_REPORT_BYTES 8
#define HID_BOOT_KEYS         6
/* Most bytes one report can type: six new keys, each a sequence at most. */
#define HID_KBD_OUT_MAX (HID_BOOT_KEYS * KEYMAP_OUT_MAX)

/*
 * Decoder state. Zero-initialized = no key held, Caps Lock off.
 * Key repeat: a USB keyboard reports a held key once, where a PS/2 keyboard
 * repeats it by itself, so the driver repeats in software what the last key
 * pressed typed (repeat, repeat_len) while that key stays down; a new
 * repeat key bumps repeat_gen, which restarts the driver's delay.
 */
struct hid_kbd {
	uint8_t held[HID_BOOT_KEYS]; /* the usages of the last report taken */
	uint8_t mods;                /* and its modifier byte */
	bool caps_lock;              /* toggled by each new press of Caps Lock */
	uint8_t repeat_usage;        /* the key being repeated, 0 = none */
	uint8_t repeat_len;          /* bytes it typed (0 = nothing to repeat) */
	char repeat[KEYMAP_OUT_MAX];
	uint32_t repeat_gen;
};

/*
 * hid_kbd_report - take one input report of @len bytes (a boot report; only
 * its first 8 bytes count) and write what the keys pressed since the last
 * report type, in the order the report lists them, to @out. A key counts as
 * pressed when its usage was not in the previous report, so a key held
 * across reports types once (no repeat). The modifiers are the report's
 * own (left and right Shift and Ctrl alike). A report of the "too many keys"
 * (ErrorRollOver) kind is dropped whole, as the HID specification says, and
 * so is one shorter than 3 bytes. Updates the repeat fields (see above).
 * Returns the number of bytes written (0..HID_KBD_OUT_MAX). Context: any; pure.
 */
unsigned hid_kbd_report(struct hid_kbd *k, const uint8_t *report, unsigned len, char out[HID_KBD_OUT_MAX]);

/* A key going down or up, for the input layer: a HID usage (page 7), modifier bit i being 0xE0 + i. */
struct hid_key_event {
	uint8_t usage;
	bool pressed;
};
/* Most events one report can make: every modifier, six keys up and six down. */
#define HID_KBD_EVENTS_MAX (8 + 2 * HID_BOOT_KEYS)

/*
 * hid_kbd_key_events - the presses and releases between the last report
 * @k took and @report (@len bytes; NULL for "everything released", as when
 * the keyboard goes away), in the order a PS/2 keyboard would send them:
 * keys released, then modifiers released, modifiers pressed, keys pressed.
 * Call it before hid_kbd_report() takes the same report; reports that one
 * drops (rollover, too short) make no events either. Returns the number of
 * events written (0..HID_KBD_EVENTS_MAX). Context: any; pure.
 */
unsigned hid_kbd_key_events(const struct hid_kbd *k, const uint8_t *report, unsigned len,
			    struct hid_key_event out[HID_KBD_EVENTS_MAX]);

/* hid_usage_to_key - the keymap key (set-1 code, KEY_E0) of HID usage @usage (page 7), 0 for none. */
uint16_t hid_usage_to_key(uint8_t usage);

#endif
