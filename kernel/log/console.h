// SPDX-License-Identifier: MIT
// Console input: bytes typed on the serial line, buffered for /dev/console.
#ifndef QUILT_LOG_CONSOLE_H
#define QUILT_LOG_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/sched/wait.h"

/* console_input_push (called by the UART interrupt) is declared in arch/x86_64/arch.h. */
/*
 * console_read - copy up to @len buffered bytes into @buf (kernel memory);
 * blocks until at least one is there unless @nonblock. Returns the count,
 * -EAGAIN (nonblock, nothing buffered) or -EINTR.
 */
int64_t console_read(char *buf, uint64_t len, bool nonblock);
bool console_input_ready(void);
struct wait_queue *console_wait_queue(void);

/* console_init - start the thread that sends Ctrl-C's notes. Context: boot, after sched_init. */
void console_init(void);

/* Most processes a foreground job names (a pipeline's stages). */
#define CONSOLE_FG_MAX 8
/*
 * console_set_foreground - the processes a typed Ctrl-C sends the note
 * "interrupt" to from now on (@n = 0: none; Ctrl-C is then an input byte).
 * Pids need not exist. Returns 0, -EINVAL (@n > CONSOLE_FG_MAX) or -ENOMEM
 * (the thread that sends the notes did not start at boot). Context: process.
 */
int console_set_foreground(const uint64_t *pids, unsigned n);
/* console_foreground - copy the foreground's pids into @pids; returns how many. */
unsigned console_foreground(uint64_t pids[CONSOLE_FG_MAX]);

#endif
