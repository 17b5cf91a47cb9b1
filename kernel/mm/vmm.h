// SPDX-License-Identifier: MIT
// Address spaces: the user half of one page-table root plus a red-black tree
// of regions (range, protection, backing). Anonymous regions are demand-zero:
// a page is allocated on first touch unless the mapping asks to populate.
#ifndef QUILT_MM_VMM_H
#define QUILT_MM_VMM_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/compiler.h"
#include "kernel/mm/pmm.h" /* paddr_t */

#include "kernel/lib/rbtree.h"
#include "kernel/sync/spinlock.h"

#include "kernel/abi/layout.h" /* USER_MIN, USER_MAX */

/*
 * Region protection (the spec's PROT_READ / PROT_WRITE / PROT_EXECUTE values).
 * Every region is readable. VM_EXEC is the kernel's own: only the ELF loader
 * sets it, on program text (user calls cannot ask for it, spec §7.19/21).
 * W^X: no user page is ever writable and executable at once. A region that
 * is both (an RWX segment, which spec §10.1 requires to work) has its pages
 * in one view at a time: writable and no-execute until an instruction is
 * fetched there, then executable and read-only until the next write, each
 * switch made by vm_fault with a TLB shootdown. The one thing views cannot
 * do is an instruction that writes to its own page: it runs once with the
 * page open (single-stepped with the trap flag), then the page is closed
 * again; vm_wx_single_steps() counts those instructions.
 */
#define VM_READ  0x1u
#define VM_WRITE 0x2u
#define VM_EXEC  0x4u

enum vm_backing {
	VM_ANON_ZERO = 1, /* private pages, zero-filled on first touch */
	VM_ANON_ONE,      /* private pages, 0xFF-filled on first touch */
	VM_SHARED,        /* the pages of a struct vm_object (shared memory) */
	VM_DEVICE,        /* physical memory that is no RAM of ours (a framebuffer), write-combining */
};

/* vm_map flags */
#define VM_FIXED    0x1u /* use @addr exactly, replacing what is there */
#define VM_POPULATE 0x2u /* allocate and map every page now */
/*
 * A large private mapping (sys_mmap's, too big to populate): a fault maps
 * the untouched pages of the aligned FAULT_AROUND_PAGES block around it
 * too, inside the region only, as far as memory allows. A fault right where
 * the last block ended (memory touched in order) maps twice as many pages
 * from there, up to FAULT_AROUND_MAX_PAGES (2 MiB, what Linux's transparent
 * huge pages give an anonymous mapping at one fault).
 */
#define VM_FAULT_AROUND 0x4u
#define FAULT_AROUND_PAGES 16
#define FAULT_AROUND_MAX_PAGES 512

struct vm_object;

/*
 * Regions one address space may have (Linux's default max_map_count is
 * 65530): mmap, mprotect and munmap fail with ENOMEM rather than exceed it.
 */
#define VM_MAX_REGIONS 16384

struct vm_region {
	struct rb_node node;
	struct vm_region *dead_next; /* removed, waiting to be freed outside the lock */
	uint64_t start, end; /* page aligned, [start, end) */
	unsigned prot;
	enum vm_backing backing;
	struct vm_object *object; /* VM_SHARED: a reference; page 0 of the region is object page `pgoff` */
				  /* VM_DEVICE: page 0 of the region is physical frame `pgoff` */
	uint64_t pgoff;
	/*
	 * Private pages that may be shared with a RAM file (a program's image,
	 * vm_map_frames): a frame with more than one reference is mapped
	 * without write and copied on the first write (vm_fault), so neither
	 * the file nor another program ever sees the write.
	 */
	bool cow;
	bool fault_around; /* VM_FAULT_AROUND (private zero or one pages only) */
	uint32_t fa_pages; /* pages the last fault-around mapped from, and */
	uint64_t fa_next;  /* where it ended: a fault here is the next in order */
};

struct vm_space {
	uint64_t root;            /* Immutable: page-table root */
	struct spinlock lock;     /* guards regions, the user half of root, resident */
	/* Guarded by: lock */
	struct rb_root regions;
	uint64_t nregions;
	uint64_t resident;        /* user pages currently mapped */
	struct vm_region *spare[2]; /* atomic slots: regions let go of, kept for the next map or split */
	uint64_t active_cpus;     /* atomic bitmask: CPUs with root loaded */
};

/* Create an empty user address space. Returns NULL when out of memory. Context: may allocate. */
__must_check struct vm_space *vm_space_create(void);
/* Free every user page, region and page-table page, then the space. It must not be loaded anywhere. */
void vm_space_destroy(struct vm_space *space);
/* Load @space (NULL: the kernel's own tables) on this CPU. Context: IRQs any. */
void vm_space_activate(struct vm_space *space);
struct vm_space *vm_space_current(void);
/* Whether a CPU other than this one has @space loaded. Context: IRQs off (a snapshot). */
bool vm_space_loaded_elsewhere(struct vm_space *space);

/*
 * vm_map - create a region of @len bytes (rounded up to pages) with @prot and
 * @backing. With VM_FIXED the region starts at @addr rounded down to a page
 * and replaces existing mappings there; otherwise the lowest free gap at or
 * above USER_MIN is used. Stores the start in *@out.
 * Returns 0, -EINVAL (bad range or prot), -ENOMEM (no gap, no memory).
 * Context: takes space->lock; may allocate.
 */
__must_check int vm_map(struct vm_space *space, uint64_t addr, uint64_t len, unsigned prot, enum vm_backing backing,
	   unsigned flags, uint64_t *out);
