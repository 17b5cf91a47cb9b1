// SPDX-License-Identifier: MIT
// Sleeping mutexes for code that may block while holding the lock (file
// systems, process tables). Not for IRQ context. Uncontended lock/unlock is
// one atomic operation each.
#ifndef QUILT_SYNC_MUTEX_H
#define QUILT_SYNC_MUTEX_H

#include <stdbool.h>

#include "kernel/sched/wait.h"

struct mutex {
	struct thread *owner;  /* atomic; NULL when free */
	struct wait_queue wq;
};

#define MUTEX_INIT { NULL, WAIT_QUEUE_INIT }

void mutex_init(struct mutex *m);
/* Context: thread context; may sleep; not recursive. */
void mutex_lock(struct mutex *m);
bool mutex_trylock(struct mutex *m);
void mutex_unlock(struct mutex *m);
bool mutex_held(struct mutex *m); /* by the calling thread */

#endif
