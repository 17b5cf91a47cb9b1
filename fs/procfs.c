// SPDX-License-Identifier: MIT
// /proc (spec §8.5): a directory per process in the process table (live, or
// ended and not yet reaped), /proc/self, and the files wait, cmdline, cwd,
// prio, perf, ctl, note and env/ (fs/env.c). Inodes are made on lookup and hold a process
// reference, so an open file stays usable after the process is reaped.
#include "fs/internal.h"

#include "fs/path.h"
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/vmm.h"
#include "kernel/sched/process.h"
#include "kernel/sched/sched.h"

static struct superblock procfs_sb = { .name = "procfs" };
static struct inode proc_root;
static const struct inode_ops proc_root_ops, proc_pid_ops, proc_file_ops;
static const struct file_ops proc_dir_fops;

static struct process *proc_of(struct file *f)
{
	return ((struct inode *)f->inode)->priv;
}

/* pid 0 is the kernel: its files refuse everything (spec §8.5). */
static bool is_kernel(struct process *p)
{
	return p == &kernel_process;
}

/* ---- wait ---- */

static int64_t wait_read(struct file *f, void __user *buf, uint64_t count, uint64_t *pos)
{
	struct process *p = proc_of(f);
	if (is_kernel(p))
		return -EACCES;
	if (!__atomic_load_n(&p->terminating, __ATOMIC_ACQUIRE)) {
		if (f->flags & PATH_FLAG_NONBLOCK)
			return -EAGAIN;
		/* OUR CHOICE (spec §11 row 39): an interrupted wait fails with EINTR. */
		int err = WAIT_EVENT(&p->exit_wq, __atomic_load_n(&p->terminating, __ATOMIC_ACQUIRE), UINT64_MAX);
		if (err)
			return err;
	}
	char text[24];
	int n = ksnprintf(text, sizeof(text), "%ld", p->exit_status);
	return fs_read_text(text, (uint64_t)n, buf, count, pos);
}

static uint32_t wait_poll(struct file *f, struct poll_table *pt)
{
	struct process *p = proc_of(f);
	if (is_kernel(p))
		return 0;
	poll_wait(pt, &p->exit_wq);
	return __atomic_load_n(&p->terminating, __ATOMIC_ACQUIRE) ? POLLIN : 0;
}

/* ---- cmdline ---- */

static int64_t cmdline_read(struct file *f, void __user *buf, uint64_t count, uint64_t *pos)
{
	struct process *p = proc_of(f);
	if (is_kernel(p))
		return -EACCES;
	return fs_read_text(p->cmdline ? p->cmdline : "", p->cmdline_len, buf, count, pos);
}

/* ---- cwd ---- */

static int64_t cwd_read(struct file *f, void __user *buf, uint64_t count, uint64_t *pos)
{
	struct process *p = proc_of(f);
	struct fs_context *ctx = p->fs;
	if (is_kernel(p))
		return -EACCES;
	if (!ctx)
		return 0;
	irqflags_t fl = spin_lock_irqsave(&ctx->lock);
	struct namespace *ns = ctx->ns;
	struct vfs_loc cwd = ctx->cwd;
	if (ns)
		ns_get(ns);
	if (cwd.mnt)
		loc_get(cwd);
	spin_unlock_irqrestore(&ctx->lock, fl);
	if (!ns)
		return 0; /* ended: no working directory any more */
	if (!cwd.mnt) {
		cwd = (struct vfs_loc){ ns->root, ns->root->root };
		loc_get(cwd);
	}
	char text[MAX_PATH];
	int n = vfs_path_of(ns, cwd, text, sizeof(text));
	loc_put(cwd);
	ns_put(ns);
	if (n < 0)
		return n;
	return fs_read_text(text, (uint64_t)n, buf, count, pos);
}

static int64_t cwd_write(struct file *f, const void __user *buf, uint64_t count, uint64_t *pos)
{
	struct process *p = proc_of(f);
	if (is_kernel(p))
		return -EACCES;
	if (count >= MAX_PATH)
		return -ENAMETOOLONG;
	char text[MAX_PATH];
	int err = copy_from_user(text, buf, count);
	if (err)
		return err;
	text[count] = '\0';
	struct path_parsed parsed;
	err = path_parse(text, &parsed);
	if (!err)
		err = vfs_chdir(p, parsed.pathname); /* flags allowed and ignored */
	return err ? err : (int64_t)count;
}

