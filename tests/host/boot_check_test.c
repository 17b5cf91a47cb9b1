// SPDX-License-Identifier: MIT
// Host tests of kernel/boot_check.c: a valid hand-over, then one broken field per test.
#include <stdlib.h>

#include "kernel/boot_check.h"
#include "tests/host/htest.h"

#define PAGE  4096ULL
#define NMAP  5

/* A plausible hand-over: the map lives in an exactly sized heap array (ASan). */
struct fixture {
	struct boot_info bi;
	struct boot_mem_entry *map;
};

static const struct boot_mem_entry valid_map[NMAP] = {
	{ .base = 0x0, .npages = 0x9f, .type = BOOT_MEM_USABLE },
	{ .base = 0x100000, .npages = 0x100, .type = BOOT_MEM_KERNEL },
	{ .base = 0x200000, .npages = 0x3000, .type = BOOT_MEM_USABLE }, /* touches the kernel */
	{ .base = 0x3200000, .npages = 0x10, .type = BOOT_MEM_LOADER_DATA },
	{ .base = 0xfee00000, .npages = 1, .type = BOOT_MEM_MMIO },
};

static struct fixture *fixture_new(void)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->map = malloc(sizeof(valid_map));
	memcpy(f->map, valid_map, sizeof(valid_map));
	f->bi.magic = BOOT_INFO_MAGIC;
	f->bi.version = BOOT_INFO_VERSION;
	f->bi.size = sizeof(struct boot_info);
	f->bi.mem_map = 0x3200000;
	f->bi.mem_map_count = NMAP;
	f->bi.kernel_phys = 0x100000;
	f->bi.kernel_size = 0x100000;
	f->bi.kernel_virt = BOOT_KERNEL_BASE;
	f->bi.pml4 = 0x3201000;
	f->bi.identity_end = 0x100000000ULL;
	strcpy(f->bi.cmdline, "quiet -- /bin/sh");
	strcpy(f->bi.firmware_vendor, "EDK II");
	return f;
}

/* The reason boot_info_check gives, or NULL when it accepts (and the result agrees with it). */
static const char *check(struct fixture *f)
{
	const char *why = "not set";
	int r = boot_info_check(&f->bi, f->map, &why);
	return (r == 0) == (why == NULL) ? why : "result and reason disagree";
}

static void fixture_free(struct fixture *f)
{
	free(f->map);
	free(f);
}

/* The check must fail, and its message must name the problem. */
#define HEXPECT_REJECT(f, word)                                                      \
	do {                                                                         \
		const char *why_ = check(f);                                         \
		HEXPECT(why_ != NULL);                                               \
		if (why_ && !strstr(why_, word))                                     \
			htest_fail(ctx, __FILE__, __LINE__, "reason \"%s\" lacks \"%s\"", \
				   why_, word);                                      \
	} while (0)

HTEST(boot_check, valid_accepted)
{
	struct fixture *f = fixture_new();
	HEXPECT(check(f) == NULL);
	fixture_free(f);
}

HTEST(boot_check, minimal_valid_accepted)
{
	/* one usable entry, full-length strings exactly at their limit */
	struct fixture *f = fixture_new();
	f->bi.mem_map_count = 1;
	memset(f->bi.cmdline, 'c', BOOT_CMDLINE_MAX - 1);
	memset(f->bi.firmware_vendor, 'v', BOOT_VENDOR_MAX - 1);
	HEXPECT(check(f) == NULL);
	fixture_free(f);
}

HTEST(boot_check, bad_magic)
{
	struct fixture *f = fixture_new();
	f->bi.magic = BOOT_INFO_MAGIC ^ 1;
	HEXPECT_REJECT(f, "magic");
	f->bi.magic = 0;
	HEXPECT_REJECT(f, "magic");
	fixture_free(f);
}

HTEST(boot_check, wrong_version)
{
	struct fixture *f = fixture_new();
	f->bi.version = BOOT_INFO_VERSION + 1;
	HEXPECT_REJECT(f, "version");
	f->bi.version = 0;
	HEXPECT_REJECT(f, "version");
	fixture_free(f);
}

HTEST(boot_check, wrong_size)
{
	struct fixture *f = fixture_new();
	f->bi.size = sizeof(struct boot_info) - 8;
	HEXPECT_REJECT(f, "size");
	f->bi.size = sizeof(struct boot_info) + 8;
	HEXPECT_REJECT(f, "size");
	fixture_free(f);
}

HTEST(boot_check, unterminated_cmdline)
{
	struct fixture *f = fixture_new();
	memset(f->bi.cmdline, 'a', BOOT_CMDLINE_MAX);
	HEXPECT_REJECT(f, "unterminated");
	fixture_free(f);
}

HTEST(boot_check, unterminated_vendor)
{
	struct fixture *f = fixture_new();
	memset(f->bi.firmware_vendor, 'v', BOOT_VENDOR_MAX);
	HEXPECT_REJECT(f, "unterminated");
	fixture_free(f);
}

