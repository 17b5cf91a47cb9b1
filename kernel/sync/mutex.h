// SPDX-License-Identifier: MIT
// Sleeping mutexes for code that may block while holding the lock (file
// systems, process tables). Not for IRQ context. Uncontended lock/unlock is
// one atomic operation each.
//
// The mutex may guard its own memory: the last user may lock it, drop the
// last reference to the object holding it, unlock and free it. So unlock
// never touches the mutex once another thread can own it (see mutex.c).
#ifndef QUILT_SYNC_MUTEX_H
#define QUILT_SYNC_MUTEX_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/sync/spinlock.h"

struct thread;
struct mutex_waiter;

struct mutex {
	uintptr_t owner;              /* atomic: owning thread | MUTEX_WAITERS, 0 when free */
	struct spinlock lock;         /* guards the waiter queue and hand-over */
	struct mutex_waiter *head, *tail; /* Guarded by: lock; FIFO of sleeping contenders */
};

#define MUTEX_INIT { 0, SPINLOCK_INIT, NULL, NULL }

void mutex_init(struct mutex *m);
/* Context: thread context; may sleep; not recursive. */
void mutex_lock(struct mutex *m);
bool mutex_trylock(struct mutex *m);
void mutex_unlock(struct mutex *m);
bool mutex_held(struct mutex *m); /* by the calling thread */
/* mutex_assert_held - the calling thread holds @m (the owner is tracked in every build). */
#define mutex_assert_held(m) ASSERT(mutex_held(m))

#endif
