// SPDX-License-Identifier: MIT
// SHARE and CLAIM (spec §7 numbers 30, 31): one-shot, expiring 16-byte keys
// that stand for an open file. A key holds a reference to the file, so the
// sharer may close its descriptor or exit before the claim.
// Locks: keys_lock guards the key table.
#include "arch/x86_64/arch.h"
#include "fs/file.h"
#include "fs/share.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/sched/process.h"
#include "kernel/sched/sched.h"
#include "kernel/syscall/syscall.h"
#include "kernel/time/time.h"

#define KEY_BUCKETS 64

struct share_key {
	struct share_key *next;
	struct abi_key key;
	struct file *file;   /* a reference */
	uint64_t deadline;   /* time_now_ns clock; UINT64_MAX: never */
};

static struct spinlock keys_lock = SPINLOCK_INIT;
static struct share_key *buckets[KEY_BUCKETS]; /* Guarded by: keys_lock */
static uint64_t keys_alive;                    /* atomic */

uint64_t share_keys_live(void)
{
	return __atomic_load_n(&keys_alive, __ATOMIC_RELAXED);
}

static unsigned bucket_of(const struct abi_key *k)
{
	return k->bytes[0] % KEY_BUCKETS;
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

/* Unlink @k (found behind *link). Needs keys_lock. */
static struct share_key *unlink_key(struct share_key **link)
{
	struct share_key *k = *link;
	*link = k->next;
	__atomic_fetch_sub(&keys_alive, 1, __ATOMIC_RELAXED);
	return k;
}

static struct share_key **find_locked(const struct abi_key *key)
{
	for (struct share_key **link = &buckets[bucket_of(key)]; *link; link = &(*link)->next)
		if (memcmp((*link)->key.bytes, key->bytes, KEY_SIZE) == 0)
			return link;
	return NULL;
}

/* Drop every expired key (prompt reclamation of their files). */
void share_sweep_expired(void)
{
	struct share_key *dead = NULL;
	uint64_t now = time_now_ns();
	irqflags_t f = spin_lock_irqsave(&keys_lock);
	for (unsigned b = 0; b < KEY_BUCKETS; b++) {
		for (struct share_key **link = &buckets[b]; *link;) {
			if ((*link)->deadline <= now) {
				struct share_key *k = unlink_key(link);
				k->next = dead;
				dead = k;
			} else {
				link = &(*link)->next;
			}
		}
	}
	spin_unlock_irqrestore(&keys_lock, f);
	while (dead) {
		struct share_key *k = dead;
		dead = k->next;
		file_put(k->file);
		kfree(k);
	}
}

SYSCALL_DEFINE(SYS_SHARE, uint64_t, struct abi_key __user *, key_out, fd_t, fd, uint64_t, timeout)
{
	if (user_range_check(key_out, KEY_SIZE) || !key_out)
		return -EFAULT;
	struct file *file = fd_get(current_process(), fd);
	if (!file)
		return -EBADF;
	struct share_key *k = kmalloc(sizeof(*k));
	if (!k) {
		file_put(file);
		return -ENOMEM;
	}
	share_sweep_expired();
	k->file = file;
	k->deadline = time_deadline(time_now_ns(), timeout);
	irqflags_t f = spin_lock_irqsave(&keys_lock);
	do {
		uint64_t a = random64(), b = random64();
		memcpy(k->key.bytes, &a, 8);
		memcpy(k->key.bytes + 8, &b, 8);
	} while (find_locked(&k->key)); /* unique among live keys */
	k->next = buckets[bucket_of(&k->key)];
	buckets[bucket_of(&k->key)] = k;
	__atomic_fetch_add(&keys_alive, 1, __ATOMIC_RELAXED);
	struct abi_key copy = k->key;
	spin_unlock_irqrestore(&keys_lock, f);

	if (copy_to_user(key_out, &copy, sizeof(copy))) {
		/* OUR CHOICE: a key that could not be handed out is withdrawn. */
		f = spin_lock_irqsave(&keys_lock);
		struct share_key **link = find_locked(&copy);
		struct share_key *mine = link ? unlink_key(link) : NULL;
		spin_unlock_irqrestore(&keys_lock, f);
		if (mine) {
			file_put(mine->file);
			kfree(mine);
		}
		return -EFAULT;
	}
	return 0;
}

SYSCALL_DEFINE(SYS_CLAIM, uint64_t, const struct abi_key __user *, key)
{
	struct abi_key k;
	if (!key || copy_from_user(&k, key, sizeof(k)))
		return -EFAULT;
	share_sweep_expired();
	irqflags_t f = spin_lock_irqsave(&keys_lock);
	struct share_key **link = find_locked(&k);
	struct share_key *found = link && (*link)->deadline > time_now_ns() ? unlink_key(link) : NULL;
	spin_unlock_irqrestore(&keys_lock, f);
	if (!found)
		return -ENOENT;
	int64_t fd = fd_install(current_process(), found->file);
	if (fd < 0) {
		/* OUR CHOICE: on EMFILE the key stays claimable. */
		f = spin_lock_irqsave(&keys_lock);
		found->next = buckets[bucket_of(&found->key)];
		buckets[bucket_of(&found->key)] = found;
		__atomic_fetch_add(&keys_alive, 1, __ATOMIC_RELAXED);
		spin_unlock_irqrestore(&keys_lock, f);
		return fd;
	}
	kfree(found); /* the file reference moved into the descriptor table */
	return fd;
}
