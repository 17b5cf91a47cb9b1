// SPDX-License-Identifier: MIT
// Until fs/ provides the file-system context, processes have none and
// programs are read straight from the boot archive. fs/ overrides every one
// of these weak definitions.
#include "fs/archive.h"
#include "fs/file.h"
#include "fs/fs.h"
#include "kernel/abi/errno.h"
#include "kernel/boot.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kmalloc.h"

__attribute__((weak)) int fs_process_init(struct process *child, struct process *parent, uint32_t flags)
{
	return 0;
}

__attribute__((weak)) void fs_process_exit(struct process *p)
{
}

__attribute__((weak)) void fs_process_free(struct process *p)
{
}

__attribute__((weak)) uint64_t fs_open_files_live(void)
{
	return 0;
}

__attribute__((weak)) int fs_read_executable(struct process *p, const char *path, void **data, uint64_t *size)
{
	const void *archive = phys_to_virt(boot_info->archive);
	size_t off = 0;
	struct cpio_entry e;
	const char *why;
	while (*path == '/')
		path++;
	while (cpio_next(archive, boot_info->archive_size, &off, &e, &why) == 1) {
		if (e.name_len == strlen(path) && memcmp(e.name, path, e.name_len) == 0 &&
		    (e.mode & CPIO_MODE_TYPE) == CPIO_MODE_REG) {
			*data = kmalloc(e.size ? e.size : 1);
			if (!*data)
				return -ENOMEM;
			memcpy(*data, e.data, e.size);
			*size = e.size;
			return 0;
		}
	}
	return -ENOENT;
}

__attribute__((weak)) struct file *fd_get(struct process *p, uint64_t fd)
{
	return NULL;
}

__attribute__((weak)) void file_put(struct file *f)
{
}

__attribute__((weak)) int64_t fd_install(struct process *p, struct file *f)
{
	return -EMFILE;
}
