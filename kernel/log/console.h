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

#endif
