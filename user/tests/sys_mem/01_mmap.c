// SPDX-License-Identifier: MIT
// sys_mem: 19 MMAP: /dev/zero and /dev/one pages, argument checks, fixed and kernel-placed addresses.
#include "user/tests/sys_mem/sys_mem.h"

/* ================================================================== child roles */

int child_ro_write(int argc, char **argv)
{
	uint8_t *p = mmap(zero(), NULL, P, PROT_READ);
	if (!p)
		return 2;
	for (uint64_t i = 0; i < P; i++)
		if (((volatile uint8_t *)p)[i] != 0)
			return 3;
	((volatile uint8_t *)p)[100] = 1;
	return NO_FAULT_STATUS;
}

/* ================================================================== 19 MMAP */

KTAP_TEST(mmap_zero_page_aligned_zero_writable)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, P, RW);
	TASSERT(p != NULL);
	TEXPECT_EQ((uint64_t)p % P, 0);
	TEXPECT((uint64_t)p >= TU_USER_MIN && (uint64_t)p + P <= TU_USER_MAX);
	TEXPECT(all_bytes(p, P, 0));
	TASSERT(kernel_can_write(p)); /* before our own writes: see the header comment */
	memset(p, 0xA5, P);
	TEXPECT(all_bytes(p, P, 0xA5));
	TEXPECT(munmap(p, P) == p);
}

KTAP_TEST(mmap_zero_16_pages_zero_and_distinct)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, 16 * P, RW);
	TASSERT(p != NULL);
	TEXPECT(all_bytes(p, 16 * P, 0));
	TASSERT(writable(p, 16 * P));
	for (int i = 0; i < 16; i++)
		memset(p + (uint64_t)i * P, i + 1, P);
	for (int i = 0; i < 16; i++)
		TEXPECT(all_bytes(p + (uint64_t)i * P, P, (uint8_t)(i + 1)));
	TEXPECT(munmap(p, 16 * P) == p);
}

KTAP_TEST(mmap_length_rounds_up_to_pages)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, P + 1, RW); /* two pages */
	TASSERT(p != NULL);
	TEXPECT(kernel_can_write(p + 2 * P - 8));
	TEXPECT(page_mapped(p + P, RW));
	TEXPECT(munmap(p, 2 * P) == p);
}

KTAP_TEST(mmap_prot_invalid_einval)
{
	NEED_ZERO();
	static const uint32_t bad[] = { 0, 2, 4, 5, 6, 7, 8, 9, 0x10, 0x80000001u };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		TEXPECT_NULL_ERR(mmap(zero(), NULL, P, bad[i]), EINVAL);
}

KTAP_TEST(mmap_prot_upper_bits_ignored)
{
	NEED_ZERO();
	uint64_t p = syscall4(SYS_MMAP, zero(), 0, P, 0x100000003ull);
	TASSERT(p != 0);
	TEXPECT(kernel_can_write((void *)p));
	munmap((void *)p, P);
	p = syscall4(SYS_MMAP, zero(), 0, P, 0xFFFFFFFF00000001ull);
	TASSERT(p != 0);
	TEXPECT(!kernel_can_write((void *)p)); /* PROT_READ */
	munmap((void *)p, P);
	TEXPECT_RAW_NULL_ERR(syscall4(SYS_MMAP, zero(), 0, P, 0x100000000ull), EINVAL);
}

KTAP_TEST(mmap_length_0_einval)
{
	NEED_ZERO();
	TEXPECT_NULL_ERR(mmap(zero(), NULL, 0, RW), EINVAL);
	TEXPECT_NULL_ERR(mmap(zero(), NULL, 0, PROT_READ), EINVAL);
}

KTAP_TEST(mmap_read_only_descriptor_eacces)
{
	fd_t fd = open("/dev/zero:r");
	TASSERT(fd != ERR);
	TEXPECT_NULL_ERR(mmap(fd, NULL, P, RW), EACCES);
	uint8_t *p = mmap(fd, NULL, P, PROT_READ);
	TEXPECT(p != NULL);
	if (p)
		munmap(p, P);
	close(fd);
}

KTAP_TEST(mmap_write_only_descriptor_eacces)
{
	fd_t fd = open("/dev/zero:w");
	TASSERT(fd != ERR);
	TEXPECT_NULL_ERR(mmap(fd, NULL, P, PROT_READ), EACCES);
	TEXPECT_NULL_ERR(mmap(fd, NULL, P, RW), EACCES);
	close(fd);
}

