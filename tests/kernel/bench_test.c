// SPDX-License-Identifier: MIT
// In-kernel cost of the memory primitives, for `make bench` (suite "bench",
// never part of "all"). They report figures as KTAP diagnostics and check
// only that the work was done, not how fast.
#include "arch/x86_64/arch.h"
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"
#include "kernel/log/log.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/vmm.h"
#include "kernel/test/ktest.h"
#include "kernel/time/time.h"

KTEST(bench, page_alloc_free)
{
	enum { N = 20000 };
	uint64_t t0 = time_now_ns();
	for (int i = 0; i < N; i++) {
		paddr_t p = pmm_alloc_page();
		KASSERT(p);
		pmm_free_page(p);
	}
	uint64_t t1 = time_now_ns();
	kprintf("# bench kernel_page_alloc_free %lu\n", (t1 - t0) / N);
}

KTEST(bench, map_unmap_256_pages)
{
	enum { ROUNDS = 200 };
	struct vm_space *s = vm_space_create();
	KASSERT(s);
	uint64_t total = 0;
	for (int i = 0; i < ROUNDS; i++) {
		uint64_t addr, t0 = time_now_ns();
		KASSERT(vm_map(s, 0, 256 * PAGE_SIZE, VM_READ | VM_WRITE, VM_ANON_ZERO, VM_POPULATE, &addr) == 0);
		KASSERT(vm_unmap(s, addr, 256 * PAGE_SIZE) == 0);
		total += time_now_ns() - t0;
	}
	vm_space_destroy(s);
	kprintf("# bench kernel_map_unmap_256p %lu\n", total / ROUNDS);
}

KTEST(bench, zero_page)
{
	enum { N = 2000 };
	paddr_t p = pmm_alloc_page();
	KASSERT(p);
	uint64_t t0 = time_now_ns();
	for (int i = 0; i < N; i++)
		arch_zero_page(phys_to_virt(p));
	uint64_t t1 = time_now_ns();
	for (int i = 0; i < N; i++)
		memset(phys_to_virt(p), 0, PAGE_SIZE);
	uint64_t t2 = time_now_ns();
	pmm_free_page(p);
	kprintf("# bench kernel_zero_page_arch %lu\n", (t1 - t0) / N);
	kprintf("# bench kernel_zero_page_memset %lu\n", (t2 - t1) / N);
}
