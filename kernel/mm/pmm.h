// SPDX-License-Identifier: MIT
// Physical page allocator: a buddy allocator over every usable page of the
// boot memory map, with per-CPU caches of single pages so the common case
// (one page, this CPU) takes no shared lock. Exact free/total counters back
// the leak checks of the tests and, later, /proc statistics.
#ifndef QUILT_MM_PMM_H
#define QUILT_MM_PMM_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/abi/layout.h" /* PAGE_SIZE */

#include "kernel/boot.h"

#define PAGE_SHIFT 12
#define PMM_MAX_ORDER 10 /* largest block: 2^10 pages = 4 MiB */

typedef uint64_t paddr_t;

/* One per physical page frame; 24 bytes. */
struct page {
	uint8_t flags;     /* PG_* */
	uint8_t order;     /* buddy order while free (head page), allocation order while used */
	uint8_t kind;      /* owner's tag: slab size class, ... */
	uint8_t reserved;
	int32_t refcount;  /* users of a shared page; 1 after allocation; the owner's count for slabs */
	uint32_t next, prev; /* free-list / owner list links, as frame numbers (PFN_NONE = none) */
	uint64_t priv;     /* owner's word: a slab's free-object list */
};

#define PG_FREE     0x01 /* head of a free buddy block (in a free list or a CPU cache) */
#define PG_RESERVED 0x02 /* never allocatable (firmware, kernel, holes) */
#define PG_SLAB     0x04 /* owned by kmalloc */
#define PG_CACHED   0x08 /* free, sitting in a per-CPU cache */
#define PFN_NONE    0xffffffffu

/*
 * pmm_init - take every usable page of the boot map (and boot-services memory,
 * which the kernel no longer needs once it runs on its own descriptor tables)
 * into the allocator. Pages below 1 MiB are kept back (AP trampoline, BIOS
 * areas). Context: boot, BSP only, after arch_bsp_init().
 */
void pmm_init(const struct boot_mem_entry *map, uint64_t count);

/*
 * pmm_alloc_page - one zeroed-or-not page. Returns its physical address, or 0
 * when memory is exhausted (page 0 is never handed out).
 * Context: any, including IRQ handlers; does not sleep.
 */
paddr_t pmm_alloc_page(void);
void pmm_free_page(paddr_t page);
/*
 * pmm_idle_zero - zero up to @max (at most 8) free pages into the pool that
 * pmm_alloc_zeroed_page takes from first. Returns how many it pooled: 0
 * when there is nothing to do (pool full, memory short, or held off after a
 * drain). Context: an idle CPU, IRQs any (off for the batch).
 */
unsigned pmm_idle_zero(unsigned max);
/*
 * pmm_alloc_zeroed_user_pages - up to @n pages as pmm_alloc_zeroed_user_page
 * would give them one by one, into @out. Returns how many; sets *@refused
 * when it stopped because a page was refused (no memory, the user reserve,
 * an injected failure), which a later call must not be asked to undo.
 */
unsigned pmm_alloc_zeroed_user_pages(paddr_t *out, unsigned n, bool *refused);
/* Pages in the zeroed pool (free pages, zeroed ahead). */
uint64_t pmm_zeroed_pool_pages(void);
/* Free pages of the firmware's boot code still held back from the free lists (pmm.c, late ranges). */
uint64_t pmm_late_pages(void);
/* pmm_alloc_zeroed_page - as pmm_alloc_page, filled with zeros (from the zeroed pool when it has one). */
paddr_t pmm_alloc_zeroed_page(void);
/* pmm_alloc_zeroed_user_page - as pmm_alloc_user_page, filled with zeros. */
paddr_t pmm_alloc_zeroed_user_page(void);

/*
 * pmm_alloc_user_page - a page for data a program asked for (anonymous and
 * shared memory, file contents): as pmm_alloc_page, but 0 once only the
 * kernel's reserve (pmm_user_reserve_pages) is left, so that user memory
 * running out is an ENOMEM for the program, never a kernel without pages.
 * Context: any; does not sleep.
 */
paddr_t pmm_alloc_user_page(void);
uint64_t pmm_user_reserve_pages(void);
/*
 * pmm_user_may_allocate - false once only the reserve is left: the check
 * for kernel objects a program asks for (processes, pipes, files), which
 * then fail with ENOMEM too instead of eating the kernel's reserve.
 */
bool pmm_user_may_allocate(void);

/*
 * References to a single page shared by several owners (a RAM file's page
 * mapped into programs, kernel/exec): an allocated page has one, held by
 * whoever allocated it. pmm_page_get adds one; pmm_page_put drops one and
 * frees the page with the last. pmm_page_shared says whether more than one
 * is held: a page with one reference belongs to its holder alone, and since
 * only a holder can add references, that stays true until it shares it.
 * Context: any; does not sleep.
 */
void pmm_page_get(paddr_t page);
void pmm_page_put(paddr_t page);
bool pmm_page_shared(paddr_t page);

/* Contiguous, naturally aligned blocks of 2^order pages. Returns 0 on failure. */
paddr_t pmm_alloc_pages(unsigned order);
void pmm_free_pages(paddr_t base, unsigned order);

/* Hand a range of the boot map (e.g. loader data once consumed) to the allocator. */
void pmm_release_range(paddr_t base, uint64_t npages);

/* Counters, exact at any instant (pages in CPU caches count as free). */
uint64_t pmm_free_pages_count(void);
uint64_t pmm_total_pages_count(void);

/* The struct page of a frame; NULL outside managed memory. */
struct page *pmm_page(paddr_t addr);

/*
 * pmm_pages_put - pmm_page_put() of each of @n frames, the freed ones into
 * this CPU's cache with one update of the free count. Context: any.
 */
void pmm_pages_put(const paddr_t *frames, uint64_t n);

/* Return the calling CPU's cached pages, and the spare pages between the caches, to the buddy lists (tests, CPU offline). */
void pmm_drain_cpu_cache(void);

#endif
