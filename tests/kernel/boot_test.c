// SPDX-License-Identifier: MIT
// The state the loader hands over: W^X kernel segments, the direct map over
// all of RAM, no identity map left, a sane boot_info.
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "kernel/boot.h"
#include "kernel/boot_check.h"
#include "kernel/drivers/fb/fbcon.h"
#include "kernel/lib/string.h"
#include "kernel/mm/pmm.h"
#include "kernel/test/ktest.h"

extern char __text_start[], __rodata_start[], __data_start[], __bss_start[], __kernel_end[];

KTEST(boot, boot_info_valid)
{
	const char *why;
	KEXPECT_EQ(boot_info_check(boot_info, boot_mem_map, &why), 0);
	KEXPECT(boot_info->archive != 0);
	KEXPECT(boot_info->rsdp != 0);
}

/*
 * The loader tells the firmware's and its own code apart from their data
 * (BOOT_MEM_BOOT_CODE), and the page allocator holds those pages back
 * until it has nothing else: at boot, every one of them still is.
 */
KTEST(boot, firmware_code_held_back)
{
	uint64_t code = 0;
	for (uint64_t i = 0; i < boot_info->mem_map_count; i++) {
		const struct boot_mem_entry *e = &boot_mem_map[i];
		uint64_t first = e->base / PAGE_SIZE, end = first + e->npages;
		if (e->type == BOOT_MEM_BOOT_CODE && end > 256)
			code += end - (first < 256 ? 256 : first); /* below 1 MiB nothing is allocated */
	}
	KEXPECT(code > 0); /* OVMF's drivers and our loader ran from somewhere */
	KEXPECT_EQ(pmm_late_pages(), code);
}

KTEST(boot, kernel_segments_wx)
{
	struct arch_mapping m;
	KASSERT(arch_query_mapping((uint64_t)__text_start, &m));
	KEXPECT(m.executable && !m.writable && !m.user);
	KEXPECT_EQ(m.phys, boot_info->kernel_phys);
	KASSERT(arch_query_mapping((uint64_t)__rodata_start, &m));
	KEXPECT(!m.executable && !m.writable);
	KASSERT(arch_query_mapping((uint64_t)__data_start, &m));
	KEXPECT(!m.executable && m.writable);
	KASSERT(arch_query_mapping((uint64_t)__kernel_end - 1, &m));
	KEXPECT(!m.executable && m.writable);
	KEXPECT_EQ(m.phys, boot_info->kernel_phys + boot_info->kernel_size - 1);
}

KTEST(boot, identity_map_dropped)
{
	struct arch_mapping m;
	KEXPECT(!arch_query_mapping(boot_info->kernel_phys, &m));
	KEXPECT(!arch_query_mapping(0x100000, &m));
}

KTEST(boot, direct_map_covers_ram)
{
	/* Every usable range, first and last byte, is reachable and writable through the direct map. */
	for (uint64_t i = 0; i < boot_info->mem_map_count; i++) {
		const struct boot_mem_entry *e = &boot_mem_map[i];
		if (e->type != BOOT_MEM_USABLE)
			continue;
		uint64_t last = e->base + e->npages * 4096 - 8;
		struct arch_mapping m;
		KASSERT(arch_query_mapping((uint64_t)phys_to_virt(last), &m));
		KEXPECT_EQ(m.phys, last);
		KEXPECT(m.writable && !m.executable && !m.user);
		KEXPECT(m.page_size >= (2u << 20)); /* huge pages */
		volatile uint64_t *p = phys_to_virt(last);
		uint64_t old = *p;
		*p = 0x5157494c54ULL ^ last;
		KEXPECT_EQ(*p, 0x5157494c54ULL ^ last);
		*p = old;
	}
}

KTEST(boot, screen_console_maps_framebuffer_write_combining)
{
	/* Test boots keep QEMU's VGA (only its window is off), so the firmware gave a framebuffer. */
	const struct boot_framebuffer *fb = &boot_info->fb;
	KASSERT(fb->phys != 0);
	const uint8_t *px = fbcon_pixels();
	KASSERT(px != NULL);
	uint64_t bytes = (uint64_t)fb->stride_pixels * fb->height * 4;
	uint64_t offsets[] = { 0, bytes / 2, bytes - 4 };
	for (unsigned i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		struct arch_mapping m;
		KASSERT(arch_query_mapping((uint64_t)(px + offsets[i]), &m));
		KEXPECT_EQ(m.phys, fb->phys + offsets[i]);
		KEXPECT(m.writable && !m.executable && !m.user);
		/* Write-combining where PAT allows it (every CPU model QEMU offers), else uncached; never write-back. */
		KEXPECT_EQ(m.write_combining, arch_pat_wc);
		KEXPECT_EQ(m.uncached, !arch_pat_wc);
	}
}
