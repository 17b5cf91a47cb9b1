// SPDX-License-Identifier: MIT
// /dev (spec §8.2-8.4, §8.6): null, zero, one, klog, console, pipe/new,
// shmem/new, perf/mem (§8.7, the kernel's memory counters), and two of ours:
// console_fg (the processes Ctrl-C interrupts) and power (write "poweroff"
// or "reboot"; the spec has no call for either), as a small
// static tree of inodes that live forever; the device files of §8.7 (kbd,
// mouse, fb, perf/cpu) are in devfs_devices.c. Nothing can be created or
// removed here (the directory ops have no create/remove: ENOSYS).
#include "fs/devfs.h"

#include "kernel/drivers/power/power.h"
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"
#include "kernel/log/console.h"
#include "kernel/log/log.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/kstack.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/vmm.h"
#include "kernel/sched/sched.h"

static struct superblock devfs_sb = { .name = "devfs" };

static bool shown(const struct devfs_dir *d, struct inode *child)
{
	return !d->shown || d->shown(child);
}

static int devfs_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	struct devfs_dir *d = dir->priv;
	for (unsigned i = 0; i < d->count; i++) {
		struct inode *c = d->children[i];
		if (strlen(c->name) == len && memcmp(c->name, name, len) == 0 && shown(d, c)) {
			inode_get(c);
			*out = c;
			return 0;
		}
	}
	return -ENOENT;
}

static int devfs_readdir(struct inode *dir, readdir_emit_t emit, void *ctx)
{
	struct devfs_dir *d = dir->priv;
	int r = 0;
	for (unsigned i = 0; i < d->count && !r; i++)
		if (shown(d, d->children[i]))
			r = emit(ctx, d->children[i]->name, d->children[i]);
	return r;
}

static int devfs_parent(struct inode *dir, struct inode **out)
{
	struct devfs_dir *d = dir->priv;
	if (!d->parent)
		return -ENOENT;
	*out = d->parent;
	return 0;
}

const struct inode_ops devfs_dir_ops = {
	.lookup = devfs_lookup,
	.readdir = devfs_readdir,
	.parent = devfs_parent,
};
const struct inode_ops devfs_file_ops = { 0 };
static const struct inode_ops devfs_pipe_ops = { .open = pipe_open, .open2 = pipe_open2 };
const struct file_ops devfs_dir_fops = { .seek = fs_dir_seek };

/* ---- null, zero, one ---- */

static int64_t null_read(struct file *f, void __user *buf, uint64_t count, uint64_t *pos)
{
	return 0;
}

static int64_t null_write(struct file *f, const void __user *buf, uint64_t count, uint64_t *pos)
{
	return (int64_t)count;
}

/*
 * Reads and writes of any size go in pieces of at most this many bytes with a
 * preemption and kill point between them (README "Bounded latency"): a
 * killed caller stops after the piece it is in, with the bytes done so far.
 */
#define DEV_CHUNK (64 * 1024ULL)

static int64_t zero_read(struct file *f, void __user *buf, uint64_t count, uint64_t *pos)
{
	for (uint64_t done = 0; done < count;) {
		uint64_t n = count - done < DEV_CHUNK ? count - done : DEV_CHUNK;
		int err = clear_user((uint8_t __user *)buf + done, n);
		if (err)
			return err;
		done += n;
		if (done < count && sched_checkpoint())
			return (int64_t)done;
	}
	return (int64_t)count;
}

static const uint8_t ones[256] = { [0 ... 255] = 0xFF };

static int64_t one_read(struct file *f, void __user *buf, uint64_t count, uint64_t *pos)
{
	for (uint64_t done = 0; done < count;) {
		uint64_t n = count - done < sizeof(ones) ? count - done : sizeof(ones);
		int err = copy_to_user((uint8_t __user *)buf + done, ones, n);
		if (err)
			return err;
		done += n;
		if (done % DEV_CHUNK == 0 && done < count && sched_checkpoint())
			return (int64_t)done;
	}
	return (int64_t)count;
}

static int zero_mmap(struct file *f, struct vm_mmap_request *req)
{
	req->backing = VM_ANON_ZERO;
	return 0;
}

static int one_mmap(struct file *f, struct vm_mmap_request *req)
{
	req->backing = VM_ANON_ONE;
	return 0;
}

