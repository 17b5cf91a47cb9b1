// SPDX-License-Identifier: MIT
// Scan code set 1 to terminal bytes (see scancode.h): prefixes, releases and
// modifiers here, the layout in kernel/drivers/keyboard/keymap.c. Set 1 is
// what an 8042 with translation on delivers whatever set the keyboard speaks,
// which is why the controller driver turns translation on rather than
// decoding set 2.
#include "kernel/drivers/ps2/scancode.h"

#include <stddef.h>

#include "kernel/abi/devices.h"
#include "kernel/drivers/keyboard/keymap.h"

enum {
	SC_LCTRL = 0x1d,
	SC_LSHIFT = 0x2a,
	SC_RSHIFT = 0x36,
	SC_CAPS = 0x3a,
	SC_RELEASE = 0x80, /* set on the break code of every key */
	SC_PREFIX_E0 = 0xe0,
	SC_PREFIX_E1 = 0xe1,
	PAUSE_TAIL = 5,    /* E1 1D 45 E1 9D C5: five bytes after the first */
};

unsigned ps2_kbd_decode(struct ps2_kbd *k, uint8_t code, char out[PS2_KBD_OUT_MAX])
{
	if (k->pause_left) {
		k->pause_left--;
		return 0;
	}
	if (code == SC_PREFIX_E0) {
		k->e0 = true;
		return 0;
	}
	if (code == SC_PREFIX_E1) {
		k->pause_left = PAUSE_TAIL;
		return 0;
	}
	bool e0 = k->e0, release = code & SC_RELEASE;
	k->e0 = false;
	uint8_t make = code & ~SC_RELEASE;

	if (make == SC_LCTRL) {
		*(e0 ? &k->rctrl : &k->lctrl) = !release;
		return 0;
	}
	if (e0) {
		/*
		 * E0 2A / E0 36 are the "fake shifts" keyboards wrap around
		 * Print Screen and the grey keys: never a real Shift.
		 */
		return release ? 0 : keymap_bytes(make | KEY_E0, 0, out);
	}
	if (make == SC_LSHIFT || make == SC_RSHIFT) {
		*(make == SC_LSHIFT ? &k->lshift : &k->rshift) = !release;
		return 0;
	}
	if (release)
		return 0;
	if (make == SC_CAPS) {
		k->caps_lock = !k->caps_lock;
		return 0;
	}
	unsigned mods = (k->lshift || k->rshift ? KEYMAP_SHIFT : 0) | (k->lctrl || k->rctrl ? KEYMAP_CTRL : 0) |
			(k->caps_lock ? KEYMAP_CAPS : 0);
	return keymap_bytes(make, mods, out);
}

/* ---- keycodes ---- */

#define KEY(c) (KBD_A + ((c) - 'a'))

/* Set 1 make codes to HID usages (PatchworkOS's keycode_t); 0 = no key. */
static const uint8_t set1_keys[0x59] = {
	[0x01] = KBD_ESC,
	[0x02] = KBD_1, KBD_1 + 1, KBD_1 + 2, KBD_1 + 3, KBD_1 + 4, KBD_1 + 5, KBD_1 + 6, KBD_1 + 7, KBD_9, KBD_0,
	[0x0c] = KBD_MINUS, KBD_EQUAL, KBD_BACKSPACE, KBD_TAB,
	[0x10] = KEY('q'), KEY('w'), KEY('e'), KEY('r'), KEY('t'), KEY('y'), KEY('u'), KEY('i'), KEY('o'), KEY('p'),
	[0x1a] = KBD_LEFT_BRACE, KBD_RIGHT_BRACE, KBD_ENTER, KBD_LEFT_CTRL,
	[0x1e] = KEY('a'), KEY('s'), KEY('d'), KEY('f'), KEY('g'), KEY('h'), KEY('j'), KEY('k'), KEY('l'),
	[0x27] = KBD_SEMICOLON, KBD_APOSTROPHE, KBD_GRAVE, KBD_LEFT_SHIFT, KBD_BACKSLASH,
	[0x2c] = KEY('z'), KEY('x'), KEY('c'), KEY('v'), KEY('b'), KEY('n'), KEY('m'),
	[0x33] = KBD_COMMA, KBD_PERIOD, KBD_SLASH, KBD_RIGHT_SHIFT, KBD_KP_ASTERISK, KBD_LEFT_ALT, KBD_SPACE,
	[0x3a] = KBD_CAPS_LOCK,
	[0x3b] = KBD_F1, KBD_F1 + 1, KBD_F1 + 2, KBD_F1 + 3, KBD_F1 + 4, KBD_F1 + 5, KBD_F1 + 6, KBD_F1 + 7,
	KBD_F1 + 8, KBD_F1 + 9,
	[0x45] = KBD_NUM_LOCK, KBD_SCROLL_LOCK,
	[0x47] = KBD_KP_1 + 6, KBD_KP_1 + 7, KBD_KP_9, KBD_KP_MINUS, KBD_KP_1 + 3, KBD_KP_1 + 4, KBD_KP_1 + 5,
	KBD_KP_PLUS, KBD_KP_1, KBD_KP_1 + 1, KBD_KP_1 + 2, KBD_KP_0, KBD_KP_PERIOD,
	[0x56] = KBD_102ND, KBD_F1 + 10, KBD_F12,
};

