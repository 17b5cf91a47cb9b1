// SPDX-License-Identifier: MIT
// Ticket spinlocks: FIFO-fair, so no CPU starves under contention. Under a
// hypervisor the lock is taken test-and-set instead (spin_fair false, set at
// boot): a vCPU is preempted by its host at any moment, and a ticket handed
// to a preempted waiter stalls every CPU queued behind it until the host
// runs that vCPU again (8 vCPUs on 2 host cores: a 64-thread futex barrier
// took 0.76 s a round). Test-and-set lets whoever runs take a free lock;
// Linux makes the same choice without paravirtual spinlocks. Both forms share
// one representation (free when next == serving) and may mix at any time.
// Two forms only: spin_lock() where IRQs are already off, and
// spin_lock_irqsave()/spin_unlock_irqrestore() that return and take the
// saved interrupt state. Test kernels also record the holding CPU, so that
// spin_assert_held() can check what a "needs the lock" comment says.
#ifndef QUILT_SYNC_SPINLOCK_H
#define QUILT_SYNC_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/arch.h"
#include "kernel/log/log.h"

#ifdef QUILT_LOCK_CHECKS /* test kernels, not the one make bench measures */
#define SPIN_OWNER_CHECKS 1
#endif

struct spinlock {
	uint32_t next;    /* ticket handed to the next arrival */
	uint32_t serving; /* ticket that holds the lock */
#ifdef SPIN_OWNER_CHECKS
	uint32_t owner;   /* holding CPU's index + 1, 0 when free */
#endif
};

#ifdef SPIN_OWNER_CHECKS
#define SPINLOCK_INIT { 0, 0, 0 }
#else
#define SPINLOCK_INIT { 0, 0 }
#endif

static inline void spin_init(struct spinlock *l)
{
	l->next = 0;
	l->serving = 0;
#ifdef SPIN_OWNER_CHECKS
	l->owner = 0;
#endif
}

static inline void spin_set_owner(struct spinlock *l, bool held)
{
#ifdef SPIN_OWNER_CHECKS
	__atomic_store_n(&l->owner, held ? arch_cpu_index() + 1 : 0, __ATOMIC_RELAXED);
#else
	(void)l, (void)held;
#endif
}

/* Fair ticket order (true) or test-and-set (false); see above. */
extern bool spin_fair;

/* Set spin_fair from the machine and the command line. Context: boot, before other CPUs start. */
void spin_choose_order(void);

static inline int spin_trylock(struct spinlock *l)
{
	uint32_t serving = __atomic_load_n(&l->serving, __ATOMIC_RELAXED);
	uint32_t expect = serving;
	int taken = __atomic_compare_exchange_n(&l->next, &expect, serving + 1, 0, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED);
	if (taken)
		spin_set_owner(l, true);
	return taken;
}

/* Test-and-set: wait until the lock looks free, then try to take it. */
static inline void spin_lock_unfair(struct spinlock *l)
{
	while (!spin_trylock(l))
		while (__atomic_load_n(&l->next, __ATOMIC_RELAXED) != __atomic_load_n(&l->serving, __ATOMIC_RELAXED))
			arch_cpu_relax();
}

static inline void spin_lock_fair(struct spinlock *l)
{
	uint32_t ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != ticket)
		arch_cpu_relax();
	spin_set_owner(l, true);
}

static inline void spin_lock(struct spinlock *l)
{
	if (__builtin_expect(spin_fair, 1))
		spin_lock_fair(l);
	else
		spin_lock_unfair(l);
}

static inline void spin_unlock(struct spinlock *l)
{
	spin_set_owner(l, false);
	__atomic_store_n(&l->serving, l->serving + 1, __ATOMIC_RELEASE);
}

/*
 * spin_assert_held - the calling CPU holds @l (checked in test kernels; a
 * no-op in production). For functions whose comment says "needs the lock".
 */
static inline void spin_assert_held(struct spinlock *l)
{
#ifdef SPIN_OWNER_CHECKS
	ASSERT(__atomic_load_n(&l->owner, __ATOMIC_RELAXED) == arch_cpu_index() + 1);
#else
	(void)l;
#endif
}

static inline irqflags_t spin_lock_irqsave(struct spinlock *l)
{
	irqflags_t flags = arch_irq_save();
	spin_lock(l);
	return flags;
}

static inline void spin_unlock_irqrestore(struct spinlock *l, irqflags_t flags)
{
	spin_unlock(l);
	arch_irq_restore(flags);
}

#endif
