// SPDX-License-Identifier: MIT
// File-system system calls (spec §7 numbers 9-18, 22, 25, 26, 28-33).
// Each handler validates and copies in every argument in the order of its
// §7 entry before changing any state, then calls into fs/.
#include "fs/internal.h"
#include "fs/path.h"
#include "fs/share.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/uaccess.h"
#include "kernel/sched/process.h"
#include "kernel/sched/sched.h"
#include "kernel/syscall/syscall.h"
#include "kernel/time/time.h"

/* Copy and parse a user path: EINVAL (NULL), EFAULT, ENAMETOOLONG, then the §5.1 parse errors. */
static int path_from_user(const char __user *upath, struct path_parsed *out)
{
	char buf[MAX_PATH];
	int64_t n = strncpy_from_user(buf, upath, MAX_PATH);
	if (n < 0)
		return (int)n;
	return path_parse(buf, out);
}

/* Open @upath from @from (NULL: the cwd) and install it. */
static int64_t do_open(const struct vfs_loc *from, const char __user *upath)
{
	char buf[MAX_PATH];
	struct file *f;
	int64_t n = strncpy_from_user(buf, upath, MAX_PATH);
	if (n < 0)
		return n;
	struct process *p = current_process();
	int err = fs_open_path(p, from, buf, &f);
	if (err)
		return err;
	int64_t fd = fd_install(p, f); /* last step that can fail: a created file stays */
	if (fd < 0)
		file_put(f);
	return fd;
}

SYSCALL_DEFINE(SYS_OPEN, uint64_t, const char __user *, path)
{
	return do_open(NULL, path);
}

