// SPDX-License-Identifier: MIT
// Ticket spinlocks: FIFO-fair, so no CPU starves under contention.
// Two forms only: spin_lock() where IRQs are already off, and
// spin_lock_irqsave()/spin_unlock_irqrestore() that return and take the
// saved interrupt state.
#ifndef QUILT_SYNC_SPINLOCK_H
#define QUILT_SYNC_SPINLOCK_H

#include <stdint.h>

#include "arch/x86_64/arch.h"

struct spinlock {
	uint32_t next;    /* ticket handed to the next arrival */
	uint32_t serving; /* ticket that holds the lock */
};

#define SPINLOCK_INIT { 0, 0 }

static inline void spin_init(struct spinlock *l)
{
	l->next = 0;
	l->serving = 0;
}

static inline void spin_lock(struct spinlock *l)
{
	uint32_t ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != ticket)
		arch_cpu_relax();
}

static inline int spin_trylock(struct spinlock *l)
{
	uint32_t serving = __atomic_load_n(&l->serving, __ATOMIC_RELAXED);
	uint32_t expect = serving;
	return __atomic_compare_exchange_n(&l->next, &expect, serving + 1, 0, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->serving, l->serving + 1, __ATOMIC_RELEASE);
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
