// SPDX-License-Identifier: MIT
// The kernel's first page tables: the kernel image at its link address with
// per-segment permissions, a direct map of all physical memory at
// BOOT_DIRECT_MAP_BASE, and an identity map of the same range that exists only
// for the jump (the kernel drops the lower half as its first act).
#include "arch/x86_64/msr.h"
#include "efi/loader.h"

#define PTE_P   (1ULL << 0)
#define PTE_W   (1ULL << 1)
#define PTE_PS  (1ULL << 7)
#define PTE_G   (1ULL << 8)
#define PTE_NX  (1ULL << 63)
#define PTE_ADDR 0x000ffffffffff000ULL

static uint64_t *new_table(void)
{
	EFI_PHYSICAL_ADDRESS addr = 0;
	EFI_STATUS st = BS->AllocatePages(AllocateAnyPages, (EFI_MEMORY_TYPE)BOOT_EFI_TYPE_DATA, 1, &addr);
	if (EFI_ERROR(st))
		die_status("cannot allocate memory for", "page tables", st);
	memset((void *)addr, 0, PAGE_SIZE);
	return (uint64_t *)addr;
}

/* The table below @table[index], created on first use. */
static uint64_t *next_level(uint64_t *table, unsigned index)
{
	if (!(table[index] & PTE_P))
		table[index] = (uint64_t)new_table() | PTE_P | PTE_W;
	return (uint64_t *)(table[index] & PTE_ADDR);
}

static void map_4k(uint64_t *pml4, uint64_t virt, uint64_t phys, uint64_t flags)
{
	uint64_t *pdpt = next_level(pml4, (virt >> 39) & 511);
	uint64_t *pd = next_level(pdpt, (virt >> 30) & 511);
	uint64_t *pt = next_level(pd, (virt >> 21) & 511);
	uint64_t *pte = &pt[(virt >> 12) & 511];
	/* Two segments sharing a page get the union of their rights. */
	if (*pte & PTE_P) {
		flags |= *pte & PTE_W;
		if (!(*pte & PTE_NX))
			flags &= ~PTE_NX;
	}
	*pte = phys | flags | PTE_P;
}

static int has_1g_pages(void)
{
	uint32_t a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000001u), "c"(0));
	return (d >> 26) & 1;
}

uint64_t paging_build(struct boot_info *bi, const struct elf_image *img, uint64_t phys_end)
{
	uint64_t *pml4 = new_table();

	if (bi->fb.phys && bi->fb.phys + bi->fb.size_bytes > phys_end)
		phys_end = bi->fb.phys + bi->fb.size_bytes;
	phys_end = (phys_end + (1ULL << 30) - 1) & ~((1ULL << 30) - 1);
	if (phys_end > (256ULL << 39))
		die("physical memory beyond 128 TiB:", "cannot direct-map it");

	/*
	 * Direct map: 1 GiB pages where the CPU has them, else 2 MiB. The PDPTs
	 * are shared with the identity map below; NX is applied at the PML4 level
	 * of the direct map only, so the loader's code stays executable through
	 * the identity alias during the jump.
	 */
	int gig = has_1g_pages();
	for (uint64_t base = 0; base < phys_end; base += 1ULL << 30) {
		unsigned slot = (unsigned)(base >> 39);
		uint64_t *pdpt;
		if (!(pml4[256 + slot] & PTE_P)) {
			pdpt = new_table();
			pml4[256 + slot] = (uint64_t)pdpt | PTE_P | PTE_W | PTE_NX;
			pml4[slot] = (uint64_t)pdpt | PTE_P | PTE_W;
		}
		pdpt = (uint64_t *)(pml4[256 + slot] & PTE_ADDR);
		unsigned gi = (base >> 30) & 511;
		if (gig) {
			pdpt[gi] = base | PTE_P | PTE_W | PTE_PS | PTE_G;
		} else {
			uint64_t *pd = new_table();
			for (unsigned i = 0; i < 512; i++)
				pd[i] = (base + ((uint64_t)i << 21)) | PTE_P | PTE_W | PTE_PS | PTE_G;
			pdpt[gi] = (uint64_t)pd | PTE_P | PTE_W;
		}
	}
	bi->identity_end = phys_end;

	/* Kernel image, page by page with the rights of its segment (W^X). */
	for (uint16_t i = 0; i < img->ehdr->phnum; i++) {
		const struct elf64_phdr *p = &img->phdrs[i];
		if (p->type != ELF_PT_LOAD || p->memsz == 0)
			continue;
		uint64_t flags = PTE_G;
		if (p->flags & ELF_PF_W)
			flags |= PTE_W;
		if (!(p->flags & ELF_PF_X))
			flags |= PTE_NX;
		uint64_t start = p->vaddr & ~(PAGE_SIZE - 1);
		for (uint64_t va = start; va < p->vaddr + p->memsz; va += PAGE_SIZE)
			map_4k(pml4, va, bi->kernel_phys + (va - img->vaddr_min), flags);
	}
	return (uint64_t)pml4;
}

__attribute__((noreturn)) void enter_kernel(uint64_t pml4, uint64_t entry, uint64_t boot_info_virt)
{
	/* NX bits in the new tables are reserved-bit faults unless EFER.NXE is on. */
	uint32_t lo, hi;
	__asm__ volatile("cli");
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_EFER));
	lo |= EFER_NXE;
	__asm__ volatile("wrmsr" : : "a"(lo), "d"(hi), "c"(MSR_EFER));
	/* The kernel's entry is a SysV function taking the boot_info pointer. */
	__asm__ volatile("mov %0, %%cr3\n\t"
			 "mov %2, %%rdi\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "jmp *%1"
			 :
			 : "r"(pml4), "r"(entry), "r"(boot_info_virt)
			 : "rdi", "memory");
	__builtin_unreachable();
}
