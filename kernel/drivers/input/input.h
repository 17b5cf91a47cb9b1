// SPDX-License-Identifier: MIT
// The input layer: one keyboard and one mouse device (/dev/kbd/0,
// /dev/mouse/0), each a ring of the last INPUT_QUEUE_EVENTS records in
// PatchworkOS's formats (kernel/abi/devices.h). Drivers push events from
// their interrupt handlers; every open events file reads the ring from its
// own position. Every keyboard driver (PS/2, USB) feeds the one
// keyboard device and every pointing device the one mouse, which is what
// PatchworkOS's dwm, opening only /dev/kbd/0 and /dev/mouse/0, wants.
#ifndef QUILT_DRIVERS_INPUT_INPUT_H
#define QUILT_DRIVERS_INPUT_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/abi/devices.h"

enum input_kind {
	INPUT_KBD,
	INPUT_MOUSE,
	INPUT_KINDS,
};

struct input_dev;
struct wait_queue;

/*
 * input_register - a driver found a device of @kind: from now on
 * /dev/<kind>/0 exists and its name file reads @name (the first driver to
 * register names it; @name must live forever). Events pushed before any
 * registration are kept too. Context: any thread or boot.
 */
void input_register(enum input_kind kind, const char *name);

/*
 * input_kbd_event - key @code (a KBD_* keycode, kernel/abi/devices.h) went
 * down (@pressed) or up. Keycodes are USB HID usages (page 7): a USB boot
 * keyboard's report bytes 2-7 are already keycodes, and its modifier bit i
 * (byte 0) is key 0xE0 + i. Stamps the time and the modifiers held, queues
 * the record, wakes readers. Context: any, IRQ handlers included.
 */
void input_kbd_event(uint32_t code, bool pressed);

/*
 * input_mouse_event - the pointer moved by (@dx, @dy) (right and down
 * positive) with @buttons (MOUSE_*) held. Context: any, IRQ handlers included.
 */
void input_mouse_event(uint32_t buttons, int64_t dx, int64_t dy);

/* The device of @kind once registered, else NULL. Context: any. */
struct input_dev *input_device(enum input_kind kind);
/* Its name (never NULL for a registered device). */
const char *input_name(struct input_dev *dev);
/* Bytes of one record: sizeof(struct abi_kbd_event) or sizeof(struct abi_mouse_event). */
size_t input_record_size(struct input_dev *dev);
/* Sequence number of the next event to be pushed (events so far). Context: any. */
uint64_t input_head(struct input_dev *dev);
/* Woken after every pushed event. */
struct wait_queue *input_wait_queue(struct input_dev *dev);

/*
 * input_peek - copy up to @max records from sequence *@seq on into @out
 * (max * record size bytes) without consuming them; a position more than
 * INPUT_QUEUE_EVENTS behind the head first moves up to the oldest record
 * kept. Returns the number copied and stores in *@next the position after
 * them. Context: any.
 */
size_t input_peek(struct input_dev *dev, uint64_t seq, void *out, size_t max, uint64_t *next);

#endif