static const struct file_ops null_fops = { .read = null_read, .write = null_write };
static const struct file_ops zero_fops = { .read = zero_read, .mmap = zero_mmap };
static const struct file_ops one_fops = { .read = one_read, .mmap = one_mmap };

/* ---- klog ---- */

static int64_t klog_read(struct file *f, void __user *buf, uint64_t count, uint64_t *pos)
{
	char chunk[256];
	uint64_t done = 0, at = *pos;
	while (done < count) {
		size_t want = count - done < sizeof(chunk) ? count - done : sizeof(chunk);
		size_t n = log_read(&at, chunk, want);
		if (n == 0)
			break;
		int err = copy_to_user((uint8_t __user *)buf + done, chunk, n);
		if (err)
			return done ? (int64_t)done : err; /* the position keeps what was delivered */
		done += n;
		*pos = at;
		if (sched_checkpoint())
			break;
	}
	return (int64_t)done;
}

/*
 * The log lock is held (IRQs off) for one 256-byte piece at a time, never
 * across the whole write; between pieces the writer can be preempted or
 * killed (then the write ends short, with what reached the log).
 */
static int64_t klog_write(struct file *f, const void __user *buf, uint64_t count, uint64_t *pos)
{
	char chunk[256];
	for (uint64_t done = 0; done < count;) {
		uint64_t n = count - done < sizeof(chunk) ? count - done : sizeof(chunk);
		int err = copy_from_user(chunk, (const uint8_t __user *)buf + done, n);
		if (err)
			return done ? (int64_t)done : err;
		log_write(chunk, n);
		done += n;
		if (done < count && sched_checkpoint())
			return (int64_t)done;
	}
	return (int64_t)count;
}

static uint32_t klog_poll(struct file *f, struct poll_table *pt)
{
	poll_wait(pt, log_wait_queue());
	uint32_t ev = POLLOUT;
	if (log_total_bytes() > __atomic_load_n(&f->pos, __ATOMIC_RELAXED))
		ev |= POLLIN;
	return ev;
}

static const struct file_ops klog_fops = { .read = klog_read, .write = klog_write, .poll = klog_poll };

/* ---- console: what is typed on the serial line; writes go to the log ---- */

static int64_t console_dev_read(struct file *f, void __user *buf, uint64_t count, uint64_t *pos)
{
	char chunk[256];
	uint64_t want = count < sizeof(chunk) ? count : sizeof(chunk);
	int64_t n = console_read(chunk, want, f->flags & PATH_FLAG_NONBLOCK);
	if (n <= 0)
		return n;
	int err = copy_to_user(buf, chunk, (uint64_t)n);
	return err ? err : n;
}

static uint32_t console_dev_poll(struct file *f, struct poll_table *pt)
{
	poll_wait(pt, console_wait_queue());
	return POLLOUT | (console_input_ready() ? POLLIN : 0);
}

static const struct file_ops console_fops = { .read = console_dev_read, .write = klog_write, .poll = console_dev_poll };

/*
 * ---- console_fg: the processes a typed Ctrl-C interrupts (ours; kernel/log/console.c) ----
 * A write names them all at once: decimal pids separated by spaces or
 * newlines, at most CONSOLE_FG_MAX; an empty write, or one of blanks only,
 * names none. A read gives the current ones, a space between, then "\n".
 */
static int64_t console_fg_write(struct file *f, const void __user *buf, uint64_t count, uint64_t *pos)
{
	char text[CONSOLE_FG_MAX * 21 + 1];
	if (count >= sizeof(text))
		return -EINVAL;
	int err = copy_from_user(text, buf, count);
	if (err)
		return err;
	text[count] = '\0';
	uint64_t pids[CONSOLE_FG_MAX];
	unsigned n = 0;
	for (const char *s = text; *s;) {
		if (*s == ' ' || *s == '\n') {
			s++;
			continue;
		}
		uint64_t pid = 0;
		const char *start = s;
		for (; *s >= '0' && *s <= '9'; s++)
			if (__builtin_mul_overflow(pid, 10, &pid) || __builtin_add_overflow(pid, (uint64_t)(*s - '0'), &pid))
				return -EINVAL;
		if (s == start || (*s && *s != ' ' && *s != '\n') || n == CONSOLE_FG_MAX)
			return -EINVAL;
		pids[n++] = pid;
	}
	err = console_set_foreground(pids, n);
	return err ? err : (int64_t)count;
}