/* ---- prio ---- */

static int64_t prio_read(struct file *f, void __user *buf, uint64_t count, uint64_t *pos)
{
	struct process *p = proc_of(f);
	if (is_kernel(p))
		return -EACCES;
	char text[8];
	int n = ksnprintf(text, sizeof(text), "%u", (unsigned)process_priority(p));
	return fs_read_text(text, (uint64_t)n, buf, count, pos);
}

static int64_t prio_write(struct file *f, const void __user *buf, uint64_t count, uint64_t *pos)
{
	struct process *p = proc_of(f);
	if (is_kernel(p))
		return -EACCES;
	if (count >= 32 || count == 0)
		return -EINVAL;
	char text[32];
	int err = copy_from_user(text, buf, count);
	if (err)
		return err;
	uint64_t value = 0;
	uint64_t i = 0;
	for (; i < count && text[i] >= '0' && text[i] <= '9'; i++)
		value = value * 10 + (uint64_t)(text[i] - '0');
	/* Allow trailing white space (echo adds a newline); a sign or anything else is invalid. */
	for (uint64_t j = i; j < count; j++)
		if (text[j] != '\n' && text[j] != ' ')
			return -EINVAL;
	if (i == 0)
		return -EINVAL;
	if (value > PRIORITY_MAX_USER)
		return -EACCES;
	process_set_priority(p, (uint8_t)value);
	return (int64_t)count;
}

/* ---- ctl: close, dup2, start, kill (spec §8.5) ---- */

#define CTL_MAX 256
#define CTL_WORDS FS_CTL_WORDS

/*
 * Split @text into words at white space; double quotes group, a backslash
 * takes the next character literally. Words are written NUL-terminated into
 * @store. A bare "&&" word ends a command. Returns the number of words of
 * the command starting at *@at (only the first CTL_WORDS are stored) and
 * advances *@at past it and its "&&".
 */
