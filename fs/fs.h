// SPDX-License-Identifier: MIT
// What the rest of the kernel needs from the file layer: bring-up from the
// root archive, and the per-process file-system context (descriptor table,
// working directory, namespace) created at spawn and released at exit.
#ifndef QUILT_FS_FS_H
#define QUILT_FS_FS_H

#include <stdint.h>

struct process;

/*
 * fs_init - fill the RAM root from the boot archive (@archive is its
 * direct-map address), release the archive's pages, mount /dev and /proc in
 * the kernel namespace. Panics when out of memory.
 * Context: boot, after process_init.
 */
void fs_init(const void *archive, uint64_t archive_size);

/*
 * fs_process_init - give @child its context from @parent per the spawn flags
 * (spec §7 number 2 step 6): descriptors, namespace, working directory,
 * environment. @parent NULL: the first process (root cwd, empty table,
 * namespace a child of the kernel's). Returns 0, -ENOMEM (then @child
 * has a dead context that fs_process_free releases) or -EINTR when @parent
 * is terminating (its namespace is gone; @child gets no context).
 * Context: thread context, may sleep; @child not yet running.
 */
int fs_process_init(struct process *child, struct process *parent, uint32_t spawn_flags);
/*
 * fs_process_exit - release every descriptor, the cwd and the namespace of @p
 * (at termination); later fd_install calls on @p fail. Idempotent.
 * Context: thread context, may sleep (device release actions).
 */
void fs_process_exit(struct process *p);
/* fs_process_free - free what remains of @p's context when the process struct goes away. Context: as above. */
void fs_process_free(struct process *p);

/*
 * fs_map_executable - open @path with open semantics in the namespace and
 * working directory of @p and take a snapshot of the file for mapping: its
 * size and one frame per page (0 for a hole) in a kmalloc array, each frame
 * with a reference for the caller (pmm_page_put). Later writes to the file
 * do not change those frames (the file copies a page it shares first).
 * Returns 0, the open's negative errno, or -ESPAWNFAIL (not a file whose
 * pages can be mapped, or no memory for the array).
 * Context: thread context, may sleep.
 */
int fs_map_executable(struct process *p, const char *path, uint64_t *size, uint64_t **frames);

/*
 * fs_open_stdio - open @path (e.g. "/dev/klog") in @p's view and install it
 * in three descriptors (0, 1, 2 of an empty table), sharing one open file.
 * Returns 0 or the open's / fd_install's negative errno.
 * Context: thread context; @p not yet running.
 */
int fs_open_stdio(struct process *p, const char *path);

/* Live counters for leak checks. Context: any. */
uint64_t fs_open_files_live(void);
/* Allocated inodes (static /dev nodes not counted). */
uint64_t fs_inodes_live(void);
uint64_t fs_mounts_live(void);
uint64_t fs_namespaces_live(void);
/* Namespace lineages allocated (fs/lineage.c): the leak counter. */
uint64_t fs_lineages_live(void);
/* Local sockets and connections allocated (fs/net/local.c). */
uint64_t net_local_objects_live(void);

#endif