SYSCALL_DEFINE(SYS_OPENAT, uint64_t, uint64_t, from, const char __user *, path)
{
	if (from == FD_NONE)
		return do_open(NULL, path);
	/* The descriptor is checked before the path is read (spec §7 number 33). */
	struct file *f = fd_get(current_process(), from);
	if (!f)
		return -EBADF;
	struct vfs_loc loc = { f->mount, f->inode };
	int64_t r = do_open(&loc, path);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(SYS_OPEN2, uint64_t, const char __user *, path, uint64_t __user *, ufds)
{
	if (!ufds)
		return -EINVAL;
	/* OUR CHOICE (spec §11 row 15): the output is checked before anything is opened. */
	if (user_buffer_check(ufds, 2 * sizeof(uint64_t), true))
		return -EFAULT;
	struct path_parsed parsed;
	struct vfs_lookup lk;
	struct file *f[2];
	int err = path_from_user(path, &parsed);
	if (err)
		return err;
	struct process *p = current_process();
	err = vfs_lookup_init(&lk, p, NULL);
	if (err)
		return err;
	err = vfs_open2(&lk, parsed.pathname, parsed.flags, f);
	vfs_lookup_done(&lk);
	if (err)
		return err;
	uint64_t fds[2];
	err = fd_install2(p, f, fds);
	if (err) {
		file_put(f[0]);
		file_put(f[1]);
		return err;
	}
	err = copy_to_user(ufds, fds, sizeof(fds));
	if (err) {
		/* Another thread unmapped the buffer since the check: undo. */
		fd_close(p, fds[0]);
		fd_close(p, fds[1]);
		return err;
	}
	return 0;
}

SYSCALL_DEFINE(SYS_CLOSE, uint64_t, uint64_t, fd)
{
	return fd_close(current_process(), fd);
}

/* Files with a position (those that can seek) serialise position updates; streams may block. */
static bool positioned(struct file *f)
{
	return f->ops && f->ops->seek;
}

SYSCALL_DEFINE(SYS_READ, uint64_t, uint64_t, fd, void __user *, buf, uint64_t, count)
{
	struct file *f = fd_get(current_process(), fd);
	if (!f)
		return -EBADF;
	int64_t r = user_buffer_check(buf, count, true);
	if (r)
		goto out;
	if (f->is_dir)
		r = -EISDIR;
	else if (!f->ops || !f->ops->read)
		r = -ENOSYS;
	else if ((f->flags & PATH_FLAG_APPEND) || !(f->flags & PATH_FLAG_READ))
		r = -EBADF; /* PW: append files are unreadable (kept) */
	else if (count == 0)
		r = 0;
	else if (positioned(f)) {
		mutex_lock(&f->pos_lock);
		r = f->ops->read(f, buf, count, &f->pos);
		mutex_unlock(&f->pos_lock);
	} else {
		r = f->ops->read(f, buf, count, &f->pos);
	}
out:
	file_put(f);
	return r;
}

SYSCALL_DEFINE(SYS_WRITE, uint64_t, uint64_t, fd, const void __user *, buf, uint64_t, count)
{
	struct file *f = fd_get(current_process(), fd);
	if (!f)
		return -EBADF;
	int64_t r = user_buffer_check(buf, count, false);
	if (r)
		goto out;
	if (f->is_dir)
		r = -EISDIR;
	else if (!f->ops || !f->ops->write)
		r = -ENOSYS;
	else if (!(f->flags & PATH_FLAG_WRITE))
		r = -EBADF; /* checked before an append moves the position (OUR CHOICE) */
	else if (count == 0 && !buf)
		r = 0; /* OUR CHOICE: NULL with count 0 is accepted; devices see other empty writes (ctl: EINVAL) */
	else if (positioned(f)) {
		mutex_lock(&f->pos_lock);
		r = f->ops->write(f, buf, count, &f->pos);
		mutex_unlock(&f->pos_lock);
	} else {
		r = f->ops->write(f, buf, count, &f->pos);
	}
out:
	file_put(f);
	return r;
}

SYSCALL_DEFINE(SYS_SEEK, uint64_t, uint64_t, fd, int64_t, offset, uint8_t, origin)
{
	struct file *f = fd_get(current_process(), fd);
	if (!f)
		return -EBADF;
	int64_t r;
	if (!positioned(f))
		r = -ESPIPE;
	else if (origin > SEEK_END)
		r = -EINVAL;
	else {
		mutex_lock(&f->pos_lock);
		r = f->ops->seek(f, offset, origin, &f->pos);
		mutex_unlock(&f->pos_lock);
	}
	file_put(f);
	return r;
}

SYSCALL_DEFINE(SYS_IOCTL, uint64_t, uint64_t, fd, uint64_t, request, void __user *, argp, uint64_t, size)
{
	struct file *f = fd_get(current_process(), fd);
	if (!f)
		return -EBADF;
	int64_t r = user_buffer_check(argp, size, true);
	if (!r) {
		if (f->is_dir)
			r = -EISDIR;
		else if (!f->ops || !f->ops->ioctl)
			r = -ENOTTY;
		else
			r = f->ops->ioctl(f, request, argp, size);
	}
	file_put(f);
	return r;
}

SYSCALL_DEFINE(SYS_CHDIR, uint64_t, const char __user *, path)
{
	struct path_parsed parsed;
	int err = path_from_user(path, &parsed);
	if (err)
		return err;
	return vfs_chdir(current_process(), parsed.pathname); /* flags parsed and ignored */
}

SYSCALL_DEFINE(SYS_POLL, uint64_t, struct abi_pollfd __user *, ufds, uint64_t, amount, uint64_t, timeout)
{
	/* OUR CHOICE (spec §11 row 22): 1..64 entries. */
	if (amount == 0 || amount > POLL_MAX)
		return -EINVAL;
	if (user_buffer_check(ufds, amount * sizeof(struct abi_pollfd), true))
		return -EFAULT;
	uint64_t deadline = time_deadline(time_now_ns(), timeout);
	struct abi_pollfd fds[POLL_MAX];
	struct file *files[POLL_MAX];
	if (copy_from_user(fds, ufds, amount * sizeof(fds[0])))
		return -EFAULT;
	uint64_t got = 0;
	int64_t r = 0;
	for (; got < amount; got++) {
		files[got] = fd_get(current_process(), fds[got].fd);
		if (!files[got]) {
			/* PW: the call fails and only this entry says POLLNVAL (kept). */
			uint32_t nval = POLLNVAL;
			(void)copy_to_user(&ufds[got].revents, &nval, sizeof(nval)); /* best effort: EBADF either way */
			r = -EBADF;
			break;
		}
		if (files[got]->is_dir || !files[got]->ops || !files[got]->ops->poll) {
			r = files[got]->is_dir ? -EISDIR : -ENOSYS;
			got++;
			break;
		}
	}
	if (!r)
		r = vfs_poll(files, fds, amount, timeout == 0 ? 0 : deadline);
	for (uint64_t i = 0; i < got; i++)
		file_put(files[i]);
	if (r < 0)
		return r;
	for (uint64_t i = 0; i < amount; i++)
		if (copy_to_user(&ufds[i].revents, &fds[i].revents, sizeof(fds[i].revents)))
			return -EFAULT;
	return r;
}

SYSCALL_DEFINE(SYS_BIND, uint64_t, uint64_t, source, const char __user *, umountpoint, uint32_t, flags)
{
	if (!umountpoint)
		return -EINVAL;
	if (flags & ~(uint32_t)MOUNT_ALL_FLAGS)
		return -EINVAL;
	struct path_parsed parsed;
	int err = path_from_user(umountpoint, &parsed); /* flags are parsed and ignored (spec §5.4) */
	if (err)
		return err;
	struct file *src = fd_get(current_process(), source);
	if (!src)
		return -EBADF;
	err = vfs_bind(current_process(), src, parsed.pathname, flags);
	file_put(src);
	return err;
}

SYSCALL_DEFINE(SYS_SHARE, uint64_t, struct abi_key __user *, key_out, fd_t, fd, uint64_t, timeout)
{
	if (user_range_check(key_out, sizeof(struct abi_key)) || !key_out)
		return -EFAULT;
	struct process *p = current_process();
	struct file *file = fd_get(p, fd);
	if (!file)
		return -EBADF;
	struct abi_key key;
	int err = share_create(p, file, timeout, &key);
	if (err)
		return err;
	if (copy_to_user(key_out, &key, sizeof(key))) {
		/* OUR CHOICE: a key that could not be handed out is withdrawn (unless a guesser claimed it). */
		share_withdraw(&key);
		return -EFAULT;
	}
	return 0;
}

SYSCALL_DEFINE(SYS_CLAIM, uint64_t, const struct abi_key __user *, key)
{
	struct abi_key k;
	if (!key || copy_from_user(&k, key, sizeof(k)))
		return -EFAULT;
	return share_claim(current_process(), &k);
}

SYSCALL_DEFINE(SYS_STAT, uint64_t, const char __user *, path, struct abi_stat __user *, out)
{
	struct path_parsed parsed;
	int err = path_from_user(path, &parsed);
	if (err)
		return err;
	err = user_buffer_check(out, sizeof(struct abi_stat), true);
	if (err)
		return err;
	if (parsed.flags)
		return -EBADFLAG;
	struct vfs_lookup lk;
	struct abi_stat st;
	err = vfs_lookup_init(&lk, current_process(), NULL);
	if (err)
		return err;
	err = vfs_stat(&lk, parsed.pathname, &st);
	vfs_lookup_done(&lk);
	if (err)
		return err;
	return copy_to_user(out, &st, sizeof(st));
}

SYSCALL_DEFINE(SYS_GETDENTS, uint64_t, uint64_t, fd, struct abi_dirent __user *, buf, uint64_t, count)
{
	struct file *f = fd_get(current_process(), fd);
	if (!f)
		return -EBADF;
	int64_t r = user_buffer_check(buf, count, true);
	if (!r)
		r = vfs_getdents(f, buf, count);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(SYS_DUP, uint64_t, uint64_t, old)
{
	return fd_dup(current_process(), old);
}

SYSCALL_DEFINE(SYS_DUP2, uint64_t, uint64_t, old, uint64_t, new)
{
	return fd_dup2(current_process(), old, new);
}

SYSCALL_DEFINE(SYS_REMOVE, uint64_t, const char __user *, path)
{
	struct path_parsed parsed;
	struct vfs_lookup lk;
	int err = path_from_user(path, &parsed);
	if (err)
		return err;
	err = vfs_lookup_init(&lk, current_process(), NULL);
	if (err)
		return err;
	err = vfs_remove(&lk, parsed.pathname, parsed.flags);
	vfs_lookup_done(&lk);
	return err;
}

SYSCALL_DEFINE(SYS_LINK, uint64_t, const char __user *, old, const char __user *, new)
{
	struct path_parsed a, b;
	struct vfs_lookup lk;
	int err = path_from_user(old, &a);
	if (err)
		return err;
	err = path_from_user(new, &b);
	if (err)
		return err;
	if (a.flags || b.flags)
		return -EBADFLAG;
	err = vfs_lookup_init(&lk, current_process(), NULL);
	if (err)
		return err;
	err = vfs_link(&lk, a.pathname, b.pathname);
	vfs_lookup_done(&lk);
	return err;
}
