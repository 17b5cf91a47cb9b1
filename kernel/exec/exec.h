// SPDX-License-Identifier: MIT
// Loading a program into a process (spec §10): used by a new process's first
// thread (kernel/sched/user.c) before it enters user mode.
#ifndef QUILT_EXEC_EXEC_H
#define QUILT_EXEC_EXEC_H

#include <stdint.h>

#include "kernel/mm/pmm.h" /* paddr_t */

struct process;

/*
 * exec_load_image - map the ELF executable held in @frames (a file
 * snapshot of @size bytes, fs_map_executable; validated here) into @p's
 * empty address space: each page gets the union of the rights of the
 * segments on it (read always; write, execute as their flags say; see
 * kernel/mm/vmm.h for pages that are both). Whole file pages of a single
 * segment are the file's frames themselves, shared (copied on a write);
 * partial pages are private copies, or for a read-only segment the copy an
 * earlier start made, shared the same way; pages past the file bytes are
 * demand-zero. Takes its own references: @frames stays the caller's.
 * Stores the entry point. Returns 0, -ENOEXEC (not a valid executable for
 * this ABI) or -ENOMEM.
 * Context: the new process's first thread; may sleep.
 */
int exec_load_image(struct process *p, uint64_t size, const paddr_t *frames, uint64_t *entry);

/*
 * Pages exec_load_image keeps prepared for the next start of a program (a
 * read-only segment's partial page), and a way to let them go (tests).
 */
uint64_t exec_prepared_pages(void);
void exec_prepared_drop(void);

/*
 * exec_build_stack - the start-up stack of spec §10.5 below @top: the
 * @argc NUL-terminated strings of @args (@args_len bytes) packed at the top
 * (argv[0] lowest), the pointer array below them aligned to 8 and
 * NULL-terminated, RSP 16-aligned below it. Stores RSP and the array's
 * address. Returns 0 or -errno of the user copy.
 */
int exec_build_stack(uint64_t top, const char *args, uint64_t args_len, uint64_t argc, uint64_t *rsp_out,
		     uint64_t *argv_out);

#endif