int fs_ctl_next_command(const char *text, uint64_t len, uint64_t *at, char *store, char **words)
{
	int n = 0;
	uint64_t i = *at, out = 0;
	for (;;) {
		while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
			i++;
		if (i >= len)
			break;
		char *word = store + out;
		bool quoted = false, any = false;
		while (i < len) {
			char c = text[i];
			if (!quoted && (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
				break;
			i++;
			any = true;
			if (c == '"') {
				quoted = !quoted;
				continue;
			}
			if (c == '\\' && i < len)
				c = text[i++];
			store[out++] = c;
		}
		store[out++] = '\0';
		if (!any)
			break;
		if (word[0] == '&' && word[1] == '&' && word[2] == '\0') {
			*at = i;
			return n;
		}
		if (n < CTL_WORDS)
			words[n] = word;
		n++;
	}
	*at = len;
	return n;
}

/* Decimal (optionally negative) into *out; false when not a number. */
bool fs_ctl_number(const char *w, int64_t *out)
{
	bool neg = *w == '-';
	if (neg)
		w++;
	if (!*w)
		return false;
	int64_t v = 0;
	for (; *w; w++) {
		if (*w < '0' || *w > '9' || v > (INT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (*w - '0');
	}
	*out = neg ? -v : v;
	return true;
}

/* Run one command of @n words (n == 0: only classify words[0]: -ENOENT if unknown). */
static int ctl_run(struct process *p, int n, char **w)
{
	if (strcmp(w[0], "close") == 0) {
		int64_t a, b;
		if (n != 2 && n != 3)
			return -EUNKNOWNCTL;
		if (!fs_ctl_number(w[1], &a) || (n == 3 && !fs_ctl_number(w[2], &b)))
			return -EINVAL;
		if (is_kernel(p))
			return -EACCES;
		if (n == 2)
			return a < 0 ? -EBADF : fd_close(p, (uint64_t)a);
		if (b == -1 || b > CONFIG_MAX_FD)
			b = CONFIG_MAX_FD;
		for (int64_t fd = a < 0 ? 0 : a; fd < b; fd++)
			fd_close(p, (uint64_t)fd); /* empty slots are skipped */
		return 0;
	}
	if (strcmp(w[0], "dup2") == 0) {
		int64_t a, b;
		if (n != 3)
			return -EUNKNOWNCTL;
		if (!fs_ctl_number(w[1], &a) || !fs_ctl_number(w[2], &b))
			return -EINVAL;
		if (is_kernel(p))
			return -EACCES;
		if (a < 0 || b < 0)
			return -EBADF;
		int64_t r = fd_dup2(p, (uint64_t)a, (uint64_t)b);
		return r < 0 ? (int)r : 0;
	}
	if (strcmp(w[0], "start") == 0) {
		if (n != 1)
			return -EUNKNOWNCTL;
		if (is_kernel(p))
			return -EACCES;
		process_resume(p);
		return 0;
	}
	if (strcmp(w[0], "kill") == 0) {
		if (n != 1)
			return -EUNKNOWNCTL;
		if (is_kernel(p))
			return -EACCES;
		process_terminate(p, 0);
		return 0;
	}
	return -ENOENT;
}

int64_t fs_ctl_write(const void __user *buf, uint64_t count, int (*run)(void *ctx, int n, char **words), void *ctx)
{
	if (count == 0)
		return -EINVAL;
	if (count > CTL_MAX)
		return -E2BIG;
	char text[CTL_MAX], store[2 * CTL_MAX + 2];
	int err = copy_from_user(text, buf, count);
	if (err)
		return err;
	uint64_t at = 0;
	bool any = false;
	while (at < count) {
		char *words[CTL_WORDS];
		int n = fs_ctl_next_command(text, count, &at, store, words);
		if (n == 0) {
			if (at >= count && any)
				break; /* trailing white space */
			return -EUNKNOWNCTL;
		}
		any = true;
		/* Too many words: wrong argument count for a known command, else unknown. */
		err = n > CTL_WORDS ? (run(ctx, 0, words) == -ENOENT ? -ENOENT : -EUNKNOWNCTL) : run(ctx, n, words);
		if (err)
			return err; /* commands before it stay done */
	}
	if (!any)
		return -EUNKNOWNCTL;
	return (int64_t)count;
}

static int ctl_run_process(void *p, int n, char **words)
{
	return ctl_run(p, n, words);
}

static int64_t ctl_write(struct file *f, const void __user *buf, uint64_t count, uint64_t *pos)
{
	return fs_ctl_write(buf, count, ctl_run_process, proc_of(f));
}

/* ---- note: a message to the process's first thread (spec §8.5, §9.5) ---- */

static int64_t note_write(struct file *f, const void __user *buf, uint64_t count, uint64_t *pos)
{
	struct process *p = proc_of(f);
	if (is_kernel(p))
		return -EACCES;
	if (count == 0)
		return 0;
	if (count >= NOTE_MAX_BUFFER)
		return -EINVAL;
	char text[NOTE_MAX_BUFFER];
	int err = copy_from_user(text, buf, count);
	if (err)
		return err;
	struct thread *t = process_first_thread(p);
	if (!t)
		return (int64_t)count; /* no thread left to tell */
	err = thread_send_note(t, text, count);
	thread_put(t);
	return err ? err : (int64_t)count;
}

/* ---- perf ---- */

static int64_t perf_read(struct file *f, void __user *buf, uint64_t count, uint64_t *pos)
{
	struct process *p = proc_of(f);
	if (is_kernel(p))
		return -EACCES;
	struct process_stats st;
	process_stats(p, &st);
	char text[200];
	int n = ksnprintf(text, sizeof(text),
			  "user_clocks %lu\nkernel_clocks %lu\nstart_clocks %lu\nuser_pages %lu\nthread_count %lu",
			  st.user_ns, st.kernel_ns, st.start_ns, st.user_pages, st.threads);
	return fs_read_text(text, (uint64_t)n, buf, count, pos);
}

static const struct file_ops wait_fops = { .read = wait_read, .poll = wait_poll };
static const struct file_ops cmdline_fops = { .read = cmdline_read };
static const struct file_ops cwd_fops = { .read = cwd_read, .write = cwd_write };
static const struct file_ops prio_fops = { .read = prio_read, .write = prio_write };
static const struct file_ops perf_fops = { .read = perf_read };
static const struct file_ops ctl_fops = { .write = ctl_write };
static const struct file_ops note_fops = { .write = note_write };

/* The files of a process directory, in listing order. */
static const struct {
	const char *name;
	const struct file_ops *fops;
} proc_files[] = {
	{ "cmdline", &cmdline_fops }, { "ctl", &ctl_fops },   { "cwd", &cwd_fops }, { "note", &note_fops },
	{ "perf", &perf_fops },       { "prio", &prio_fops }, { "wait", &wait_fops },
};
#define PROC_NFILES (sizeof(proc_files) / sizeof(proc_files[0]))

static void proc_evict(struct inode *ino)
{
	process_put(ino->priv);
}

static struct inode *pid_dir_inode(struct process *p)
{
	char name[24];
	int n = ksnprintf(name, sizeof(name), "%lu", p->pid);
	struct inode *ino = inode_alloc(&procfs_sb, INODE_DIR, &proc_pid_ops, &proc_dir_fops, name, (size_t)n);
	if (!ino)
		return NULL;
	process_ref(p);
	ino->priv = p;
	return ino;
}

static int root_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	struct process *p;
	if (len == 4 && memcmp(name, "self", 4) == 0) {
		/* Each process sees its own directory here (spec §8.5). */
		p = current_process();
		process_ref(p);
	} else {
		uint64_t pid = 0;
		for (size_t i = 0; i < len; i++) {
			if (name[i] < '0' || name[i] > '9' || pid > UINT64_MAX / 10 - 1)
				return -ENOENT;
			pid = pid * 10 + (uint64_t)(name[i] - '0');
		}
		if (len == 0 || (len > 1 && name[0] == '0'))
			return -ENOENT;
		p = process_get(pid);
		if (!p)
			return -ENOENT;
	}
	*out = pid_dir_inode(p);
	process_put(p);
	return *out ? 0 : -ENOMEM;
}

struct root_walk {
	readdir_emit_t emit;
	void *ctx;
};

static int root_emit_one(struct process *p, void *arg)
{
	struct root_walk *w = arg;
	struct inode *ino = pid_dir_inode(p);
	if (!ino)
		return -ENOMEM;
	int r = w->emit(w->ctx, ino->name, ino);
	inode_put(ino);
	return r;
}

static int root_readdir(struct inode *dir, readdir_emit_t emit, void *ctx)
{
	struct inode *self;
	if (root_lookup(dir, "self", 4, &self) == 0) {
		int r = emit(ctx, "self", self);
		inode_put(self);
		if (r)
			return r;
	}
	struct root_walk w = { emit, ctx };
	return process_for_each(root_emit_one, &w);
}

struct inode *procfs_pid_dir(struct process *p)
{
	return pid_dir_inode(p);
}

static int pid_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	struct process *p = dir->priv;
	if (len == 3 && memcmp(name, "env", 3) == 0 && !is_kernel(p)) {
		*out = env_dir_inode(p);
		return *out ? 0 : -ENOMEM;
	}
	for (unsigned i = 0; i < PROC_NFILES; i++) {
		if (strlen(proc_files[i].name) != len || memcmp(proc_files[i].name, name, len) != 0)
			continue;
		struct inode *ino = inode_alloc(&procfs_sb, INODE_FILE, &proc_file_ops, proc_files[i].fops, name, len);
		if (!ino)
			return -ENOMEM;
		process_ref(p);
		ino->priv = p;
		*out = ino;
		return 0;
	}
	return -ENOENT;
}

static int pid_readdir(struct inode *dir, readdir_emit_t emit, void *ctx)
{
	if (!is_kernel(dir->priv)) {
		struct inode *env = env_dir_inode(dir->priv);
		if (!env)
			return -ENOMEM;
		int r = emit(ctx, "env", env);
		inode_put(env);
		if (r)
			return r;
	}
	for (unsigned i = 0; i < PROC_NFILES; i++) {
		struct inode *ino;
		int r = pid_lookup(dir, proc_files[i].name, strlen(proc_files[i].name), &ino);
		if (r)
			return r;
		r = emit(ctx, proc_files[i].name, ino);
		inode_put(ino);
		if (r)
			return r;
	}
	return 0;
}

static int pid_parent(struct inode *dir, struct inode **out)
{
	*out = &proc_root;
	return 0;
}

static const struct inode_ops proc_root_ops = { .lookup = root_lookup, .readdir = root_readdir };
static const struct inode_ops proc_pid_ops = {
	.lookup = pid_lookup, .readdir = pid_readdir, .parent = pid_parent, .evict = proc_evict,
};
static const struct inode_ops proc_file_ops = { .evict = proc_evict };
static const struct file_ops proc_dir_fops = { .seek = fs_dir_seek };

struct inode *procfs_root(void)
{
	inode_init_static(&proc_root, &procfs_sb, INODE_DIR, &proc_root_ops, &proc_dir_fops, "__root__");
	return &proc_root;
}
