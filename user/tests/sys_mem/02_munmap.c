// SPDX-License-Identifier: MIT
// sys_mem: 20 MUNMAP: pages gone after it, ranges with holes, unaligned ranges, neighbours kept.
#include "user/tests/sys_mem/sys_mem.h"

/* ================================================================== child roles */

int child_unmap_touch(int argc, char **argv)
{
	bool write = strcmp(argv[1], "child-unmap-write") == 0;
	uint8_t *p = mmap(zero(), NULL, P, RW);
	if (!p)
		return 2;
	p[0] = 1;
	if (munmap(p, P) != p)
		return 3;
	if (write)
		((volatile uint8_t *)p)[0] = 2;
	else
		(void)((volatile uint8_t *)p)[0];
	return NO_FAULT_STATUS;
}

/* Map three pages filled 1, 2, 3 and unmap the middle one. */
static uint8_t *three_pages_without_middle(void)
{
	uint8_t *p = mmap(zero(), NULL, 3 * P, RW);
	if (!p)
		return NULL;
	for (int i = 0; i < 3; i++)
		memset(p + (uint64_t)i * P, i + 1, P);
	return munmap(p + P, P) == p + P ? p : NULL;
}

int child_unmap_middle_touch(int argc, char **argv)
{
	uint8_t *p = three_pages_without_middle();
	if (!p)
		return 2;
	(void)((volatile uint8_t *)p)[P + 1];
	return NO_FAULT_STATUS;
}

int child_unmap_middle_neighbours(int argc, char **argv)
{
	uint8_t *p = three_pages_without_middle();
	if (!p)
		return 2;
	for (uint64_t i = 0; i < P; i++)
		if (p[i] != 1 || p[2 * P + i] != 3)
			return 3;
	memset(p, 0x11, P);
	memset(p + 2 * P, 0x33, P);
	for (uint64_t i = 0; i < P; i++)
		if (((volatile uint8_t *)p)[i] != 0x11 || ((volatile uint8_t *)p)[2 * P + i] != 0x33)
			return 4;
	return 0;
}

/* ================================================================== 20 MUNMAP */

KTAP_TEST(munmap_then_read_kills_child)
{
	EXPECT_ROLE_STATUS(TU_FAULT_STATUS, "child-unmap-read");
}

KTAP_TEST(munmap_then_write_kills_child)
{
	EXPECT_ROLE_STATUS(TU_FAULT_STATUS, "child-unmap-write");
}

KTAP_TEST(munmap_removes_mapping)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, P, RW);
	TASSERT(p != NULL);
	TEXPECT(munmap(p, P) == p);
	TEXPECT(!page_mapped(p, RW));
	TEXPECT(!kernel_can_write(p));
}

KTAP_TEST(munmap_never_mapped_range_succeeds)
{
	munmap((void *)HOLE, 16 * P);
	TEXPECT(munmap((void *)HOLE, 16 * P) == (void *)HOLE);
	TEXPECT(munmap((void *)(HOLE + 5 * P + 7), 1) == (void *)(HOLE + 5 * P));
}

KTAP_TEST(munmap_range_with_holes_succeeds)
{
	NEED_ZERO();
	uint8_t *p = map_hole(4);
	TASSERT(p == (uint8_t *)HOLE);
	TASSERT(munmap(p + P, P) == p + P);
	TEXPECT(munmap(p, 4 * P) == p);
	for (int i = 0; i < 4; i++)
		TEXPECT(!page_mapped(p + (uint64_t)i * P, RW));
}

KTAP_TEST(munmap_null_efault)
{
	TEXPECT_NULL_ERR(munmap(NULL, P), EFAULT);
}

KTAP_TEST(munmap_length_0_einval)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, P, RW);
	TASSERT(p != NULL);
	TEXPECT_NULL_ERR(munmap(p, 0), EINVAL);
	TEXPECT(page_mapped(p, RW)); /* nothing happened */
	munmap(p, P);
}

KTAP_TEST(munmap_bad_ranges_efault)
{
	TEXPECT_NULL_ERR(munmap((void *)TU_KERNEL_ADDR, P), EFAULT);
	TEXPECT_NULL_ERR(munmap((void *)TU_NONCANONICAL, P), EFAULT);
	TEXPECT_NULL_ERR(munmap((void *)0x1000, P), EFAULT);
	TEXPECT_NULL_ERR(munmap((void *)(TU_USER_MAX - P), 2 * P), EFAULT);
	/* MUNMAP folds every range failure, wrapping included, into EFAULT (§7.20). */
	TEXPECT_NULL_ERR(munmap((void *)(UINT64_MAX - 10), 100), EFAULT);
}

KTAP_TEST(munmap_unaligned_returns_page_start)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, 2 * P, RW);
	TASSERT(p != NULL);
	TASSERT(writable(p, 2 * P));
	memset(p, 0x66, 2 * P);
	TEXPECT(munmap(p + 5, 10) == p);
	TEXPECT(!page_mapped(p, RW));
	TEXPECT(page_mapped(p + P, RW));
	TEXPECT(all_bytes(p + P, P, 0x66));
	munmap(p + P, P);
}

KTAP_TEST(munmap_middle_page_keeps_neighbours)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, 3 * P, RW);
	TASSERT(p != NULL);
	TASSERT(writable(p, 3 * P));
	for (int i = 0; i < 3; i++)
		memset(p + (uint64_t)i * P, i + 1, P);
	TEXPECT(munmap(p + P, P) == p + P);
	TEXPECT(!page_mapped(p + P, RW));
	TEXPECT(all_bytes(p, P, 1));
	TEXPECT(all_bytes(p + 2 * P, P, 3));
	TEXPECT(kernel_can_write(p + 8));
	TEXPECT(kernel_can_write(p + 2 * P + 8));
	munmap(p, 3 * P);
	EXPECT_ROLE_STATUS(0, "child-unmap-middle-neighbours");
}

KTAP_TEST(munmap_middle_page_touch_kills_child)
{
	EXPECT_ROLE_STATUS(TU_FAULT_STATUS, "child-unmap-middle-touch");
}
