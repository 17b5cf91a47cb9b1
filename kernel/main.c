// SPDX-License-Identifier: MIT
// kmain: the boot order, one call per subsystem, top to bottom.
#include <stdbool.h>

#include "arch/x86_64/arch.h"
#include "kernel/boot.h"
#include "kernel/boot_check.h"
#include "kernel/boot_info.h"
#include "kernel/cmdline.h"
#include "kernel/drivers/pci/pci.h"
#include "kernel/drivers/power/power.h"
#include "kernel/drivers/ps2/ps2.h"
#include "kernel/drivers/usb/xhci.h"
#include "kernel/leak.h"
#include "kernel/lib/string.h"
#include "kernel/log/bootprof.h"
#include "kernel/log/console.h"
#include "kernel/log/log.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/kstack.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/vmm.h"
#include "kernel/sched/process.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/user.h"
#include "kernel/syscall/syscall.h"
#include "kernel/sync/spinlock.h"
#include "kernel/test/cov.h"
#ifdef QUILT_TEST_KERNEL
#include "kernel/test/ktest.h"
#endif
#include "kernel/time/time.h"
#include "fs/fs.h"
#include "fs/share.h"

#define PHYS(p) phys_to_virt((uint64_t)(p))

const struct boot_info *boot_info;
const struct boot_mem_entry *boot_mem_map;

static bool is_ram(uint32_t type)
{
	return type != BOOT_MEM_MMIO && type != BOOT_MEM_RESERVED && type != BOOT_MEM_BAD;
}

static bool adjacent(const struct boot_mem_entry *a, const struct boot_mem_entry *b)
{
	return a->base + a->npages * PAGE_SIZE == b->base;
}

static void print_banner(const struct boot_info *bi, const struct boot_mem_entry *map)
{
	/*
	 * Installed RAM: every RAM-typed range, plus reserved ranges sandwiched
	 * between RAM (firmware-owned RAM); reserved ranges next to nothing are
	 * address space such as PCIe configuration windows.
	 */
	uint64_t total = 0, usable = 0;
	for (uint64_t i = 0; i < bi->mem_map_count; i++) {
		uint32_t t = map[i].type;
		bool ram = is_ram(t);
		if (t == BOOT_MEM_RESERVED && i > 0 && i + 1 < bi->mem_map_count && is_ram(map[i - 1].type) &&
		    is_ram(map[i + 1].type) && adjacent(&map[i - 1], &map[i]) && adjacent(&map[i], &map[i + 1]))
			ram = true;
		if (ram)
			total += map[i].npages;
		if (t == BOOT_MEM_USABLE || t == BOOT_MEM_BOOT_RECLAIM || t == BOOT_MEM_BOOT_CODE)
			usable += map[i].npages;
	}
	kprintf("Quilt kernel booting\n");
	kprintf("firmware: %s rev 0x%x\n", bi->firmware_vendor, bi->firmware_revision);
	kprintf("memory: %lu MiB total, %lu MiB usable, %lu map entries\n", (total * PAGE_SIZE + (1 << 19)) >> 20,
		(usable * PAGE_SIZE) >> 20, bi->mem_map_count);
	if (bi->fb.phys)
		kprintf("framebuffer: %ux%u stride %u at 0x%lx\n", bi->fb.width, bi->fb.height,
			bi->fb.stride_pixels, bi->fb.phys);
	else
		kprintf("framebuffer: none\n");
	if (cmdline_has("memmap")) {
		static const char *const names[] = { "?", "usable", "boot-reclaim", "loader-data", "kernel",
						     "acpi-reclaim", "acpi-nvs", "runtime", "mmio", "reserved", "bad",
						     "boot-code" };
		for (uint64_t i = 0; i < bi->mem_map_count; i++)
			kprintf("  [%016lx-%016lx) %s\n", map[i].base, map[i].base + map[i].npages * PAGE_SIZE,
				map[i].type <= BOOT_MEM_LAST ? names[map[i].type] : "?");
	}
	kprintf("acpi: rsdp at 0x%lx\n", bi->rsdp);
	kprintf("cmdline: %s\n", bi->cmdline);
}

/*
 * Memory: the page allocator over the boot map, the kernel's own page tables,
 * then the loader's hand-over data is copied out and its pages reclaimed
 * (except the root archive, which the file layer consumes later).
 */
