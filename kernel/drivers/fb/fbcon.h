// SPDX-License-Identifier: MIT
// Framebuffer console: the kernel log (everything kprintf and /dev/klog,
// /dev/console writers print) drawn as text on the GOP framebuffer the loader
// found, beside the serial console. Panic reports are drawn white on red.
#ifndef QUILT_DRIVERS_FB_FBCON_H
#define QUILT_DRIVERS_FB_FBCON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/compiler.h"

struct boot_framebuffer;

/*
 * fbcon_init - take over @fb, whose pixels the caller mapped at @pixels (its
 * first byte, stride_pixels * height of them): allocate the text back
 * buffer, clear the screen. Text appears only through fbcon_write
 * (kernel/log/log.c calls it). Returns 0, -ENODEV (no framebuffer or no
 * mapping, or a pixel format other than 32-bit RGB/BGR) or -ENOMEM.
 * Context: boot, after memory_init (kmalloc).
 */
int __must_check fbcon_init(const struct boot_framebuffer *fb, uint32_t *pixels);
/* fbcon_pixels - where the console draws (for tests of the mapping), or NULL before fbcon_init succeeded. */
const void *fbcon_pixels(void);

/*
 * fbcon_write - draw @len bytes at the cursor: printable ASCII, '\n' (also
 * a carriage return), '\r', '\b', '\t'; other bytes as a box. The screen
 * scrolls at the bottom. What changed reaches the framebuffer at the next
 * fbcon_flush. Context: any; the caller serializes (log_lock, IRQs off).
 */
void fbcon_write(const char *text, size_t len);
/* fbcon_flush - copy what changed since the last flush to the screen (one screen at most). Same context. */
void fbcon_flush(void);

/*
 * fbcon_panic_write - like fbcon_write, in the panic colours (white on red,
 * whole lines) from the first call on. No lock: only for panic(), once the
 * other CPUs are stopped. Does nothing before fbcon_init succeeded.
 */
void fbcon_panic_write(const char *text, size_t len);

#endif
