// SPDX-License-Identifier: MIT
// Types, limits and constants that cross the user/kernel boundary (spec §3),
// shared by kernel and user space. Layouts are normative: checked below.
#ifndef QUILT_ABI_TYPES_H
#define QUILT_ABI_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/abi/layout.h"

typedef uint64_t fd_t;
typedef uint64_t tid_t;
typedef uint64_t clock_t_;   /* the ABI's clock_t: nanoseconds (libc names it clock_t) */
typedef uint64_t inode_number_t;
typedef uint8_t priority_t;

#define ERR ((uint64_t)-1) /* integer failure value of a system call (§2.3) */
#define FD_NONE UINT64_MAX
#define CLOCKS_PER_SEC 1000000000ULL
#define CLOCKS_NEVER UINT64_MAX

#define MAX_PATH 256
#define MAX_NAME 32
#define CONFIG_MAX_FD 64
#define CONFIG_MAX_ARGC 512
#define CONFIG_MAX_USER_STACK_PAGES 100
#define CONFIG_MAX_NOTES 8
#define NOTE_MAX_BUFFER 64
#define KEY_SIZE 16
#define PIPE_CAPACITY 4096
#define POLL_MAX 64

#define STDIN_FILENO 0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2
#define PIPE_READ 0
#define PIPE_WRITE 1

/* prot_t */
#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXECUTE 4

/* spawn_flags_t */
#define SPAWN_DEFAULT 0
#define SPAWN_SUSPEND (1 << 0)
#define SPAWN_EMPTY_FDS (1 << 1)
#define SPAWN_STDIO_FDS (1 << 2)
#define SPAWN_EMPTY_NS (1 << 3)
#define SPAWN_EMPTY_ENV (1 << 4)
#define SPAWN_EMPTY_CWD (1 << 5)
#define SPAWN_ALL_FLAGS 0x3f

/* futex_op_t */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_ALL UINT64_MAX

/* poll_events_t */
#define POLLNONE 0
#define POLLIN 1
#define POLLOUT 2
#define POLLERR 4
#define POLLHUP 8
#define POLLNVAL 16
#define POLL_SPECIAL (POLLERR | POLLHUP | POLLNVAL)

/* seek_origin_t */
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

/* mount_flags_t */
#define MOUNT_NONE 0
#define MOUNT_PROPAGATE_PARENT 1
#define MOUNT_PROPAGATE_CHILDREN 2
#define MOUNT_OVERWRITE 4
#define MOUNT_ALL_FLAGS 7

/* inode_type_t */
#define INODE_FILE 0
#define INODE_DIR 1

#define PRIORITY_MIN 0
#define PRIORITY_MAX_USER 31
#define PRIORITY_MAX 63

struct abi_stat {
	inode_number_t number;
	uint32_t type;
	uint32_t padding0;
	uint64_t size;
	uint64_t blocks;
	uint64_t link_amount;
	uint64_t access_time, modify_time, change_time, create_time;
	char name[MAX_NAME];
	uint8_t padding[64];
};
_Static_assert(sizeof(struct abi_stat) == 168, "stat_t is 168 bytes");
_Static_assert(offsetof(struct abi_stat, name) == 72, "stat_t.name at 72");

struct abi_dirent {
	inode_number_t number;
	uint32_t type;
	char path[MAX_PATH];
};
_Static_assert(sizeof(struct abi_dirent) == 272, "dirent_t is 272 bytes");
_Static_assert(offsetof(struct abi_dirent, path) == 12, "dirent_t.path at 12");

struct abi_pollfd {
	fd_t fd;
	uint32_t events;
	uint32_t revents;
};
_Static_assert(sizeof(struct abi_pollfd) == 16, "pollfd_t is 16 bytes");

struct abi_key {
	uint8_t bytes[KEY_SIZE];
};

#endif
