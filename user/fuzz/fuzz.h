// SPDX-License-Identifier: MIT
// The system-call fuzzer (/bin/fuzz): what the supervisor and its worker
// processes share. See main.c for the design.
//
// The supervisor maps one shared-memory object (/dev/shmem/new) and hands
// it to every worker as descriptor 0. Each worker slot has a header and, per
// thread, a ring of the last FUZZ_RING calls: written by the worker before
// and after every call, read by the supervisor when a worker ends with a
// status it did not expect. The worker never reads anything back, so a
// worker that scribbles over its own slot can only confuse its own report.
#ifndef QUILT_FUZZ_H
#define QUILT_FUZZ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "kernel/abi/syscalls.h"

#define FUZZ_MAX_SLOTS 8    /* worker processes at once */
#define FUZZ_MAX_THREADS 8  /* fuzzing threads per worker */
#define FUZZ_RING 32        /* calls remembered per thread */
#define FUZZ_MAX_CHILDREN 24 /* processes a worker generation may spawn */

/* A worker's own exit (the fuzzed SYS_PROCESS_EXIT is steered to this status). */
#define FUZZ_EXIT_STATUS 77
/* A worker that could not set itself up (not a kernel failure by itself, but reported). */
#define FUZZ_SETUP_FAILED 90
/* The status of a process ended by a CPU exception (spec §9.3). */
#define FUZZ_FAULT_STATUS 14

/* Call numbers beyond the table recorded as is; PENDING marks a call in flight. */
#define FUZZ_PENDING 0xFFFFFFFFFFFFFFFEull

struct fuzz_call {
	uint64_t seq;    /* 1, 2, ... per thread; 0 = empty entry */
	uint64_t nr;
	uint64_t arg[4];
	uint64_t ret;    /* FUZZ_PENDING while the call runs */
	uint64_t err;    /* the error slot after a failure */
};

struct fuzz_thread_ring {
	_Atomic(uint64_t) calls;  /* calls made by this thread */
	_Atomic(uint64_t) used;   /* 1 once the thread started */
	uint64_t seed;            /* its PRNG seed (replay) */
	uint64_t pad;
	struct fuzz_call ring[FUZZ_RING];
};

struct fuzz_slot {
	_Atomic(uint64_t) fault_ok;  /* the worker did something that may kill it with 14 */
	_Atomic(uint64_t) nchildren;
	_Atomic(uint64_t) children[FUZZ_MAX_CHILDREN]; /* pids it spawned (0 = none) */
	uint64_t seed;
	uint64_t pad[5];
	_Atomic(uint64_t) made[SYS_TOTAL_AMOUNT + 1][2]; /* per call (the last: beyond the table): made, succeeded */
	struct fuzz_thread_ring threads[FUZZ_MAX_THREADS];
};

struct fuzz_shared {
	struct fuzz_slot slots[FUZZ_MAX_SLOTS];
};

/* splitmix64: derives independent PRNG seeds from one (Steele et al.). */
static inline uint64_t fuzz_mix(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

/* xorshift64*: the per-thread stream. Never 0. */
static inline uint64_t fuzz_rand(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static inline uint64_t fuzz_below(uint64_t *s, uint64_t n)
{
	return n ? fuzz_rand(s) % n : 0;
}

/* Worker entry: argv = /bin/fuzz --worker <slot> <seed> <lifetime ms> <threads> <supervisor pid>. */
int fuzz_worker_main(int slot, uint64_t seed, uint64_t lifetime_ms, int nthreads, pid_t supervisor);

/* Print one thread's ring, oldest first, as KTAP diagnostics. */
void fuzz_print_ring(const char *who, const struct fuzz_thread_ring *r);

/* The name of a system call number ("read", or "#35" beyond the table). */
const char *fuzz_call_name(uint64_t nr, char *buf, size_t len);

#endif