/*
 * vm_map_object - as vm_map for VM_SHARED: map @npages pages of @object from
 * page @pgoff (taking a reference of the object). Pages are mapped on touch.
 */
__must_check int vm_map_object(struct vm_space *space, uint64_t addr, struct vm_object *object, uint64_t pgoff,
		  uint64_t npages, unsigned prot, unsigned flags, uint64_t *out);
/*
 * vm_map_device - as vm_map for VM_DEVICE: map @npages pages of physical
 * memory from @phys (page aligned), which the kernel does not own (never
 * freed). Pages are mapped on touch, write-combining where the CPU allows.
 * @prot must not ask for execute. Returns 0, -EINVAL, -ENOMEM.
 */
__must_check int vm_map_device(struct vm_space *space, uint64_t addr, uint64_t phys, uint64_t npages, unsigned prot,
			       unsigned flags, uint64_t *out);
/*
 * vm_map_frames - a private region of @npages pages at @addr (page aligned,
 * replacing what is there) with @prot, whose page i is the frame @frames[i]
 * (0: demand-zero). The region takes over the caller's reference of every
 * frame, also on failure (then it is dropped). Frames that have other
 * references too (a file's pages) are mapped read-only and copied on the
 * first write, so they are never written through this mapping.
 * Returns 0, -EINVAL or -ENOMEM. Context: takes space->lock; may allocate.
 */
__must_check int vm_map_frames(struct vm_space *space, uint64_t addr, uint64_t npages, unsigned prot,
			       const paddr_t *frames);
/*
 * vm_unmap - remove [addr, addr+len); holes are skipped. Works in pieces,
 * with a preemption point between them (bounded latency whatever the size).
 * Returns 0 or -EINVAL, -ENOMEM (split failed, VM_MAX_REGIONS reached) or
 * -EINTR (the caller was killed part way). Context: may sleep.
 */
int vm_unmap(struct vm_space *space, uint64_t addr, uint64_t len);
/*
 * Unmap everything (an ending process), preemptibly; then vm_space_destroy
 * is quick. A small space (a few hundred pages and regions at most) is left
 * as it is: vm_space_destroy frees it as quickly, without TLB flushes.
 * Context: may sleep.
 */
void vm_space_clear(struct vm_space *space);
/*
 * vm_wx_pages_seen - user pages found writable and executable by the page-table
 * walk every address space gets when it is destroyed (0 on a sound kernel;
 * the leak check and the tests read it). Context: any.
 */
uint64_t vm_wx_pages_seen(void);
/*
 * vm_protect - change the protection of [addr, addr+len), which must be fully
 * mapped (-ENOENT otherwise, nothing changed). Returns 0, -EINVAL, -ENOENT, -ENOMEM.
 */
__must_check int vm_protect(struct vm_space *space, uint64_t addr, uint64_t len, unsigned prot);

/*
 * vm_fault - resolve a fault at @addr in @space; @access is MM_FAULT_*
 * (arch/x86_64/arch.h) saying what was tried. Maps a missing page, gives a
 * page the rights its region has gained, and switches a page of a
 * write-and-execute region between its write and its execute view.
 * Returns 0 when the access can be retried, -ENOMEM when no page could be had
 * for it, -EFAULT otherwise.
 * Context: takes space->lock, or only tries to when !@can_spin (IRQs off).
 */
int vm_fault(struct vm_space *space, uint64_t addr, unsigned access, uint64_t user_ip, bool can_spin);
/* vm_fault's result when the instruction at @user_ip must run once with its own page open (see vmm.h W^X). */
#define VM_FAULT_STEP 1
/* vm_wx_single_steps - instructions so far that wrote to their own W^X page. Context: any. */
uint64_t vm_wx_single_steps(void);

/* uaccess.c: the current thread's user copy is failing for want of memory. */
void uaccess_note_oom(void);

/* The region containing @addr, copied into *out. Returns false if none. */
bool vm_query(struct vm_space *space, uint64_t addr, struct vm_region *out);

/* Live counters for leak checks. */
uint64_t vm_spaces_live(void);
uint64_t vm_regions_live(void);

#endif

/* ------------------------------------------------------- mappings of files */

/*
 * A shared-memory object (/dev/shmem): its pages are the same in every
 * mapping. Reference counted by the open file and by each mapping region.
 */
__must_check struct vm_object *vm_object_create(void);
/* The object's size in pages, fixed by the first call of vm_object_set_size (0 before). */
uint64_t vm_object_pages(struct vm_object *o);
/*
 * Fix the size once. Pages are allocated, zeroed, on first touch; the size
 * must fit the memory programs may still take. Returns 0, -EEXIST (already
 * sized), -ENOMEM.
 */
__must_check int vm_object_set_size(struct vm_object *o, uint64_t npages);
void vm_object_get(struct vm_object *o);
void vm_object_put(struct vm_object *o);
uint64_t vm_objects_live(void);

/* What a file's mmap operation fills in (fs/file.h). */
struct vm_mmap_request {
	uint64_t length;            /* in: bytes requested */
	uint64_t offset;            /* in: the open file's position */
	unsigned prot;              /* in: VM_READ / VM_WRITE */
	enum vm_backing backing;    /* out: VM_ANON_ZERO, VM_ANON_ONE, VM_SHARED or VM_DEVICE */
	struct vm_object *object;   /* out for VM_SHARED: a reference the mapping takes over */
	uint64_t phys;              /* out for VM_DEVICE: the physical address of the mapping's first byte */
};
