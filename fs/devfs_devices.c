// SPDX-License-Identifier: MIT
// The device files of spec §8.7 in PatchworkOS's formats (the contract is
// written down in kernel/abi/devices.h): /dev/kbd/0/{events,name},
// /dev/mouse/0/{events,name} over the input layer, /dev/fb/0/{info,buffer}
// over the boot framebuffer, and /dev/perf/cpu.
// Locks: an events file's position is its reader's place in the device's
// ring, moved under f->pos_lock (the syscall layer takes it only for seekable
// files), never held while waiting; the ring has its own lock (input.c).
#include "fs/devfs.h"

#include "arch/x86_64/arch.h"
#include "kernel/abi/devices.h"
#include "kernel/boot.h"
#include "kernel/drivers/input/input.h"
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"
#include "kernel/log/log.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/vmm.h"
#include "kernel/sched/sched.h"

/* ---- events: whole records from the reader's own place in the ring ---- */

static enum input_kind inode_kind(struct inode *ino)
{
	return (enum input_kind)(uintptr_t)ino->priv;
}

static const struct file_ops events_fops;

/* A new reader starts at the newest event: what happened before it opened is not its. */
static int events_open(struct inode *ino, struct file *f)
{
	struct input_dev *dev = input_device(inode_kind(ino));
	if (!dev)
		return -ENOENT; /* hidden until registered; a racing lookup cannot get here first */
	f->ops = &events_fops;
	f->priv = dev;
	f->pos = input_head(dev);
	return 0;
}

/* Records one read hands over at most; a reader asking for more gets the rest next time. */
#define EVENTS_PER_READ 16

static int64_t events_read(struct file *f, void __user *buf, uint64_t count, uint64_t *pos)
{
	struct input_dev *dev = f->priv;
	uint64_t size = input_record_size(dev);
	uint64_t want = count / size;
	/* PatchworkOS rounds the count down to whole records: less than one reads nothing. */
	if (want == 0)
		return 0;
	if (want > EVENTS_PER_READ)
		want = EVENTS_PER_READ;
	uint8_t records[EVENTS_PER_READ * sizeof(struct abi_mouse_event)];
	_Static_assert(sizeof(struct abi_mouse_event) >= sizeof(struct abi_kbd_event), "records holds either kind");
	for (;;) {
		mutex_lock(&f->pos_lock);
		uint64_t next;
		size_t n = input_peek(dev, *pos, records, want, &next);
		if (n) {
			/* Consumed only once delivered: a failed copy leaves the records for the next read. */
			int err = copy_to_user(buf, records, n * size);
			if (!err)
				__atomic_store_n(pos, next, __ATOMIC_RELAXED);
			mutex_unlock(&f->pos_lock);
			return err ? err : (int64_t)(n * size);
		}
		mutex_unlock(&f->pos_lock);
		if (f->flags & PATH_FLAG_NONBLOCK)
			return -EAGAIN;
		int err = WAIT_EVENT(input_wait_queue(dev), input_head(dev) != __atomic_load_n(pos, __ATOMIC_RELAXED),
				     UINT64_MAX);
		if (err)
			return err; /* -EINTR: a note (spec §9.5) */
	}
}

static uint32_t events_poll(struct file *f, struct poll_table *pt)
{
	struct input_dev *dev = f->priv;
	poll_wait(pt, input_wait_queue(dev));
	return input_head(dev) != __atomic_load_n(&f->pos, __ATOMIC_RELAXED) ? POLLIN : 0;
}

static const struct file_ops events_fops = { .read = events_read, .poll = events_poll };
static const struct inode_ops events_iops = { .open = events_open };

static int64_t name_read(struct file *f, void __user *buf, uint64_t count, uint64_t *pos)
{
	struct input_dev *dev = input_device(inode_kind(f->inode));
	if (!dev)
		return -ENOENT;
	const char *name = input_name(dev);
	return fs_read_text(name, strlen(name), buf, count, pos);
}

static const struct file_ops name_fops = { .read = name_read };

/* ---- fb: the boot framebuffer ---- */

static const struct boot_framebuffer *boot_fb(void)
{
	const struct boot_framebuffer *fb = &boot_info->fb;
	/* Only 32-bit pixels (BGRX = PatchworkOS's ARGB32, or RGBX) on a page boundary can be handed out. */
	if (!fb->phys || fb->phys % PAGE_SIZE || (fb->format != 1 && fb->format != 2))
		return NULL;
	return fb;
}

