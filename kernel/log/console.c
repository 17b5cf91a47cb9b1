// SPDX-License-Identifier: MIT
// Console input ring: filled by the UART and keyboard interrupts, drained by
// readers of /dev/console; and the console's foreground, the processes that
// a typed Ctrl-C interrupts (what a terminal's foreground process group is to
// Unix): the shell names its running job in /dev/console_fg, and Ctrl-C then
// sends each of them the note "interrupt" (spec §9.5: a blocked call ends
// with EINTR) instead of reaching a reader. With no foreground, Ctrl-C is an
// ordinary byte (the shell abandons the line it holds).
// Locks: in_lock (ring indices, foreground, pending interrupt), taken with
// IRQs off because the interrupt handlers take it too. Notes are sent by a
// kernel thread, not from the interrupt: finding a process and dropping the
// reference may free it.
#include "kernel/log/console.h"

#include "arch/x86_64/arch.h" /* console_input_push */
#include "kernel/abi/errno.h"
#include "kernel/log/bootprof.h"
#include "kernel/log/log.h"
#include "kernel/sched/process.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/thread.h"
#include "kernel/sync/spinlock.h"

#define IN_BYTES 1024
#define CTRL_C 0x03

static struct spinlock in_lock = SPINLOCK_INIT;
static char ring[IN_BYTES];      /* Guarded by: in_lock */
static uint64_t head, tail;      /* Guarded by: in_lock; head - tail bytes buffered */
static struct wait_queue readers = WAIT_QUEUE_INIT;

static uint64_t fg[CONSOLE_FG_MAX]; /* Guarded by: in_lock */
static unsigned nfg;                /* Guarded by: in_lock */
static bool interrupt_pending;      /* Guarded by: in_lock */
static struct wait_queue interrupter_wq = WAIT_QUEUE_INIT;
static bool interrupter_running; /* Immutable after console_init */

struct wait_queue *console_wait_queue(void)
{
	return &readers;
}

void console_input_push(char c)
{
	irqflags_t f = spin_lock_irqsave(&in_lock);
	bool interrupt = c == CTRL_C && nfg > 0;
	if (interrupt)
		interrupt_pending = true;
	else if (head - tail < IN_BYTES)
		ring[head++ % IN_BYTES] = c;
	spin_unlock_irqrestore(&in_lock, f);
	wait_queue_wake_all(interrupt ? &interrupter_wq : &readers);
}

static bool take_interrupt(uint64_t pids[CONSOLE_FG_MAX], unsigned *n)
{
	irqflags_t f = spin_lock_irqsave(&in_lock);
	bool pending = interrupt_pending;
	interrupt_pending = false;
	*n = nfg;
	for (unsigned i = 0; i < nfg; i++)
		pids[i] = fg[i];
	spin_unlock_irqrestore(&in_lock, f);
	return pending;
}

static bool interrupt_waiting(void)
{
	return __atomic_load_n(&interrupt_pending, __ATOMIC_ACQUIRE);
}

/* Sends "interrupt" to the foreground for every Ctrl-C (several typed at once count once). */
static void interrupter(void *arg)
{
	for (;;) {
		WAIT_EVENT(&interrupter_wq, interrupt_waiting(), UINT64_MAX);
		uint64_t pids[CONSOLE_FG_MAX];
		unsigned n;
		if (!take_interrupt(pids, &n))
			continue;
		kprintf("^C\n"); /* a terminal's echo of the key */
		for (unsigned i = 0; i < n; i++) {
			struct process *p = process_get(pids[i]);
			if (!p)
				continue; /* ended and reaped since the shell named it */
			struct thread *t = process_first_thread(p);
			if (t) {
				(void)thread_send_note(t, "interrupt", 9);
				thread_put(t);
			}
			process_put(p);
		}
	}
}

void console_init(void)
{
	interrupter_running = kthread_create(interrupter, NULL, 40) != NULL;
	if (!interrupter_running)
		kprintf("console: no thread for Ctrl-C; the console has no foreground\n");
}

int console_set_foreground(const uint64_t *pids, unsigned n)
{
	if (n > CONSOLE_FG_MAX)
		return -EINVAL;
	if (n && !interrupter_running)
		return -ENOMEM;
	irqflags_t f = spin_lock_irqsave(&in_lock);
	for (unsigned i = 0; i < n; i++)
		fg[i] = pids[i];
	nfg = n;
	spin_unlock_irqrestore(&in_lock, f);
	return 0;
}

unsigned console_foreground(uint64_t pids[CONSOLE_FG_MAX])
{
	irqflags_t f = spin_lock_irqsave(&in_lock);
	unsigned n = nfg;
	for (unsigned i = 0; i < n; i++)
		pids[i] = fg[i];
	spin_unlock_irqrestore(&in_lock, f);
	return n;
}

bool console_input_ready(void)
{
	irqflags_t f = spin_lock_irqsave(&in_lock);
	bool ready = head != tail;
	spin_unlock_irqrestore(&in_lock, f);
	return ready;
}

int64_t console_read(char *buf, uint64_t len, bool nonblock)
{
	bootprof_console_read();
	if (len == 0)
		return 0;
	for (;;) {
		irqflags_t f = spin_lock_irqsave(&in_lock);
		uint64_t n = 0;
		while (n < len && tail != head)
			buf[n++] = ring[tail++ % IN_BYTES];
		spin_unlock_irqrestore(&in_lock, f);
		if (n)
			return (int64_t)n;
		if (nonblock)
			return -EAGAIN;
		int r = WAIT_EVENT(&readers, console_input_ready(), UINT64_MAX);
		if (r)
			return r;
	}
}
