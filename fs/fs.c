// SPDX-License-Identifier: MIT
// Bring-up of the file layer and the per-process context hooks of fs/fs.h:
// the RAM root from the boot archive, /dev and /proc mounted in the kernel's
// namespace, and each process's descriptor table, cwd and namespace.
#include "fs/fs.h"

#include "fs/internal.h"
#include "fs/share.h"
#include "fs/path.h"
#include "kernel/boot.h"
#include "kernel/lib/string.h"
#include "kernel/log/log.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"
#include "kernel/sched/process.h"

/* Mount @root on the directory @name of the system root, in the kernel namespace. */
static void mount_on(const char *name, struct inode *root)
{
	struct inode *dir = fs_root_mount->root, *mp;
	if (dir->ops->lookup(dir, name, strlen(name), &mp) != 0 &&
	    dir->ops->create(dir, name, strlen(name), true, &mp) != 0)
		panic("fs: cannot make /%s", name);
	struct mount *m = mount_create(root, fs_root_mount, mp, PATH_FLAG_PERMS);
	if (!m || ns_add_mount(fs_kernel_ns, m))
		panic("fs: cannot mount /%s", name);
	mount_put(m);
	inode_put(mp);
}

/* The archive's pages were kept out of the allocator until now (kmain memory_init). */
static void release_archive(const void *archive, uint64_t size)
{
	uint64_t lo = virt_to_phys_direct(archive) & ~(PAGE_SIZE - 1);
	uint64_t hi = (virt_to_phys_direct(archive) + size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	uint64_t released = 0;
	for (uint64_t i = 0; i < boot_info->mem_map_count; i++) {
		const struct boot_mem_entry *e = &boot_mem_map[i];
		if (e->type != BOOT_MEM_LOADER_DATA)
			continue;
		uint64_t a = e->base > lo ? e->base : lo;
		uint64_t b = e->base + e->npages * PAGE_SIZE < hi ? e->base + e->npages * PAGE_SIZE : hi;
		if (a < b) {
			pmm_release_range(a, (b - a) / PAGE_SIZE);
			released += (b - a) / PAGE_SIZE;
		}
	}
	kprintf("fs: released %lu pages of the root archive\n", released);
}

static struct fs_context *context_alloc(void)
{
	struct fs_context *ctx = kzalloc(sizeof(*ctx));
	if (ctx)
		spin_init(&ctx->lock);
	return ctx;
}

void fs_init(const void *archive, uint64_t archive_size)
{
	struct inode *root = ramfs_create_root();
	if (!root)
		panic("fs: no memory for the root");
	if (archive && archive_size) {
		if (ramfs_unpack(root, archive, archive_size))
			kprintf("fs: the root archive could not be unpacked completely\n");
		release_archive(archive, archive_size);
	}
	fs_root_mount = mount_create(root, NULL, NULL, PATH_FLAG_PERMS);
	inode_put(root);
	fs_kernel_ns = fs_root_mount ? ns_create(NULL, fs_root_mount, false) : NULL;
	if (!fs_kernel_ns)
		panic("fs: no memory for the kernel namespace");
	mount_on("dev", devfs_root());
	mount_on("proc", procfs_root());
	mount_on("net", net_root());

	/* Kernel threads resolve paths too (tests, init set-up): give pid 0 a context. */
	struct fs_context *ctx = context_alloc();
	if (!ctx)
		panic("fs: no memory");
	ns_get(fs_kernel_ns);
	ctx->ns = fs_kernel_ns;
	kernel_process.fs = ctx;
	share_init();

}

int fs_process_init(struct process *child, struct process *parent, uint32_t spawn_flags)
{
	struct fs_context *ctx = context_alloc();
	if (!ctx)
		return -ENOMEM;
	struct fs_context *pctx = parent ? parent->fs : NULL;
	struct namespace *pns = NULL;
	struct vfs_loc cwd = { NULL, NULL };

	if (pctx) {
		irqflags_t f = spin_lock_irqsave(&pctx->lock);
		if (pctx->dead || !pctx->ns) {
			/*
			 * The parent is terminating: its descriptors and namespace are
			 * gone. The child must not get someone else's (falling back to
			 * the kernel's namespace would let it escape the parent's
			 * bindings), so the spawn fails. EINTR: the calling thread has
			 * been sent the kill note and spec §7 number 0 says its calls end
			 * with EINTR, never observed; the unborn child's status (spec §7
			 * number 2 step 3) then reads 4, the truth about what stopped it.
			 */
			spin_unlock_irqrestore(&pctx->lock, f);
			kfree(ctx);
			return -EINTR;
		}
		unsigned n = (spawn_flags & SPAWN_EMPTY_FDS) ? 0 : (spawn_flags & SPAWN_STDIO_FDS) ? 3 : CONFIG_MAX_FD;
		for (unsigned i = 0; i < n; i++) {
			if (pctx->fds[i]) {
				file_get(pctx->fds[i]);
				ctx->fds[i] = pctx->fds[i];
				ctx->used |= 1ULL << i;
			}
		}
		pns = pctx->ns;
		ns_get(pns);
		if (!(spawn_flags & SPAWN_EMPTY_CWD) && pctx->cwd.mnt) {
			cwd = pctx->cwd;
			loc_get(cwd);
		}
		spin_unlock_irqrestore(&pctx->lock, f);
	}
	if (!pctx) {
		/* The first process: a namespace that is a child of the kernel's (spec §10.7). */
		ns_get(fs_kernel_ns);
		pns = fs_kernel_ns;
	}
	/*
	 * OUR CHOICE for SPAWN_EMPTY_NS (spec §7 number 2): the system root and
	 * no other mounts; the child is still linked to the parent namespace.
	 */
	if (spawn_flags & SPAWN_EMPTY_NS)
		ctx->ns = ns_create(pns, fs_root_mount, false);
	else
		ctx->ns = ns_create(pns, pns->root, true);
	ns_put(pns);
	ctx->cwd = cwd;
	child->fs = ctx;
	if (!ctx->ns || (!(spawn_flags & SPAWN_EMPTY_ENV) && env_copy(child, parent))) {
		fs_process_exit(child);
		return -ENOMEM;
	}
	return 0;
}

void fs_process_exit(struct process *p)
{
	struct fs_context *ctx = p->fs;
	if (!ctx)
		return;
	struct file *files[CONFIG_MAX_FD];
	irqflags_t f = spin_lock_irqsave(&ctx->lock);
	ctx->dead = true;
	memcpy(files, ctx->fds, sizeof(files));
	memset(ctx->fds, 0, sizeof(ctx->fds));
	ctx->used = 0;
	struct vfs_loc cwd = ctx->cwd;
	struct namespace *ns = ctx->ns;
	ctx->cwd = (struct vfs_loc){ NULL, NULL };
	ctx->ns = NULL;
	spin_unlock_irqrestore(&ctx->lock, f);
	/* Release outside the lock: pipe ends wake their peers, which may run at once. */
	for (unsigned i = 0; i < CONFIG_MAX_FD; i++)
		file_put(files[i]);
	if (cwd.mnt)
		loc_put(cwd);
	/*
	 * After the files, so that its own descriptors no longer keep them: the
	 * namespace's end ends the local sockets tied to it that no namespace
	 * copied from it still sees (fs/lineage.c).
	 */
	ns_put(ns);
}

void fs_process_free(struct process *p)
{
	env_free(p);
	if (p->fs) {
		fs_process_exit(p);
		kfree(p->fs);
		p->fs = NULL;
	}
}

int fs_open_path(struct process *p, const struct vfs_loc *from, const char *path, struct file **out)
{
	struct path_parsed parsed;
	struct vfs_lookup lk;
	int err = path_parse(path, &parsed);
	if (err)
		return err;
	err = vfs_lookup_init(&lk, p, from);
	if (err)
		return err;
	err = vfs_open(&lk, parsed.pathname, parsed.flags, out);
	vfs_lookup_done(&lk);
	return err;
}

int fs_map_executable(struct process *p, const char *path, uint64_t *size, uint64_t **frames)
{
	struct file *f;
	int err = fs_open_path(p, NULL, path, &f);
	if (err)
		return err;
	err = ramfs_map_pages(f->inode, size, frames);
	file_put(f);
	/* Not a file whose pages can be mapped, or out of memory (spec §7 number 2 step 11). */
	return err ? -ESPAWNFAIL : 0;
}

int fs_open_stdio(struct process *p, const char *path)
{
	struct file *f;
	int err = fs_open_path(p, NULL, path, &f);
	if (err)
		return err;
	for (int i = 0; i < 3 && !err; i++) {
		file_get(f);
		int64_t fd = fd_install(p, f);
		if (fd < 0) {
			file_put(f);
			err = (int)fd;
		}
	}
	file_put(f);
	return err;
}
