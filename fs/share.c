// SPDX-License-Identifier: MIT
// SHARE and CLAIM (spec §7 numbers 30, 31): one-shot, expiring 16-byte keys
// that stand for an open file. A key holds a reference to the file, so the
// sharer may close its descriptor or exit before the claim.
// Locks: keys_lock guards the key table.
#include "arch/x86_64/arch.h"
#include "fs/file.h"
#include "fs/share.h"
#include "kernel/abi/errno.h"
#include "kernel/abi/types.h"
#include "kernel/lib/rbtree.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/sched/process.h"
#include "kernel/sched/sched.h"
#include "kernel/time/time.h"

/*
 * Bounds (issue 13): keys a process may have live at once, and keys overall.
 * Past either, SHARE fails with ENOMEM (the only limit error its §7 entry
 * has). A key pins an open file, so these also bound what keys keep alive.
 */
#define SHARE_MAX_KEYS 65536
#define SHARE_MAX_PER_PROCESS 1024
/* Expired keys released per SHARE/CLAIM (the reaper thread takes the rest). */
#define SWEEP_BATCH 32

struct share_key {
	struct rb_node by_value;    /* in keys_by_value, ordered by the key bytes */
	struct rb_node by_deadline; /* in keys_by_deadline (finite deadlines only), by (deadline, address) */
	struct abi_key key;
	struct file *file;          /* a reference */
	uint64_t deadline;          /* time_now_ns clock; UINT64_MAX: never */
	uint64_t owner;             /* pid of the sharer, whose share_keys counts this key */
	struct share_key *dead_next;
};

/* Both trees make lookup, insertion and expiry O(log n): nothing walks all keys with IRQs off. */
static struct spinlock keys_lock = SPINLOCK_INIT;
static struct rb_root keys_by_value = RB_ROOT;    /* Guarded by: keys_lock */
static struct rb_root keys_by_deadline = RB_ROOT; /* Guarded by: keys_lock */
static uint64_t keys_alive;                       /* atomic */

uint64_t share_keys_live(void)
{
	return __atomic_load_n(&keys_alive, __ATOMIC_RELAXED);
}

/*
 * 64 unpredictable bits: the CPU's RNG where there is one, else a SplitMix64
 * stream seeded from the cycle counter and the wall clock and re-mixed with
 * the cycle counter at every call (sound enough for capability keys on
 * machines without RDRAND; uniqueness is checked separately).
 */