KTAP_TEST(mmap_bad_descriptor_ebadf_and_check_order)
{
	TEXPECT_NULL_ERR(mmap(9999, NULL, P, PROT_READ), EBADF);
	TEXPECT_NULL_ERR(mmap(FD_NONE, NULL, P, RW), EBADF);
	TEXPECT_NULL_ERR(mmap(64, NULL, P, RW), EBADF);
	/* Error order (§7.19): address range, then prot, then the descriptor. */
	TEXPECT_NULL_ERR(mmap(9999, NULL, P, 0), EINVAL);
	TEXPECT_NULL_ERR(mmap(9999, (void *)0x1000, P, 0), EFAULT);
	TEXPECT_NULL_ERR(mmap(9999, (void *)(UINT64_MAX - 10), 100, 0), EOVERFLOW);
}

KTAP_TEST(mmap_unmappable_objects)
{
	fd_t null = open("/dev/null");
	TASSERT(null != ERR);
	TEXPECT_NULL_ERR(mmap(null, NULL, P, PROT_READ), ENOSYS);
	close(null);
	fd_t dir = open("/:d");
	TASSERT(dir != ERR);
	TEXPECT_NULL_ERR(mmap(dir, NULL, P, PROT_READ), EISDIR);
	close(dir);
}

KTAP_TEST(mmap_fixed_below_user_min_efault)
{
	NEED_ZERO();
	TEXPECT_NULL_ERR(mmap(zero(), (void *)0x1000, P, RW), EFAULT);
	TEXPECT_NULL_ERR(mmap(zero(), (void *)1, P, RW), EFAULT);
	TEXPECT_NULL_ERR(mmap(zero(), (void *)(TU_USER_MIN - P), 2 * P, RW), EFAULT);
}

KTAP_TEST(mmap_fixed_crossing_user_max_efault)
{
	NEED_ZERO();
	TEXPECT_NULL_ERR(mmap(zero(), (void *)(TU_USER_MAX - P), 2 * P, RW), EFAULT);
	TEXPECT_NULL_ERR(mmap(zero(), (void *)TU_USER_MAX, P, RW), EFAULT);
}

KTAP_TEST(mmap_fixed_wrapping_eoverflow)
{
	NEED_ZERO();
	TEXPECT_NULL_ERR(mmap(zero(), (void *)(UINT64_MAX - 10), 100, RW), EOVERFLOW);
}

KTAP_TEST(mmap_fixed_kernel_and_noncanonical_efault)
{
	NEED_ZERO();
	TEXPECT_NULL_ERR(mmap(zero(), (void *)TU_KERNEL_ADDR, P, RW), EFAULT);
	TEXPECT_NULL_ERR(mmap(zero(), (void *)TU_NONCANONICAL, P, RW), EFAULT);
}

KTAP_TEST(mmap_fixed_replaces_existing_mapping)
{
	NEED_ZERO();
	NEED_ONE();
	uint8_t *p = map_hole(2);
	TASSERT(p == (uint8_t *)HOLE);
	TASSERT(writable(p, 2 * P));
	memset(p, 0xAA, 2 * P);
	TEXPECT(mmap(zero(), p, P, RW) == p);
	TEXPECT(all_bytes(p, P, 0));
	TEXPECT(all_bytes(p + P, P, 0xAA)); /* only the covered page was replaced */
	/* Replacing a writable page by a read-only /dev/one page. */
	TEXPECT(mmap(one(), p + P, P, PROT_READ) == p + P);
	TEXPECT(all_bytes(p + P, P, 0xFF));
	TEXPECT(!kernel_can_write(p + P));
	munmap(p, 2 * P);
}

KTAP_TEST(mmap_fixed_unaligned_returns_page_start)
{
	NEED_ZERO();
	uint8_t *base = map_hole(2);
	TASSERT(base == (uint8_t *)HOLE);
	TASSERT(writable(base, 2 * P));
	memset(base, 0xAA, 2 * P);
	TEXPECT(mmap(zero(), base + 0x123, 100, RW) == base);
	TEXPECT(all_bytes(base, P, 0)); /* the whole page, not only the 100 bytes (§11 row 23) */
	TEXPECT(all_bytes(base + P, P, 0xAA));
	munmap(base, 2 * P);
}