static int64_t console_fg_read(struct file *f, void __user *buf, uint64_t count, uint64_t *pos)
{
	uint64_t pids[CONSOLE_FG_MAX];
	unsigned n = console_foreground(pids);
	char text[CONSOLE_FG_MAX * 21 + 2];
	int len = 0;
	for (unsigned i = 0; i < n; i++)
		len += ksnprintf(text + len, sizeof(text) - len, "%s%lu", i ? " " : "", pids[i]);
	len += ksnprintf(text + len, sizeof(text) - len, "\n");
	return fs_read_text(text, (uint64_t)len, buf, count, pos);
}

static const struct file_ops console_fg_fops = { .read = console_fg_read, .write = console_fg_write };

/* ---- shmem: each open of /dev/shmem/new is a new shared-memory object (spec §8.4) ---- */

static int shmem_mmap(struct file *f, struct vm_mmap_request *req)
{
	struct vm_object *o = f->priv;
	uint64_t want = (req->length + PAGE_SIZE - 1) / PAGE_SIZE;
	if (vm_object_pages(o) == 0) {
		/* The first mapping fixes the size; it must start at offset 0. */
		if (req->offset != 0)
			return -EINVAL;
		int err = vm_object_set_size(o, want);
		if (err && err != -EEXIST)
			return err;
	}
	uint64_t size = vm_object_pages(o);
	if (req->offset % PAGE_SIZE || req->offset / PAGE_SIZE >= size)
		return -EINVAL;
	uint64_t first = req->offset / PAGE_SIZE;
	uint64_t n = want < size - first ? want : size - first; /* clamped to what remains */
	vm_object_get(o);
	req->backing = VM_SHARED;
	req->object = o;
	req->offset = first * PAGE_SIZE;
	req->length = n * PAGE_SIZE;
	return 0;
}

static void shmem_release(struct file *f)
{
	vm_object_put(f->priv);
}

static const struct file_ops shmem_fops = { .mmap = shmem_mmap, .release = shmem_release };

static int shmem_open(struct inode *ino, struct file *f)
{
	struct vm_object *o = vm_object_create();
	if (!o)
		return -ENOMEM;
	f->ops = &shmem_fops;
	f->priv = o;
	return 0;
}

static const struct inode_ops devfs_shmem_ops = { .open = shmem_open };

/* ---- perf/mem ---- */

/*
 * The kernel-wide counters a program can watch to see that what it gave
 * back really came back (thread churn, map/unmap loops): pages, heap bytes,
 * live threads and kernel stacks, one "name value" line each. The first three
 * lines are PatchworkOS's (src/kernel/drivers/perf.c), which its top reads
 * with fscanf. A snapshot: each line is read on its own, so they may be a
 * moment apart.
 */
static int64_t perf_mem_read(struct file *f, void __user *buf, uint64_t count, uint64_t *pos)
{
	char text[256];
	uint64_t total = pmm_total_pages_count(), free = pmm_free_pages_count();
	int n = ksnprintf(text, sizeof(text),
			  "total_pages %lu\nfree_pages %lu\nused_pages %lu\nheap_bytes %lu\nthreads %lu\n"
			  "kernel_stacks %lu\n",
			  total, free, total - free, kmalloc_bytes_in_use(), threads_live(), kstacks_live());
	return fs_read_text(text, (uint64_t)n, buf, count, pos);
}

static const struct file_ops perf_mem_fops = { .read = perf_mem_read };

/* ---- power: the machine's off and reset switches ---- */

/*
 * A write of "poweroff" or "reboot" (one trailing newline allowed) is the
 * command, the way /proc/<pid>/ctl takes "start"; anything else is EINVAL.
 * PatchworkOS has no such file, so the name and words are ours (README
 * "Power"). A successful command does not return; a failed power-off returns
 * ENODEV (no ACPI S5 on this machine) or EIO (the machine stayed on).
 */
static int64_t power_write(struct file *f, const void __user *buf, uint64_t count, uint64_t *pos)
{
	char cmd[16];
	if (count == 0 || count >= sizeof(cmd))
		return -EINVAL;
	int err = copy_from_user(cmd, buf, count);
	if (err)
		return err;
	if (cmd[count - 1] == '\n')
		count--;
	cmd[count] = '\0';
	if (strcmp(cmd, "reboot") == 0)
		power_reboot();
	if (strcmp(cmd, "poweroff") != 0)
		return -EINVAL;
	err = power_shutdown();
	return err;
}