static uint64_t random64(void)
{
	uint64_t v;
	if (arch_random64(&v))
		return v;
	static uint64_t state;
	uint64_t z = __atomic_add_fetch(&state, 0x9E3779B97F4A7C15ULL ^ arch_cycles() ^ time_unix_epoch(),
					__ATOMIC_RELAXED);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static int key_cmp(const struct abi_key *a, const struct abi_key *b)
{
	return memcmp(a->bytes, b->bytes, KEY_SIZE);
}

static bool deadline_before(const struct share_key *a, const struct share_key *b)
{
	return a->deadline < b->deadline || (a->deadline == b->deadline && a < b);
}

/* The live key equal to @key, or NULL. Needs keys_lock. */
static struct share_key *find_locked(const struct abi_key *key)
{
	spin_assert_held(&keys_lock);
	struct rb_node *n = keys_by_value.node;
	while (n) {
		struct share_key *k = rb_entry(n, struct share_key, by_value);
		int c = key_cmp(key, &k->key);
		if (c == 0)
			return k;
		n = c < 0 ? n->left : n->right;
	}
	return NULL;
}

/* Insert @k unless its bytes are taken. Returns false on a collision. Needs keys_lock. */
static bool insert_locked(struct share_key *k)
{
	spin_assert_held(&keys_lock);
	struct rb_node **link = &keys_by_value.node, *parent = NULL;
	while (*link) {
		parent = *link;
		int c = key_cmp(&k->key, &rb_entry(parent, struct share_key, by_value)->key);
		if (c == 0)
			return false;
		link = c < 0 ? &parent->left : &parent->right;
	}
	rb_link_node(&k->by_value, parent, link);
	rb_insert_color(&k->by_value, &keys_by_value);
	if (k->deadline != UINT64_MAX) {
		link = &keys_by_deadline.node;
		parent = NULL;
		while (*link) {
			parent = *link;
			link = deadline_before(k, rb_entry(parent, struct share_key, by_deadline)) ? &parent->left
												     : &parent->right;
		}
		rb_link_node(&k->by_deadline, parent, link);
		rb_insert_color(&k->by_deadline, &keys_by_deadline);
	}
	__atomic_fetch_add(&keys_alive, 1, __ATOMIC_RELAXED);
	return true;
}

static void remove_locked(struct share_key *k)
{
	spin_assert_held(&keys_lock);
	rb_erase(&k->by_value, &keys_by_value);
	if (k->deadline != UINT64_MAX)
		rb_erase(&k->by_deadline, &keys_by_deadline);
	__atomic_fetch_sub(&keys_alive, 1, __ATOMIC_RELAXED);
}

/*
 * Give the sharer's slot back (it may have ended, even been reaped: then
 * nothing to do). @self: the calling process, which is often the sharer.
 */
static void uncount(struct process *self, uint64_t owner)
{
	if (self && self->pid == owner) {
		__atomic_fetch_sub(&self->share_keys, 1, __ATOMIC_RELAXED);
		return;
	}
	struct process *p = process_get(owner);
	if (!p)
		return;
	__atomic_fetch_sub(&p->share_keys, 1, __ATOMIC_RELAXED);
	process_put(p);
}

/* Free a key taken out of the trees, with its file reference. Context: thread context. */
static void key_free(struct share_key *k)
{
	uncount(NULL, k->owner);
	file_put(k->file);
	kfree(k);
}

/*
 * Release up to @max expired keys (the soonest first, found in O(log n)).
 * Returns how many it released.
 */
static uint64_t sweep_some(uint64_t max)
{
	/*
	 * No key with a deadline: nothing can expire. Read without the lock: a
	 * key being added now is swept by a later call or by the expiry thread.
	 */
	if (!__atomic_load_n(&keys_by_deadline.node, __ATOMIC_RELAXED))
		return 0;
	struct share_key *dead = NULL;
	uint64_t n = 0, now = time_now_ns();
	irqflags_t f = spin_lock_irqsave(&keys_lock);
	for (struct rb_node *first; n < max && (first = rb_first(&keys_by_deadline)); n++) {
		struct share_key *k = rb_entry(first, struct share_key, by_deadline);
		if (k->deadline > now)
			break;
		remove_locked(k);
		k->dead_next = dead;
		dead = k;
	}
	spin_unlock_irqrestore(&keys_lock, f);
	while (dead) {
		struct share_key *k = dead;
		dead = k->dead_next;
		key_free(k);
	}
	return n;
}

/*
 * Key expiry: a kernel thread sleeps until the soonest deadline and drops
 * what has expired then, so an expired key gives its file back promptly
 * (CLAIM and SHARE also sweep a batch on their way). A new key that becomes
 * the soonest bumps expiry_generation and wakes it to sleep less.
 */
static struct wait_queue expiry_wq = WAIT_QUEUE_INIT;
static uint64_t expiry_generation; /* atomic */

static uint64_t soonest_deadline(void)
{
	irqflags_t f = spin_lock_irqsave(&keys_lock);
	struct rb_node *first = rb_first(&keys_by_deadline);
	uint64_t d = first ? rb_entry(first, struct share_key, by_deadline)->deadline : UINT64_MAX;
	spin_unlock_irqrestore(&keys_lock, f);
	return d;
}

static void expiry_thread(void *arg)
{
	(void)arg;
	for (;;) {
		while (sweep_some(SWEEP_BATCH) == SWEEP_BATCH)
			(void)sched_checkpoint();
		uint64_t gen = __atomic_load_n(&expiry_generation, __ATOMIC_ACQUIRE);
		WAIT_EVENT(&expiry_wq, __atomic_load_n(&expiry_generation, __ATOMIC_ACQUIRE) != gen,
			   soonest_deadline());
	}
}

void share_init(void)
{
	if (!kthread_create(expiry_thread, NULL, 40))
		panic("share: cannot start the key expiry thread");
}

int share_create(struct process *p, struct file *file, uint64_t timeout, struct abi_key *out)
{
	sweep_some(SWEEP_BATCH);
	/* Take a slot of the process's and of the global budget first; give them back on failure. */
	struct share_key *k = NULL;
	bool mine = __atomic_add_fetch(&p->share_keys, 1, __ATOMIC_RELAXED) <= SHARE_MAX_PER_PROCESS;
	if (mine && share_keys_live() < SHARE_MAX_KEYS)
		k = kmalloc(sizeof(*k));
	if (!k) {
		__atomic_fetch_sub(&p->share_keys, 1, __ATOMIC_RELAXED);
		file_put(file);
		return -ENOMEM;
	}
	k->file = file;
	k->owner = p->pid;
	k->deadline = time_deadline(time_now_ns(), timeout);
	irqflags_t f = spin_lock_irqsave(&keys_lock);
	do {
		uint64_t a = random64(), b = random64();
		memcpy(k->key.bytes, &a, 8);
		memcpy(k->key.bytes + 8, &b, 8);
	} while (!insert_locked(k)); /* unique among live keys */
	*out = k->key;
	bool soonest = k->deadline != UINT64_MAX && rb_first(&keys_by_deadline) == &k->by_deadline;
	spin_unlock_irqrestore(&keys_lock, f);
	if (soonest) {
		__atomic_fetch_add(&expiry_generation, 1, __ATOMIC_RELEASE);
		wait_queue_wake_all(&expiry_wq);
	}
	return 0;
}

void share_withdraw(const struct abi_key *key)
{
	irqflags_t f = spin_lock_irqsave(&keys_lock);
	struct share_key *withdrawn = find_locked(key);
	if (withdrawn)
		remove_locked(withdrawn);
	spin_unlock_irqrestore(&keys_lock, f);
	if (withdrawn)
		key_free(withdrawn);
}

int64_t share_claim(struct process *p, const struct abi_key *key)
{
	sweep_some(SWEEP_BATCH);
	irqflags_t f = spin_lock_irqsave(&keys_lock);
	struct share_key *found = find_locked(key);
	if (found && found->deadline <= time_now_ns())
		found = NULL; /* expired, not swept yet */
	if (found)
		remove_locked(found);
	spin_unlock_irqrestore(&keys_lock, f);
	if (!found)
		return -ENOENT;
	int64_t fd = fd_install(p, found->file);
	if (fd < 0) {
		/* OUR CHOICE: on EMFILE the key stays claimable (its bytes are still unique: no one could take them). */
		f = spin_lock_irqsave(&keys_lock);
		insert_locked(found);
		spin_unlock_irqrestore(&keys_lock, f);
		return fd;
	}
	/* The file reference moved into the descriptor table. */
	uncount(p, found->owner);
	kfree(found);
	return fd;
}
