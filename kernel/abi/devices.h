// SPDX-License-Identifier: MIT
// The records of the device files of spec §8.7, as PatchworkOS's programs
// (dwm, cursor, top) read them; shared by kernel and user space. Layouts are
// PatchworkOS's (commit da8a090, include/libstd/sys/{fb,kbd,mouse}.h) and are
// pinned below: a program built against those headers reads these bytes.
//
// Contract (PatchworkOS's src/kernel/drivers/abstract/{fb,kbd,mouse}.c and
// src/kernel/drivers/perf.c, with our choices marked):
//
// /dev/fb/<n>/info     read: one struct abi_fb_info (64 bytes), honouring the
//                      file position (a second read returns 0).
// /dev/fb/<n>/buffer   mmap only: the physical framebuffer, shared with the
//                      screen (offset = byte offset into it, page aligned;
//                      the mapping must end inside stride * height * 4 bytes
//                      rounded up to a page, else EINVAL). read/write: ENOSYS,
//                      as in PatchworkOS (the file has no such operation).
//                      Mapped write-combining where the CPU has PAT. The first
//                      mapping stops the kernel log drawing on the screen
//                      (serial goes on), as PatchworkOS's log_screen_disable().
// /dev/kbd/<n>/events  read: whole struct abi_kbd_event records; a count
//                      below one record reads 0 bytes (PatchworkOS rounds the
//                      count down); blocks until one is queued. OUR CHOICE:
//                      returns as many as are queued (at least one) instead
//                      of waiting for the whole count; a note ends the wait
//                      with EINTR (spec §9.5); nonblock gives EAGAIN when none
//                      is queued (PatchworkOS ignores nonblock). Each open
//                      file reads from its own position in the device's ring
//                      of INPUT_QUEUE_EVENTS records: a reader that falls
//                      further behind loses the oldest. OUR CHOICE: a new open
//                      starts at the newest event (PatchworkOS starts at ring
//                      slot 0 and may replay stale ones). poll: POLLIN when a
//                      record is unread.
// /dev/kbd/<n>/name    read: the device's name, no newline, honouring the position.
// /dev/mouse/<n>/...   as the keyboard, with struct abi_mouse_event.
// /dev/perf/cpu        text: "cpu idle_clocks active_clocks interrupt_clocks"
//                      then one "\n<id> <idle> <active> <interrupt>" line per
//                      CPU (nanoseconds, %lu), no final newline.
// /dev/perf/mem        text: "total_pages %lu\nfree_pages %lu\nused_pages %lu"
//                      (PatchworkOS's three lines, which top's fscanf reads),
//                      then "\n" and our own counters, one "name value" a line.
#ifndef QUILT_ABI_DEVICES_H
#define QUILT_ABI_DEVICES_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/abi/types.h"

/* ---- framebuffer ---- */

/* fb_format_t: 32-bit pixels, little-endian ARGB (bytes B, G, R, X in memory). */
#define FB_ARGB32 0u
/* Ours: R, G, B, X in memory. PatchworkOS has no such value; its dwm refuses it. */
#define FB_QUILT_RGBX32 1u

struct abi_fb_info {
	uint64_t width;           /* pixels */
	uint64_t height;          /* pixels */
	uint64_t stride;          /* pixels per row (PatchworkOS maps stride * height * 4 bytes) */
	uint32_t format;          /* FB_* (a C enum in PatchworkOS: 4 bytes) */
	char name[MAX_NAME];      /* NUL-terminated, "GOP Framebuffer" */
};

/* ---- keyboard ---- */

#define KBD_PRESS   0u
#define KBD_RELEASE 1u

/* kbd_mods_t: modifiers held when the event happened (Caps Lock while held, as PatchworkOS). */
#define KBD_MOD_NONE  0u
#define KBD_MOD_CAPS  (1u << 0)
#define KBD_MOD_SHIFT (1u << 1)
#define KBD_MOD_CTRL  (1u << 2)
#define KBD_MOD_ALT   (1u << 3)
#define KBD_MOD_SUPER (1u << 4)

struct abi_kbd_event {
	clock_t_ time;            /* ns since boot */
	uint32_t type;            /* KBD_PRESS / KBD_RELEASE */
	uint32_t mods;            /* KBD_MOD_* after this event */
	uint32_t code;            /* KBD_* keycode below */
};

/*
 * keycode_t: PatchworkOS numbers keys as the USB HID keyboard usage page
 * (0x04 = A ... 0xE7 = right GUI), with media keys above. The keys a PC
 * keyboard has are listed; the rest of the space keeps PatchworkOS's values.
 */
