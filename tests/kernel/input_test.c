// SPDX-License-Identifier: MIT
// The input layer (kernel/drivers/input): records, modifiers, and a ring
// every reader reads from its own position, losing the oldest when it falls
// behind. The events pushed here land in the machine's keyboard and mouse
// devices; nothing reads them in a test boot, and presses are released.
#include "kernel/abi/devices.h"
#include "kernel/drivers/input/input.h"
#include "kernel/test/ktest.h"

KTEST(input, reader_past_the_ring_loses_the_oldest)
{
	struct input_dev *dev = input_device(INPUT_KBD);
	if (!dev)
		KTEST_SKIP("no keyboard registered");
	uint64_t start = input_head(dev);
	for (uint32_t i = 1; i <= 40; i++)
		input_kbd_event(KBD_A + i % 20, i % 2);
	KEXPECT_EQ(input_head(dev), start + 40);
	struct abi_kbd_event ev[64];
	uint64_t next;
	/* 40 behind: the 32 newest remain, from the 9th on. */
	KEXPECT_EQ(input_peek(dev, start, ev, 64, &next), INPUT_QUEUE_EVENTS);
	KEXPECT_EQ(next, start + 40);
	KEXPECT_EQ(ev[0].code, KBD_A + 9 % 20);
	KEXPECT_EQ(ev[0].type, KBD_PRESS);
	KEXPECT_EQ(ev[31].code, KBD_A + 40 % 20);
	KEXPECT_EQ(ev[31].type, KBD_RELEASE);
	KEXPECT(ev[31].time >= ev[0].time && ev[0].time > 0);
	/* Peeking consumes nothing: a second reader at the same place sees the same. */
	KEXPECT_EQ(input_peek(dev, start + 38, ev, 64, &next), 2);
	KEXPECT_EQ(ev[1].code, KBD_A + 40 % 20);
	KEXPECT_EQ(input_peek(dev, start + 38, ev, 1, &next), 1);
	KEXPECT_EQ(next, start + 39);
	/* At the head: nothing. */
	KEXPECT_EQ(input_peek(dev, start + 40, ev, 64, &next), 0);
	KEXPECT_EQ(next, start + 40);
}

KTEST(input, modifiers_follow_presses_and_releases)
{
	struct input_dev *dev = input_device(INPUT_KBD);
	if (!dev)
		KTEST_SKIP("no keyboard registered");
	uint64_t start = input_head(dev), next;
	input_kbd_event(KBD_LEFT_SHIFT, true);
	input_kbd_event(KBD_RIGHT_CTRL, true);
	input_kbd_event(KBD_A, true);
	input_kbd_event(KBD_LEFT_SHIFT, false);
	input_kbd_event(KBD_A, false);
	input_kbd_event(KBD_CAPS_LOCK, true); /* Caps Lock counts while held, as in PatchworkOS */
	input_kbd_event(KBD_CAPS_LOCK, false);
	input_kbd_event(KBD_RIGHT_CTRL, false);
	struct abi_kbd_event ev[8];
	KASSERT(input_peek(dev, start, ev, 8, &next) == 8);
	KEXPECT_EQ(ev[0].mods, KBD_MOD_SHIFT);
	KEXPECT_EQ(ev[2].mods, KBD_MOD_SHIFT | KBD_MOD_CTRL);
	KEXPECT_EQ(ev[2].code, KBD_A);
	KEXPECT_EQ(ev[3].mods, KBD_MOD_CTRL);
	KEXPECT_EQ(ev[5].mods, KBD_MOD_CTRL | KBD_MOD_CAPS);
	KEXPECT_EQ(ev[6].mods, KBD_MOD_CTRL);
	KEXPECT_EQ(ev[7].mods, 0);
	KEXPECT_EQ(ev[7].type, KBD_RELEASE);
}

KTEST(input, mouse_records_carry_buttons_and_deltas)
{
	struct input_dev *dev = input_device(INPUT_MOUSE);
	if (!dev)
		KTEST_SKIP("no mouse registered");
	KEXPECT_EQ(input_record_size(dev), sizeof(struct abi_mouse_event));
	uint64_t start = input_head(dev), next;
	input_mouse_event(MOUSE_LEFT | MOUSE_RIGHT, 3, -4);
	input_mouse_event(MOUSE_NONE, -1000, 1000);
	struct abi_mouse_event ev[2];
	KASSERT(input_peek(dev, start, ev, 2, &next) == 2);
	KEXPECT_EQ(ev[0].buttons, MOUSE_LEFT | MOUSE_RIGHT);
	KEXPECT_EQ(ev[0].delta_x, 3);
	KEXPECT_EQ(ev[0].delta_y, -4);
	KEXPECT_EQ(ev[1].buttons, MOUSE_NONE);
	KEXPECT_EQ(ev[1].delta_x, -1000);
	KEXPECT_EQ(ev[1].delta_y, 1000);
	KEXPECT(ev[0].time > 0);
}
