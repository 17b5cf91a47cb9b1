// SPDX-License-Identifier: MIT
// The input layer (see input.h): the keyboard and mouse rings, the
// modifier state of the keyboard, registration.
// Locks: dev->lock (a spinlock taken with IRQs off, since drivers push from
// their interrupt handlers) guards the ring, the head and the modifiers; it
// is a leaf. Readers never hold it across a user copy: they copy records out
// under it, then to user space without it.
#include "kernel/drivers/input/input.h"

#include "kernel/lib/string.h"
#include "kernel/sched/wait.h"
#include "kernel/sync/spinlock.h"
#include "kernel/time/time.h"

struct input_dev {
	struct spinlock lock;
	struct wait_queue wq;
	size_t record_size;           /* Immutable */
	const char *name;             /* written once by input_register, then immutable */
	bool registered;              /* atomic: set (release) after name */
	/* Guarded by: lock (head is also read without it, atomically, to decide whether to wait) */
	uint64_t head;                /* events pushed so far; the next goes to ring slot head % N */
	uint32_t mods;                /* keyboard: KBD_MOD_* held now */
	union {
		struct abi_kbd_event kbd[INPUT_QUEUE_EVENTS];
		struct abi_mouse_event mouse[INPUT_QUEUE_EVENTS];
	} ring;
};

static struct input_dev devices[INPUT_KINDS] = {
	[INPUT_KBD] = { .lock = SPINLOCK_INIT, .wq = WAIT_QUEUE_INIT, .record_size = sizeof(struct abi_kbd_event) },
	[INPUT_MOUSE] = { .lock = SPINLOCK_INIT, .wq = WAIT_QUEUE_INIT, .record_size = sizeof(struct abi_mouse_event) },
};

static struct spinlock register_lock = SPINLOCK_INIT;

void input_register(enum input_kind kind, const char *name)
{
	struct input_dev *dev = &devices[kind];
	irqflags_t f = spin_lock_irqsave(&register_lock);
	if (!dev->registered) {
		dev->name = name;
		__atomic_store_n(&dev->registered, true, __ATOMIC_RELEASE);
	}
	spin_unlock_irqrestore(&register_lock, f);
}

struct input_dev *input_device(enum input_kind kind)
{
	struct input_dev *dev = &devices[kind];
	return __atomic_load_n(&dev->registered, __ATOMIC_ACQUIRE) ? dev : NULL;
}

const char *input_name(struct input_dev *dev)
{
	return dev->name;
}

size_t input_record_size(struct input_dev *dev)
{
	return dev->record_size;
}

uint64_t input_head(struct input_dev *dev)
{
	return __atomic_load_n(&dev->head, __ATOMIC_ACQUIRE);
}

struct wait_queue *input_wait_queue(struct input_dev *dev)
{
	return &dev->wq;
}

/* The modifier a key holds down, or 0. Caps Lock counts while held, as in PatchworkOS. */
static uint32_t key_modifier(uint32_t code)
{
	switch (code) {
	case KBD_CAPS_LOCK: return KBD_MOD_CAPS;
	case KBD_LEFT_SHIFT: case KBD_RIGHT_SHIFT: return KBD_MOD_SHIFT;
	case KBD_LEFT_CTRL: case KBD_RIGHT_CTRL: return KBD_MOD_CTRL;
	case KBD_LEFT_ALT: case KBD_RIGHT_ALT: return KBD_MOD_ALT;
	case KBD_LEFT_SUPER: case KBD_RIGHT_SUPER: return KBD_MOD_SUPER;
	default: return 0;
	}
}

void input_kbd_event(uint32_t code, bool pressed)
{
	struct input_dev *dev = &devices[INPUT_KBD];
	uint64_t now = time_now_ns();
	irqflags_t f = spin_lock_irqsave(&dev->lock);
	uint32_t mod = key_modifier(code);
	if (pressed)
		dev->mods |= mod;
	else
		dev->mods &= ~mod;
	dev->ring.kbd[dev->head % INPUT_QUEUE_EVENTS] = (struct abi_kbd_event){
		.time = now, .type = pressed ? KBD_PRESS : KBD_RELEASE, .mods = dev->mods, .code = code,
	};
	__atomic_store_n(&dev->head, dev->head + 1, __ATOMIC_RELEASE);
	spin_unlock_irqrestore(&dev->lock, f);
	wait_queue_wake_all(&dev->wq);
}

void input_mouse_event(uint32_t buttons, int64_t dx, int64_t dy)
{
	struct input_dev *dev = &devices[INPUT_MOUSE];
	uint64_t now = time_now_ns();
	irqflags_t f = spin_lock_irqsave(&dev->lock);
	dev->ring.mouse[dev->head % INPUT_QUEUE_EVENTS] = (struct abi_mouse_event){
		.time = now, .buttons = buttons, .delta_x = dx, .delta_y = dy,
	};
	__atomic_store_n(&dev->head, dev->head + 1, __ATOMIC_RELEASE);
	spin_unlock_irqrestore(&dev->lock, f);
	wait_queue_wake_all(&dev->wq);
}

size_t input_peek(struct input_dev *dev, uint64_t seq, void *out, size_t max, uint64_t *next)
{
	irqflags_t f = spin_lock_irqsave(&dev->lock);
	/* A reader that fell behind has lost what the ring overwrote: the oldest. */
	if (dev->head - seq > INPUT_QUEUE_EVENTS)
		seq = dev->head - INPUT_QUEUE_EVENTS;
	size_t n = 0;
	for (; n < max && seq != dev->head; n++, seq++) {
		const void *rec = dev->record_size == sizeof(struct abi_kbd_event)
					  ? (const void *)&dev->ring.kbd[seq % INPUT_QUEUE_EVENTS]
					  : (const void *)&dev->ring.mouse[seq % INPUT_QUEUE_EVENTS];
		memcpy((uint8_t *)out + n * dev->record_size, rec, dev->record_size);
	}
	spin_unlock_irqrestore(&dev->lock, f);
	*next = seq;
	return n;
}
