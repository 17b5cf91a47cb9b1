// SPDX-License-Identifier: MIT
// Threads and mutexes over SYS_THREAD_CREATE and SYS_FUTEX (a subset of C11 <threads.h>).
#ifndef QUILT_LIBC_THREADS_H
#define QUILT_LIBC_THREADS_H

#include <stdint.h>
#include <sys/types.h>

#include "kernel/abi/types.h"

/*
 * mtx_t - a futex-based mutex: 0 unlocked, 1 locked, 2 locked and someone
 * may be waiting (Drepper, "Futexes Are Tricky", mutex 2). Not recursive.
 * Zero-initialised (MTX_INIT or static storage) is unlocked. Futexes are
 * process-private in this ABI, so a mutex only works between threads of one
 * process. None of these functions change errno.
 */
typedef struct {
	_Atomic(uint64_t) state;
} mtx_t;

#define MTX_INIT { 0 }

/* mtx_init - set @m unlocked. Context: before any other thread can see @m. */
void mtx_init(mtx_t *m);
/* mtx_lock - take @m, sleeping while another thread holds it. Context: may sleep. */
void mtx_lock(mtx_t *m);
/* mtx_trylock - take @m if it is free. Returns 1 if taken, 0 if not. Context: any. */
int mtx_trylock(mtx_t *m);
/* mtx_unlock - release @m (held by the caller) and wake one waiter. Context: any. */
void mtx_unlock(mtx_t *m);

/*
 * thrd_create_raw - run @entry(@arg) in a new thread of this process, on its
 * own 400 KiB stack (spec §10.3). When @entry returns (or the thread calls
 * thrd_exit) the thread's join word is set and the thread ends.
 * Returns the new thread's tid (>= 1), or -1 with errno set (ENOMEM for the
 * start record, else the error of SYS_THREAD_CREATE).
 * Context: may sleep (allocates a small start record).
 */
int thrd_create_raw(void (*entry)(void *), void *arg);

/*
 * thrd_join_raw - wait until thread @tid has ended through thrd_exit (which
 * is also what returning from a thrd_create_raw entry does). Any tid the
 * stack area of spec §10.3 allows can be joined, however many threads the
 * process made before. Returns 0, or -1 with errno = EINVAL when @tid is
 * negative, beyond the stack area or the caller itself, or ENOMEM when the
 * join word's table could not grow. Waiting for a tid that was never
 * created, or whose thread ended through a bare thread_exit(), blocks
 * forever. Several threads may join the same tid. Join words are kept for
 * the life of the process (16 bytes a thread, as tids are never reused).
 * Context: may sleep.
 */
int thrd_join_raw(int tid);

/*
 * thrd_exit - end the calling thread (created by thrd_create_raw) after
 * marking it joinable. For the main thread: the process ends with 0 if no
 * other thread remains (spec §7.1). Context: any thread.
 */
__attribute__((noreturn)) void thrd_exit(void);

/* thrd_yield - give up the CPU (SYS_YIELD). */
void thrd_yield(void);

#endif