/* PatchworkOS's size of the buffer, stride * height * 4 bytes, rounded up to whole pages. */
static uint64_t fb_bytes(const struct boot_framebuffer *fb)
{
	uint64_t bytes = (uint64_t)fb->stride_pixels * fb->height * 4;
	return (bytes + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

static int64_t fb_info_read(struct file *f, void __user *buf, uint64_t count, uint64_t *pos)
{
	const struct boot_framebuffer *fb = boot_fb();
	if (!fb)
		return -ENODEV;
	struct abi_fb_info info = {
		.width = fb->width, .height = fb->height, .stride = fb->stride_pixels,
		.format = fb->format == 1 ? FB_ARGB32 : FB_QUILT_RGBX32,
	};
	strlcpy(info.name, "GOP Framebuffer", sizeof(info.name)); /* PatchworkOS's gop.c names it so */
	return fs_read_text((const char *)&info, sizeof(info), buf, count, pos);
}

/*
 * A mapping of the buffer is the screen itself (shared with every other
 * mapping). Like PatchworkOS, the range must lie inside the buffer (EINVAL),
 * and the kernel log stops drawing: the program owns the screen from now on.
 */
static int fb_buffer_mmap(struct file *f, struct vm_mmap_request *req)
{
	const struct boot_framebuffer *fb = boot_fb();
	if (!fb)
		return -ENODEV;
	uint64_t size = fb_bytes(fb);
	if (req->offset % PAGE_SIZE || req->offset >= size || req->length > size - req->offset)
		return -EINVAL;
	req->backing = VM_DEVICE;
	req->phys = fb->phys + req->offset;
	req->length = (req->length + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	log_screen_disable();
	return 0;
}

static const struct file_ops fb_info_fops = { .read = fb_info_read };
/* mmap only: read and write are ENOSYS, as the file has no such operation in PatchworkOS. */
static const struct file_ops fb_buffer_fops = { .mmap = fb_buffer_mmap };

/* ---- perf/cpu ---- */

/*
 * PatchworkOS's text (src/kernel/drivers/perf.c), which its top reads with
 * fgets and sscanf("%lu %lu %lu %lu"): a header line, then per CPU its id,
 * idle, active and interrupt nanoseconds, lines joined by '\n' with none at
 * the end. Interrupt time is not counted apart here: it is in the idle or
 * active time of what it interrupted, and the column reads 0.
 */
#define PERF_CPU_LINE_MAX 96

static int64_t perf_cpu_read(struct file *f, void __user *buf, uint64_t count, uint64_t *pos)
{
	unsigned ncpu = arch_cpu_count();
	uint64_t cap = PERF_CPU_LINE_MAX * ((uint64_t)ncpu + 1);
	char *text = kmalloc(cap);
	if (!text)
		return -ENOMEM;
	int len = ksnprintf(text, cap, "cpu idle_clocks active_clocks interrupt_clocks");
	for (unsigned i = 0; i < ncpu; i++) {
		uint64_t idle, busy;
		if (!sched_cpu_time(i, &idle, &busy))
			continue;
		len += ksnprintf(text + len, cap - (uint64_t)len, "\n%u %lu %lu %lu", i, idle, busy, 0UL);
	}
	int64_t r = fs_read_text(text, (uint64_t)len, buf, count, pos);
	kfree(text);
	return r;
}

static const struct file_ops perf_cpu_fops = { .read = perf_cpu_read };

/* ---- the tree ---- */

static bool kbd_shown(struct inode *child)
{
	return input_device(INPUT_KBD) != NULL;
}

static bool mouse_shown(struct inode *child)
{
	return input_device(INPUT_MOUSE) != NULL;
}

static bool fb_shown(struct inode *child)
{
	return boot_fb() != NULL;
}

/* One device directory: /dev/<class>/0 and its two files. */
struct devfs_class {
	struct inode top, zero, files[2];
	struct inode *top_children[1], *zero_children[2];
	struct devfs_dir top_dir, zero_dir;
};

static struct devfs_class kbd_class, mouse_class, fb_class;
static struct inode perf_cpu;

static struct inode *class_init(struct devfs_class *c, struct superblock *sb, struct inode *root, const char *name,
				bool (*shown)(struct inode *))
{
	inode_init_static(&c->top, sb, INODE_DIR, &devfs_dir_ops, &devfs_dir_fops, name);
	inode_init_static(&c->zero, sb, INODE_DIR, &devfs_dir_ops, &devfs_dir_fops, "0");
	c->top_children[0] = &c->zero;
	c->zero_children[0] = &c->files[0];
	c->zero_children[1] = &c->files[1];
	c->top_dir = (struct devfs_dir){ root, c->top_children, 1, shown };
	c->zero_dir = (struct devfs_dir){ &c->top, c->zero_children, 2, NULL };
	c->top.priv = &c->top_dir;
	c->zero.priv = &c->zero_dir;
	return &c->top;
}

static void input_class_init(struct devfs_class *c, enum input_kind kind)
{
	struct superblock *sb = c->top.sb;
	inode_init_static(&c->files[0], sb, INODE_FILE, &events_iops, NULL, "events");
	inode_init_static(&c->files[1], sb, INODE_FILE, &devfs_file_ops, &name_fops, "name");
	c->files[0].priv = c->files[1].priv = (void *)(uintptr_t)kind;
}

struct devfs_devices devfs_devices_init(struct superblock *sb, struct inode *root)
{
	struct devfs_devices dv;
	dv.kbd = class_init(&kbd_class, sb, root, "kbd", kbd_shown);
	input_class_init(&kbd_class, INPUT_KBD);
	dv.mouse = class_init(&mouse_class, sb, root, "mouse", mouse_shown);
	input_class_init(&mouse_class, INPUT_MOUSE);
	dv.fb = class_init(&fb_class, sb, root, "fb", fb_shown);
	inode_init_static(&fb_class.files[0], sb, INODE_FILE, &devfs_file_ops, &fb_buffer_fops, "buffer");
	inode_init_static(&fb_class.files[1], sb, INODE_FILE, &devfs_file_ops, &fb_info_fops, "info");
	inode_init_static(&perf_cpu, sb, INODE_FILE, &devfs_file_ops, &perf_cpu_fops, "cpu");
	dv.perf_cpu = &perf_cpu;
	return dv;
}
