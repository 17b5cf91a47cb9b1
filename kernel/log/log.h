// SPDX-License-Identifier: MIT
// The kernel log: formatted messages go to a ring buffer (which backs
// /dev/klog) and to the serial console. panic() and the assertion macros.
#ifndef QUILT_LOG_LOG_H
#define QUILT_LOG_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOG_RING_BYTES (64 * 1024)

/* Context: any; takes log_lock with IRQs off. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_write(const char *text, size_t len);

/*
 * log_read - copy ring bytes starting at absolute offset @pos into @buf.
 * Bytes that were overwritten are skipped; *@pos is advanced past what was read.
 * Returns the number of bytes copied. Context: any.
 */
size_t log_read(uint64_t *pos, char *buf, size_t len);
uint64_t log_total_bytes(void);

struct boot_framebuffer;
/*
 * log_screen_init - start the framebuffer console on @fb (kernel/drivers/fb)
 * and show on it what was logged so far, then every later write. Without a
 * usable framebuffer the log stays serial only (and says so).
 * Context: boot, after memory_init.
 */
void log_screen_init(const struct boot_framebuffer *fb);

/*
 * log_screen_disable - stop drawing the log on the framebuffer for good: a
 * program (PatchworkOS's dwm) has mapped /dev/fb/0/buffer and owns the
 * screen now. Serial and the ring go on; a panic report is still drawn.
 * Context: any thread.
 */
void log_screen_disable(void);

struct wait_queue;
/* The queue woken after every log_write (for /dev/klog poll). Context: any. */
struct wait_queue *log_wait_queue(void);

/* panic - print, stop every CPU, exit QEMU with a failure code if asked to. */
__attribute__((noreturn, format(printf, 3, 4))) void panic_at(const char *file, int line, const char *fmt, ...);
#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)
/* panic for a trap: also prints the interrupted registers and walks from there. */
__attribute__((noreturn, format(printf, 2, 3))) void panic_trap(const void *frame, const char *fmt, ...);

/* True once some CPU has started a panic. */
bool panic_in_progress(void);

/* Print a frame-pointer backtrace starting at @fp. */
void log_backtrace(uint64_t fp);
/* Resolve @addr to "symbol+0xoff" into @buf (raw address when unknown). */
void symbol_format(uint64_t addr, char *buf, size_t len);
void symbols_init(const void *symtab, uint64_t symtab_size, const char *strtab, uint64_t strtab_size);

#define ASSERT(x)                                                  \
	do {                                                       \
		if (__builtin_expect(!(x), 0))                     \
			panic("assertion failed: %s", #x);         \
	} while (0)

#define WARN_ON_ONCE(x)                                                                \
	({                                                                             \
		static int warned_;                                                    \
		int cond_ = !!(x);                                                     \
		if (__builtin_expect(cond_, 0) && !__atomic_exchange_n(&warned_, 1, __ATOMIC_RELAXED)) \
			kprintf("WARNING: %s (%s:%d)\n", #x, __FILE__, __LINE__);      \
		cond_;                                                                 \
	})

/* Set by the command line: on panic or init exit, leave QEMU via isa-debug-exit. */
extern int log_qemu_exit;

/* A CPU is about to idle: show log lines still waiting for the screen. Context: any, IRQs off or on. */
void log_screen_idle(void);

#endif