static void memory_init(const struct boot_info *bi, const struct boot_mem_entry *map)
{
	static struct boot_info info_copy;
	pmm_init(map, bi->mem_map_count);
	bootprof_mark("pmm");
	uint64_t phys_end = 4ULL << 30;
	for (uint64_t i = 0; i < bi->mem_map_count; i++)
		if (is_ram(map[i].type) && map[i].base + map[i].npages * PAGE_SIZE > phys_end)
			phys_end = map[i].base + map[i].npages * PAGE_SIZE;
	arch_paging_init(phys_end);
	bootprof_mark("paging");

	/* Keep what is still needed; the rest of the loader's data goes back to the allocator. */
	info_copy = *bi;
	boot_info = &info_copy;
	/* The map itself lives in loader data: keep a copy. */
	struct boot_mem_entry *map_copy = kmalloc(bi->mem_map_count * sizeof(*map_copy));
	if (!map_copy)
		panic("no memory for a copy of the memory map");
	memcpy(map_copy, map, bi->mem_map_count * sizeof(*map_copy));
	boot_mem_map = map_copy;
	if (bi->symtab) {
		void *sym = kmalloc(bi->symtab_size), *str = kmalloc(bi->strtab_size);
		if (sym && str) {
			memcpy(sym, PHYS(bi->symtab), bi->symtab_size);
			memcpy(str, PHYS(bi->strtab), bi->strtab_size);
			symbols_init(sym, bi->symtab_size, str, bi->strtab_size);
		}
	}
	uint64_t arch_lo = bi->archive & ~(PAGE_SIZE - 1), arch_hi = (bi->archive + bi->archive_size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	for (uint64_t i = 0; i < bi->mem_map_count; i++) {
		if (map[i].type != BOOT_MEM_LOADER_DATA)
			continue;
		uint64_t lo = map[i].base, hi = lo + map[i].npages * PAGE_SIZE;
		/* Release around the archive. */
		if (arch_hi > lo && arch_lo < hi) {
			if (arch_lo > lo)
				pmm_release_range(lo, (arch_lo - lo) / PAGE_SIZE);
			if (hi > arch_hi)
				pmm_release_range(arch_hi, (hi - arch_hi) / PAGE_SIZE);
		} else {
			pmm_release_range(lo, map[i].npages);
		}
	}
	bootprof_mark("boot-data");
	kprintf("mm: %lu MiB managed, %lu MiB free\n", pmm_total_pages_count() >> 8, pmm_free_pages_count() >> 8);
}

/*
 * Leave the machine: through QEMU's exit device when asked to, else by ACPI
 * power-off (a real PC turns off), else halt. The coverage counters go out
 * first (with "covdump"): nothing after this point is worth counting.
 */
static __attribute__((noreturn)) void power_off(uint32_t qemu_value)
{
	if (log_qemu_exit) {
		cov_dump();
		arch_qemu_exit(qemu_value);
	}
	if (power_shutdown_supported())
		(void)power_shutdown(); /* dumps the counters itself; returns only if the machine stayed on */
	else
		cov_dump();
	kprintf("system halted\n");
	arch_halt_forever();
}

/*
 * The first process: "-- cmd args" from the command line (argv = those words),
 * else /bin/init with argc = 0 (spec §10.7). When it ends, so does the machine.
 */
/*
 * With "leakcheck" on the command line: wait until every process but the
 * kernel is reaped, then print each counter against its value before init,
 * one "leakcheck: name before after" line each (tests/tools/run_tests.py
 * turns them into results).
 */
/* Counter values before init started (leakcheck). */
static uint64_t leak_before[LEAK_COUNTERS_MAX];

static int report_survivor(struct process *p, void *ctx)
{
	if (p->pid)
		kprintf("leakcheck: process %lu still present (terminating %d, threads %lu, refs %lu)\n", p->pid,
			p->terminating, p->nthreads, p->refcount);
	return 0;
}

static void leak_check_report(void)
{
	/*
	 * The reaper keeps ended processes for about a second. Allow much more:
	 * on a loaded host the guest clock can jump past a short limit while
	 * the reaper gets few turns.
	 */
	uint64_t deadline = time_now_ns() + 30000000000ULL;
	while (processes_live() > 0 && time_now_ns() < deadline) {
		sleep_until(time_now_ns() + 100000000ULL);
	}
	process_for_each(report_survivor, NULL);
	unsigned n;
	const struct leak_counter *c = leak_counters(&n);
	for (unsigned i = 0; i < n; i++)
		kprintf("leakcheck: %s %lu %lu\n", c[i].name, leak_before[i], c[i].read());
}

/*
 * With "init_may_exit" on the command line, the end of init is not the end of
 * the machine: PatchworkOS's init starts the desktop's services and programs
 * and then returns 0, and on PatchworkOS they go on running. So wait until no
 * process but the kernel runs (one that is terminating, as init is, counts as
 * ended). Polled once a second: it only decides when the machine powers off.
 */
static int count_running(struct process *p, void *ctx)
{
	if (p->pid && !__atomic_load_n(&p->terminating, __ATOMIC_ACQUIRE))
		++*(uint64_t *)ctx;
	return 0;
}

static void wait_for_last_process(void)
{
	uint64_t running = 0;
	process_for_each(count_running, &running);
	if (!running)
		return;
	kprintf("init: init_may_exit: %lu processes still running; the machine stays up until they end\n",
		running);
	while (running) {
		sleep_until(time_now_ns() + 1000000000ULL);
		running = 0;
		process_for_each(count_running, &running);
	}
	kprintf("init: the last process has ended\n");
}

static __attribute__((noreturn)) void start_init(void)
{
	bool leakcheck = cmdline_has("leakcheck");
	unsigned n;
	const struct leak_counter *c = leak_counters(&n);
	for (unsigned i = 0; leakcheck && i < n; i++)
		leak_before[i] = c[i].read();
	struct process *p = process_create(31);
	if (!p)
		panic("cannot create the init process");
	const char *cmd = cmdline_init_command();
	if (cmd) {
		/* Split at spaces into "arg0\0arg1\0..." */
		uint64_t n = strlen(cmd);
		char *args = kmalloc(n + 1);
		if (!args)
			panic("out of memory");
		uint64_t len = 0;
		for (uint64_t i = 0; i < n; i++) {
			if (cmd[i] != ' ')
				args[len++] = cmd[i];
			else if (len > 0 && args[len - 1] != '\0')
				args[len++] = '\0';
		}
		if (len > 0 && args[len - 1] != '\0')
			args[len++] = '\0';
		p->cmdline = args;
		p->cmdline_len = len;
	}
	if (fs_process_init(p, NULL, 0))
		panic("cannot start init");
	/*
	 * A program named on the command line is a test or a demo: its output
	 * goes to serial through /dev/klog on fds 0-2. /bin/init starts with no
	 * descriptors (spec §10.7) and opens what it needs itself.
	 */
	if (cmd && fs_open_stdio(p, "/dev/klog"))
		panic("cannot open /dev/klog for %s", cmd);
	if (process_start_program(p))
		panic("cannot start init");
	kprintf("init: started %s as pid %lu\n", cmd ? cmd : "/bin/init", p->pid);
	WAIT_EVENT(&p->exit_wq, __atomic_load_n(&p->terminating, __ATOMIC_ACQUIRE), UINT64_MAX);
	int64_t status = p->exit_status;
	kprintf("init: exited with status %ld\n", status);
	if (cmdline_has("init_may_exit"))
		wait_for_last_process();
	if (leakcheck) {
		process_put(p); /* ours; the reaper drops the table's */
		leak_check_report();
	}
	power_off(status == 0 ? QEMU_EXIT_SUCCESS : QEMU_EXIT_FAILURE);
}

void kmain(const struct boot_info *bi_virt)
{
	const struct boot_info *bi = bi_virt;
	bootprof_mark("entry");
	arch_console_init();
	arch_drop_identity_map();
	arch_bsp_init();

	/* Check before trusting any field; the map pointer is only read if the header is sane. */
	const char *bad;
	bool header_ok = bi->magic == BOOT_INFO_MAGIC && bi->version == BOOT_INFO_VERSION;
	if (boot_info_check(bi, header_ok ? PHYS(bi->mem_map) : 0, &bad))
		panic("invalid boot_info: %s", bad);
	const struct boot_mem_entry *map = PHYS(bi->mem_map);
	boot_info = bi;
	boot_mem_map = map;

	cmdline_init(bi->cmdline);
	log_qemu_exit = cmdline_has("qemu_exit");
	kmalloc_debug = cmdline_has("heap_debug");
	print_banner(bi, map);
	spin_choose_order();
	bootprof_mark("banner");

	memory_init(bi, map);
	log_screen_init(&boot_info->fb);
	bootprof_mark("screen");
	arch_platform_init(boot_info->rsdp);
	bootprof_mark("platform");
	sched_init();
	console_init();
	arch_console_enable_input();
	ps2_init();
	syscall_table_init();
	process_init();
	bootprof_mark("sched");
	pci_init();
	xhci_init();
	bootprof_mark("pci-usb");
	fs_init(phys_to_virt(boot_info->archive), boot_info->archive_size);
	bootprof_mark("fs");
	bootprof_report();

#ifdef QUILT_TEST_KERNEL
	/* Test kernels (build/test/kernel.elf and its variants) run their suites instead of init. */
	char filter[256];
	if (cmdline_get("ktest", filter, sizeof(filter))) {
		int failures = ktest_run(filter[0] ? filter : "all");
		power_off(failures ? QEMU_EXIT_FAILURE : QEMU_EXIT_SUCCESS);
	}
#endif

	start_init();
}
