// SPDX-License-Identifier: MIT
// Console input ring: filled by the UART interrupt, drained by readers of
// /dev/console. Locks: in_lock (ring indices), taken with IRQs off because
// the interrupt handler takes it too.
#include "kernel/log/console.h"

#include "arch/x86_64/arch.h" /* console_input_push */
#include "kernel/abi/errno.h"
#include "kernel/log/bootprof.h"
#include "kernel/sync/spinlock.h"

#define IN_BYTES 1024

static struct spinlock in_lock = SPINLOCK_INIT;
static char ring[IN_BYTES];      /* Guarded by: in_lock */
static uint64_t head, tail;      /* Guarded by: in_lock; head - tail bytes buffered */
static struct wait_queue readers = WAIT_QUEUE_INIT;

struct wait_queue *console_wait_queue(void)
{
	return &readers;
}

void console_input_push(char c)
{
	irqflags_t f = spin_lock_irqsave(&in_lock);
	if (head - tail < IN_BYTES)
		ring[head++ % IN_BYTES] = c;
	spin_unlock_irqrestore(&in_lock, f);
	wait_queue_wake_all(&readers);
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