KTAP_TEST(mmap_fixed_unaligned_spanning_two_pages)
{
	NEED_ZERO();
	uint8_t *base = map_hole(3);
	TASSERT(base == (uint8_t *)HOLE);
	TASSERT(writable(base, 3 * P));
	memset(base, 0xAA, 3 * P);
	TEXPECT(mmap(zero(), base + P - 96, 200, RW) == base);
	TEXPECT(all_bytes(base, 2 * P, 0));
	TEXPECT(all_bytes(base + 2 * P, P, 0xAA));
	munmap(base, 3 * P);
}

KTAP_TEST(mmap_huge_enomem)
{
	NEED_ZERO();
	TEXPECT_NULL_ERR(mmap(zero(), NULL, 1ull << 46, RW), ENOMEM);
	TEXPECT_NULL_ERR(mmap(zero(), NULL, 1ull << 46, PROT_READ), ENOMEM);
}

KTAP_TEST(mmap_read_only_reads_zero)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, 4 * P, PROT_READ);
	TASSERT(p != NULL);
	TEXPECT(all_bytes(p, 4 * P, 0));
	TEXPECT_ERR(unix_epoch((time_t *)(p + P)), EFAULT);
	TEXPECT(all_bytes(p, 4 * P, 0));
	munmap(p, 4 * P);
}

KTAP_TEST(mmap_read_only_write_kills_child)
{
	EXPECT_ROLE_STATUS(TU_FAULT_STATUS, "child-ro-write");
}

KTAP_TEST(mmap_one_reads_ff)
{
	NEED_ONE();
	uint8_t *p = mmap(one(), NULL, 3 * P, RW);
	TASSERT(p != NULL);
	TEXPECT(all_bytes(p, 3 * P, 0xFF));
	TASSERT(writable(p, 3 * P));
	memset(p, 0, 3 * P);
	TEXPECT(all_bytes(p, 3 * P, 0));
	munmap(p, 3 * P);
}

KTAP_TEST(mmap_one_unaligned_fixed_whole_page_ff)
{
	NEED_ZERO();
	NEED_ONE();
	uint8_t *base = map_hole(2);
	TASSERT(base == (uint8_t *)HOLE);
	TEXPECT(mmap(one(), base + 0x123, 100, RW) == base);
	TEXPECT(all_bytes(base, P, 0xFF));
	TEXPECT(all_bytes(base + P, P, 0));
	munmap(base, 2 * P);
}

KTAP_TEST(mmap_one_read_only_ff)
{
	NEED_ONE();
	uint8_t *p = mmap(one(), NULL, 2 * P, PROT_READ);
	TASSERT(p != NULL);
	TEXPECT(all_bytes(p, 2 * P, 0xFF));
	TEXPECT(!kernel_can_write(p));
	munmap(p, 2 * P);
}

KTAP_TEST(mmap_survives_closing_the_descriptor)
{
	fd_t fd = open("/dev/zero");
	TASSERT(fd != ERR);
	uint8_t *p = mmap(fd, NULL, 2 * P, RW);
	TASSERT(p != NULL);
	TEXPECT_EQ(close(fd), 0);
	TASSERT(writable(p, 2 * P));
	memset(p, 0x3C, 2 * P);
	TEXPECT(all_bytes(p, 2 * P, 0x3C));
	TEXPECT(munmap(p, 2 * P) == p);
}

KTAP_TEST(mmap_kernel_placed_mappings_disjoint)
{
	NEED_ZERO();
	uint8_t *maps[8];
	uint64_t sizes[8];
	for (int i = 0; i < 8; i++) {
		sizes[i] = (uint64_t)(1 + i % 5) * P;
		maps[i] = mmap(zero(), NULL, sizes[i], RW);
		TASSERT(maps[i] != NULL);
		TEXPECT_EQ((uint64_t)maps[i] % P, 0);
		TEXPECT((uint64_t)maps[i] >= TU_USER_MIN && (uint64_t)maps[i] + sizes[i] <= TU_USER_MAX);
		TASSERT(writable(maps[i], sizes[i]));
		memset(maps[i], 0x10 + i, sizes[i]);
	}
	for (int i = 0; i < 8; i++) {
		TEXPECT(all_bytes(maps[i], sizes[i], (uint8_t)(0x10 + i)));
		for (int j = 0; j < i; j++)
			TEXPECT(maps[i] + sizes[i] <= maps[j] || maps[j] + sizes[j] <= maps[i]);
	}
	for (int i = 0; i < 8; i++)
		munmap(maps[i], sizes[i]);
}