/* The 0xE0-prefixed keys. */
static uint32_t set1_extended_key(uint8_t make)
{
	switch (make) {
	case 0x1c: return KBD_KP_ENTER;
	case 0x1d: return KBD_RIGHT_CTRL;
	case 0x35: return KBD_KP_SLASH;
	case 0x37: return KBD_SYSRQ; /* Print Screen */
	case 0x38: return KBD_RIGHT_ALT;
	case 0x47: return KBD_HOME;
	case 0x48: return KBD_UP;
	case 0x49: return KBD_PAGE_UP;
	case 0x4b: return KBD_LEFT;
	case 0x4d: return KBD_RIGHT;
	case 0x4f: return KBD_END;
	case 0x50: return KBD_DOWN;
	case 0x51: return KBD_PAGE_DOWN;
	case 0x52: return KBD_INSERT;
	case 0x53: return KBD_DELETE;
	case 0x5b: return KBD_LEFT_SUPER;
	case 0x5c: return KBD_RIGHT_SUPER;
	case 0x5d: return KBD_COMPOSE; /* the menu key */
	default: return KBD_NONE;      /* E0 2A / E0 36 (fake shifts) among them */
	}
}

bool ps2_key_decode(struct ps2_keys *k, uint8_t byte, uint32_t *code, bool *pressed)
{
	if (k->pause_left) {
		if (--k->pause_left)
			return false;
		*code = KBD_PAUSE;
		*pressed = false;
		return true;
	}
	if (byte == SC_PREFIX_E0) {
		k->e0 = true;
		return false;
	}
	if (byte == SC_PREFIX_E1) {
		k->pause_left = PAUSE_TAIL;
		*code = KBD_PAUSE;
		*pressed = true;
		return true;
	}
	bool e0 = k->e0;
	k->e0 = false;
	uint8_t make = byte & ~SC_RELEASE;
	uint32_t key = e0 ? set1_extended_key(make) : make < sizeof(set1_keys) ? set1_keys[make] : KBD_NONE;
	if (key == KBD_NONE)
		return false;
	*code = key;
	*pressed = !(byte & SC_RELEASE);
	return true;
}

/* ---- mouse packets ---- */

enum {
	PKT_LEFT = 0x01,
	PKT_RIGHT = 0x02,
	PKT_MIDDLE = 0x04,
	PKT_ALWAYS_ONE = 0x08,
	PKT_X_SIGN = 0x10,
	PKT_Y_SIGN = 0x20,
	PKT_X_OVERFLOW = 0x40,
	PKT_Y_OVERFLOW = 0x80,
};

bool ps2_mouse_feed(struct ps2_mouse *m, uint8_t byte, uint64_t now_ns, uint32_t *buttons, int32_t *dx, int32_t *dy)
{
	if (m->have && now_ns - m->last_ns >= PS2_MOUSE_RESYNC_NS) {
		m->dropped += m->have; /* the rest of that packet was lost: start over with this byte */
		m->have = 0;
	}
	m->last_ns = now_ns;
	if (m->have == 0 && !(byte & PKT_ALWAYS_ONE)) {
		m->dropped++;
		return false;
	}
	m->packet[m->have++] = byte;
	if (m->have < 3)
		return false;
	m->have = 0;
	uint8_t flags = m->packet[0];
	/* 9-bit two's complement counters: the sign bit lives in the flags byte. */
	int32_t x = (int32_t)m->packet[1] - ((flags & PKT_X_SIGN) ? 256 : 0);
	int32_t y = (int32_t)m->packet[2] - ((flags & PKT_Y_SIGN) ? 256 : 0);
	*dx = (flags & PKT_X_OVERFLOW) ? 0 : x;
	*dy = (flags & PKT_Y_OVERFLOW) ? 0 : -y; /* the mouse counts up as it moves away; the screen down */
	*buttons = ((flags & PKT_LEFT) ? MOUSE_LEFT : 0) | ((flags & PKT_RIGHT) ? MOUSE_RIGHT : 0) |
		   ((flags & PKT_MIDDLE) ? MOUSE_MIDDLE : 0);
	return true;
}