#define KBD_NONE        0x00u
#define KBD_A           0x04u /* ... KBD_Z = 0x1D, in alphabet order */
#define KBD_Z           0x1Du
#define KBD_1           0x1Eu /* ... KBD_9 = 0x26 */
#define KBD_9           0x26u
#define KBD_0           0x27u
#define KBD_ENTER       0x28u
#define KBD_ESC         0x29u
#define KBD_BACKSPACE   0x2Au
#define KBD_TAB         0x2Bu
#define KBD_SPACE       0x2Cu
#define KBD_MINUS       0x2Du
#define KBD_EQUAL       0x2Eu
#define KBD_LEFT_BRACE  0x2Fu
#define KBD_RIGHT_BRACE 0x30u
#define KBD_BACKSLASH   0x31u
#define KBD_HASHTILDE   0x32u
#define KBD_SEMICOLON   0x33u
#define KBD_APOSTROPHE  0x34u
#define KBD_GRAVE       0x35u
#define KBD_COMMA       0x36u
#define KBD_PERIOD      0x37u
#define KBD_SLASH       0x38u
#define KBD_CAPS_LOCK   0x39u
#define KBD_F1          0x3Au /* ... KBD_F12 = 0x45 */
#define KBD_F12         0x45u
#define KBD_SYSRQ       0x46u
#define KBD_SCROLL_LOCK 0x47u
#define KBD_PAUSE       0x48u
#define KBD_INSERT      0x49u
#define KBD_HOME        0x4Au
#define KBD_PAGE_UP     0x4Bu
#define KBD_DELETE      0x4Cu
#define KBD_END         0x4Du
#define KBD_PAGE_DOWN   0x4Eu
#define KBD_RIGHT       0x4Fu
#define KBD_LEFT        0x50u
#define KBD_DOWN        0x51u
#define KBD_UP          0x52u
#define KBD_NUM_LOCK    0x53u
#define KBD_KP_SLASH    0x54u
#define KBD_KP_ASTERISK 0x55u
#define KBD_KP_MINUS    0x56u
#define KBD_KP_PLUS     0x57u
#define KBD_KP_ENTER    0x58u
#define KBD_KP_1        0x59u /* ... KBD_KP_9 = 0x61 */
#define KBD_KP_9        0x61u
#define KBD_KP_0        0x62u
#define KBD_KP_PERIOD   0x63u
#define KBD_102ND       0x64u
#define KBD_COMPOSE     0x65u
#define KBD_LEFT_CTRL   0xE0u
#define KBD_LEFT_SHIFT  0xE1u
#define KBD_LEFT_ALT    0xE2u
#define KBD_LEFT_SUPER  0xE3u
#define KBD_RIGHT_CTRL  0xE4u
#define KBD_RIGHT_SHIFT 0xE5u
#define KBD_RIGHT_ALT   0xE6u
#define KBD_RIGHT_SUPER 0xE7u

/* ---- mouse ---- */

/* mouse_buttons_t */
#define MOUSE_NONE   0u
#define MOUSE_RIGHT  (1u << 0)
#define MOUSE_MIDDLE (1u << 1)
#define MOUSE_LEFT   (1u << 2)

struct abi_mouse_event {
	clock_t_ time;            /* ns since boot */
	uint32_t buttons;         /* MOUSE_* held during the event */
	int64_t delta_x;          /* right is positive */
	int64_t delta_y;          /* down is positive (screen coordinates) */
};

/* Events one device keeps for each reader (PatchworkOS's KBD_MAX_EVENT, MOUSE_MAX_EVENT). */
#define INPUT_QUEUE_EVENTS 32

_Static_assert(sizeof(struct abi_fb_info) == 64, "fb_info_t size");
_Static_assert(offsetof(struct abi_fb_info, stride) == 16, "fb_info_t.stride");
_Static_assert(offsetof(struct abi_fb_info, format) == 24, "fb_info_t.format");
_Static_assert(offsetof(struct abi_fb_info, name) == 28, "fb_info_t.name");
_Static_assert(sizeof(struct abi_kbd_event) == 24, "kbd_event_t size");
_Static_assert(offsetof(struct abi_kbd_event, type) == 8, "kbd_event_t.type");
_Static_assert(offsetof(struct abi_kbd_event, mods) == 12, "kbd_event_t.mods");
_Static_assert(offsetof(struct abi_kbd_event, code) == 16, "kbd_event_t.code");
_Static_assert(sizeof(struct abi_mouse_event) == 32, "mouse_event_t size");
_Static_assert(offsetof(struct abi_mouse_event, buttons) == 8, "mouse_event_t.buttons");
_Static_assert(offsetof(struct abi_mouse_event, delta_x) == 16, "mouse_event_t.deltaX");
_Static_assert(offsetof(struct abi_mouse_event, delta_y) == 24, "mouse_event_t.deltaY");

#endif