HTEST(boot_check, map_count_implausible)
{
	struct fixture *f = fixture_new();
	f->bi.mem_map_count = 0;
	HEXPECT_REJECT(f, "memory map size");
	/* far more entries than exist: must be refused before the map is read */
	f->bi.mem_map_count = (1u << 16) + 1;
	HEXPECT_REJECT(f, "memory map size");
	f->bi.mem_map_count = UINT64_MAX;
	HEXPECT_REJECT(f, "memory map size");
	fixture_free(f);
}

HTEST(boot_check, map_count_limit_accepted)
{
	struct fixture *f = fixture_new();
	uint64_t n = 1u << 16;
	free(f->map);
	f->map = malloc(n * sizeof(*f->map));
	for (uint64_t i = 0; i < n; i++)
		f->map[i] = (struct boot_mem_entry){ .base = i * 2 * PAGE, .npages = 1, .type = BOOT_MEM_USABLE };
	f->bi.mem_map_count = n;
	HEXPECT(check(f) == NULL);
	fixture_free(f);
}

HTEST(boot_check, kernel_unaligned)
{
	struct fixture *f = fixture_new();
	f->bi.kernel_phys = 0x100800;
	HEXPECT_REJECT(f, "page aligned");
	f->bi.kernel_phys = 0x100000;
	f->bi.kernel_size = 0x100001;
	HEXPECT_REJECT(f, "page aligned");
	f->bi.kernel_size = 0;
	HEXPECT_REJECT(f, "kernel");
	fixture_free(f);
}

HTEST(boot_check, kernel_not_at_link_address)
{
	struct fixture *f = fixture_new();
	f->bi.kernel_virt = BOOT_KERNEL_BASE + PAGE;
	HEXPECT_REJECT(f, "link address");
	f->bi.kernel_virt = BOOT_DIRECT_MAP_BASE + f->bi.kernel_phys;
	HEXPECT_REJECT(f, "link address");
	fixture_free(f);
}

HTEST(boot_check, entry_base_unaligned)
{
	struct fixture *f = fixture_new();
	f->map[3].base += 8;
	HEXPECT_REJECT(f, "not page aligned");
	fixture_free(f);
}

HTEST(boot_check, entry_zero_pages)
{
	struct fixture *f = fixture_new();
	f->map[3].npages = 0;
	HEXPECT_REJECT(f, "size invalid");
	fixture_free(f);
}

HTEST(boot_check, entry_size_overflows)
{
	struct fixture *f = fixture_new();
	/* base + npages * 4096 wraps past 2^64 */
	f->map[4].base = 0xfffffffffff00000ULL;
	f->map[4].npages = 0x101;
	HEXPECT_REJECT(f, "size invalid");
	/* npages * 4096 alone wraps */
	f->map[4].base = 0xfee00000;
	f->map[4].npages = UINT64_MAX / PAGE + 2;
	HEXPECT_REJECT(f, "size invalid");
	f->map[4].npages = UINT64_MAX;
	HEXPECT_REJECT(f, "size invalid");
	fixture_free(f);
}

HTEST(boot_check, entry_near_top_accepted)
{
	struct fixture *f = fixture_new();
	/* ends at 0xfffffffffffff000: the largest representable end */
	f->map[4].base = 0xffffffffffffe000ULL;
	f->map[4].npages = 1;
	HEXPECT(check(f) == NULL);
	fixture_free(f);
}

HTEST(boot_check, entry_unknown_type)
{
	struct fixture *f = fixture_new();
	f->map[3].type = 0;
	HEXPECT_REJECT(f, "unknown type");
	f->map[3].type = BOOT_MEM_LAST + 1;
	HEXPECT_REJECT(f, "unknown type");
	f->map[3].type = 0x80000001u; /* an EFI loader type must not leak through */
	HEXPECT_REJECT(f, "unknown type");
	f->map[3].type = BOOT_MEM_BAD;
	HEXPECT(check(f) == NULL);
	f->map[3].type = BOOT_MEM_BOOT_CODE;
	HEXPECT(check(f) == NULL);
	fixture_free(f);
}

HTEST(boot_check, entries_unsorted)
{
	struct fixture *f = fixture_new();
	struct boot_mem_entry t = f->map[3];
	f->map[3] = f->map[4];
	f->map[4] = t;
	HEXPECT_REJECT(f, "sorted");
	fixture_free(f);
}

HTEST(boot_check, entries_overlapping)
{
	struct fixture *f = fixture_new();
	/* the kernel entry runs one page into the next usable range */
	f->map[1].npages = 0x101;
	HEXPECT_REJECT(f, "overlapping");
	fixture_free(f);
}

HTEST(boot_check, entries_duplicated)
{
	struct fixture *f = fixture_new();
	f->map[3] = f->map[2];
	f->map[3].npages = 1;
	HEXPECT_REJECT(f, "overlapping");
	fixture_free(f);
}

HTEST(boot_check, no_usable_memory)
{
	struct fixture *f = fixture_new();
	f->map[0].type = BOOT_MEM_RESERVED;
	f->map[2].type = BOOT_MEM_BOOT_RECLAIM;
	HEXPECT_REJECT(f, "no usable memory");
	fixture_free(f);
}