/* What this machine can do, one word a line: "reboot" always, "poweroff" with ACPI S5. */
static int64_t power_read(struct file *f, void __user *buf, uint64_t count, uint64_t *pos)
{
	const char *text = power_shutdown_supported() ? "poweroff\nreboot\n" : "reboot\n";
	return fs_read_text(text, strlen(text), buf, count, pos);
}

static const struct file_ops power_fops = { .read = power_read, .write = power_write };

/* ---- the tree ---- */

static struct inode dev_root, dev_null, dev_zero, dev_one, dev_klog, dev_console, dev_console_fg, dev_pipe_dir,
	dev_pipe_new, dev_shmem_dir, dev_shmem_new, dev_perf_dir, dev_perf_mem, dev_power;
static struct inode *root_children[] = { &dev_null, &dev_zero, &dev_one, &dev_klog, &dev_console, &dev_console_fg,
					 &dev_pipe_dir, &dev_shmem_dir, &dev_perf_dir, &dev_power, NULL, NULL, NULL };
static struct inode *pipe_children[] = { &dev_pipe_new };
static struct inode *shmem_children[] = { &dev_shmem_new };
static struct inode *perf_children[] = { &dev_perf_mem, NULL };
static struct devfs_dir root_dir = { NULL, root_children, 10, NULL };
static struct devfs_dir perf_dir = { &dev_root, perf_children, 1, NULL };
static struct devfs_dir pipe_dir = { &dev_root, pipe_children, 1, NULL };
static struct devfs_dir shmem_dir = { &dev_root, shmem_children, 1, NULL };

struct inode *devfs_root(void)
{
	inode_init_static(&dev_root, &devfs_sb, INODE_DIR, &devfs_dir_ops, &devfs_dir_fops, "__root__");
	dev_root.priv = &root_dir;
	inode_init_static(&dev_null, &devfs_sb, INODE_FILE, &devfs_file_ops, &null_fops, "null");
	inode_init_static(&dev_zero, &devfs_sb, INODE_FILE, &devfs_file_ops, &zero_fops, "zero");
	inode_init_static(&dev_one, &devfs_sb, INODE_FILE, &devfs_file_ops, &one_fops, "one");
	inode_init_static(&dev_klog, &devfs_sb, INODE_FILE, &devfs_file_ops, &klog_fops, "klog");
	inode_init_static(&dev_pipe_dir, &devfs_sb, INODE_DIR, &devfs_dir_ops, &devfs_dir_fops, "pipe");
	dev_pipe_dir.priv = &pipe_dir;
	inode_init_static(&dev_pipe_new, &devfs_sb, INODE_FILE, &devfs_pipe_ops, NULL, "new");
	inode_init_static(&dev_console, &devfs_sb, INODE_FILE, &devfs_file_ops, &console_fops, "console");
	inode_init_static(&dev_console_fg, &devfs_sb, INODE_FILE, &devfs_file_ops, &console_fg_fops, "console_fg");
	inode_init_static(&dev_shmem_dir, &devfs_sb, INODE_DIR, &devfs_dir_ops, &devfs_dir_fops, "shmem");
	dev_shmem_dir.priv = &shmem_dir;
	inode_init_static(&dev_shmem_new, &devfs_sb, INODE_FILE, &devfs_shmem_ops, NULL, "new");
	inode_init_static(&dev_perf_dir, &devfs_sb, INODE_DIR, &devfs_dir_ops, &devfs_dir_fops, "perf");
	dev_perf_dir.priv = &perf_dir;
	inode_init_static(&dev_perf_mem, &devfs_sb, INODE_FILE, &devfs_file_ops, &perf_mem_fops, "mem");
	inode_init_static(&dev_power, &devfs_sb, INODE_FILE, &devfs_file_ops, &power_fops, "power");
	/* The device directories and perf/cpu fill the slots left free above. */
	struct devfs_devices dv = devfs_devices_init(&devfs_sb, &dev_root);
	root_children[root_dir.count++] = dv.kbd;
	root_children[root_dir.count++] = dv.mouse;
	root_children[root_dir.count++] = dv.fb;
	perf_children[perf_dir.count++] = dv.perf_cpu;
	return &dev_root;
}
