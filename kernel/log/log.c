// SPDX-License-Identifier: MIT
// Kernel log ring and console output: the serial line and, once
// log_screen_init has run, the framebuffer console.
// Locks: log_lock (ring contents, the console line, the framebuffer
// console's state), taken with IRQs off.
#include "kernel/log/log.h"

#include <stdarg.h>

#include "arch/x86_64/arch.h"
#include "kernel/abi/errno.h"
#include "kernel/boot_info.h"
#include "kernel/drivers/fb/fbcon.h"
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"
#include "kernel/sched/wait.h"
#include "kernel/sync/spinlock.h"
#include "kernel/time/time.h"

static struct spinlock log_lock = SPINLOCK_INIT;
/* Guarded by: log_lock */
static char ring[LOG_RING_BYTES];
static uint64_t ring_total; /* bytes ever written; ring holds the last LOG_RING_BYTES */
static bool screen_on;      /* the framebuffer console gets every write */
static bool screen_pending; /* written but not yet flushed to the screen */
static uint64_t screen_flushed_ns;

/*
 * A scroll rewrites the whole screen (4 MB at 1280x800): one per line made
 * bursts of log lines cost milliseconds each with IRQs off. Lines that end
 * a write are flushed at most once per SCREEN_FLUSH_NS; the rest when a CPU
 * goes idle (log_screen_idle) or with the next write after that time. A
 * write that leaves a line open (a prompt, typed characters) shows at once.
 */
#define SCREEN_FLUSH_NS (20 * 1000 * 1000ULL)

/* Needs log_lock. */
static void screen_write(const char *text, size_t len)
{
	fbcon_write(text, len);
	uint64_t now = time_now_ns();
	if ((len && text[len - 1] != '\n') || now - screen_flushed_ns >= SCREEN_FLUSH_NS) {
		fbcon_flush();
		screen_flushed_ns = now;
		screen_pending = false;
	} else {
		screen_pending = true;
	}
}

void log_screen_idle(void)
{
	if (!__atomic_load_n(&screen_pending, __ATOMIC_RELAXED))
		return;
	/* Never wait for the log here: whoever holds it flushes soon enough itself. */
	irqflags_t f = arch_irq_save();
	if (spin_trylock(&log_lock)) {
		if (screen_pending) {
			fbcon_flush();
			screen_flushed_ns = time_now_ns();
			screen_pending = false;
		}
		spin_unlock(&log_lock);
	}
	arch_irq_restore(f);
}

int log_qemu_exit;

/* Readers of /dev/klog waiting for text (poll); woken after every write. */
static struct wait_queue log_wq = WAIT_QUEUE_INIT;

struct wait_queue *log_wait_queue(void)
{
	return &log_wq;
}

void log_write(const char *text, size_t len)
{
	irqflags_t f = spin_lock_irqsave(&log_lock);
	/* The screen first: what serial shows is on the screen by then, unless its flush was deferred. */
	if (screen_on)
		screen_write(text, len);
	for (size_t i = 0; i < len; i++) {
		ring[ring_total % LOG_RING_BYTES] = text[i];
		ring_total++;
		if (text[i] == '\n')
			arch_console_putc('\r');
		arch_console_putc(text[i]);
	}
	spin_unlock_irqrestore(&log_lock, f);
	/*
	 * Outside log_lock, and only when someone waits: waking takes run-queue
	 * locks, and the common case (nobody polling) must stay lock-free here.
	 */
	if (!wait_queue_empty(&log_wq) && !panic_in_progress())
		wait_queue_wake_all(&log_wq);
}

/*
 * One call, one write: room for the longest line the kernel prints (the
 * command line, BOOT_CMDLINE_MAX, with its prefix). A longer one is cut, and
 * a cut line still ends its line ("...\n"), so that what is printed next
 * (a test program's "KTAP version 1") starts a line of its own.
 */
#define KPRINTF_MAX (BOOT_CMDLINE_MAX + 256)

void kprintf(const char *fmt, ...)
{
	char buf[KPRINTF_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1) {
		n = sizeof(buf) - 1;
		size_t flen = strlen(fmt);
		if (flen && fmt[flen - 1] == '\n')
			memcpy(buf + n - 4, "...\n", 4);
	}
	log_write(buf, (size_t)n);
}

size_t log_read(uint64_t *pos, char *buf, size_t len)
{
	irqflags_t f = spin_lock_irqsave(&log_lock);
	uint64_t oldest = ring_total > LOG_RING_BYTES ? ring_total - LOG_RING_BYTES : 0;
	if (*pos < oldest)
		*pos = oldest;
	size_t n = 0;
	while (n < len && *pos < ring_total) {
		buf[n++] = ring[*pos % LOG_RING_BYTES];
		(*pos)++;
	}
	spin_unlock_irqrestore(&log_lock, f);
	return n;
}

uint64_t log_total_bytes(void)
{
	irqflags_t f = spin_lock_irqsave(&log_lock);
	uint64_t n = ring_total;
	spin_unlock_irqrestore(&log_lock, f);
	return n;
}

void log_screen_init(const struct boot_framebuffer *fb)
{
	/* The screen gets writes only: write-combining, not the direct map's write-back (the MTRRs' UC on a PC). */
	uint64_t bytes = (uint64_t)fb->stride_pixels * fb->height * sizeof(uint32_t); /* GOP's size may be all of VRAM */
	uint32_t *pixels = fb->phys && bytes ? arch_mmio_map_wc(fb->phys, bytes < fb->size_bytes ? bytes : fb->size_bytes)
					    : NULL;
	int err = fbcon_init(fb, pixels);
	if (err) {
		kprintf("fbcon: no console on the framebuffer (%s)\n", err == -ENOMEM ? "out of memory" : "none usable");
		return;
	}
	/* What was logged before the screen existed (the banner) is shown first, in order. */
	irqflags_t f = spin_lock_irqsave(&log_lock);
	uint64_t pos = ring_total > LOG_RING_BYTES ? ring_total - LOG_RING_BYTES : 0;
	while (pos < ring_total) { /* at most two pieces: the ring wraps once */
		uint64_t at = pos % LOG_RING_BYTES, n = ring_total - pos;
		if (n > LOG_RING_BYTES - at)
			n = LOG_RING_BYTES - at;
		fbcon_write(&ring[at], n);
		pos += n;
	}
	fbcon_flush();
	screen_on = true;
	spin_unlock_irqrestore(&log_lock, f);
}

void log_screen_disable(void)
{
	irqflags_t f = spin_lock_irqsave(&log_lock);
	bool was_on = screen_on;
	screen_on = false;
	screen_pending = false; /* a deferred flush must not draw over the new owner either */
	spin_unlock_irqrestore(&log_lock, f);
	if (was_on)
		kprintf("fbcon: a program mapped the framebuffer; the log goes on on serial only\n");
}
