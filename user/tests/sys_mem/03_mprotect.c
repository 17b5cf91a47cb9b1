// SPDX-License-Identifier: MIT
// sys_mem: 21 MPROTECT: read-only and read-write changes, PROT_NONE as munmap, holes and bad arguments.
#include "user/tests/sys_mem/sys_mem.h"

/* ================================================================== child roles */

int child_mprotect_ro_write(int argc, char **argv)
{
	uint8_t *p = mmap(zero(), NULL, P, RW);
	if (!p)
		return 2;
	memset(p, 0x5A, P);
	if (mprotect(p, P, PROT_READ) != p)
		return 3;
	if (((volatile uint8_t *)p)[7] != 0x5A)
		return 4;
	((volatile uint8_t *)p)[7] = 0;
	return NO_FAULT_STATUS;
}

int child_mprotect_rw_write(int argc, char **argv)
{
	uint8_t *p = mmap(zero(), NULL, 2 * P, PROT_READ);
	if (!p)
		return 2;
	if (mprotect(p, 2 * P, RW) != p)
		return 3;
	memset(p, 0x77, 2 * P);
	for (uint64_t i = 0; i < 2 * P; i++)
		if (((volatile uint8_t *)p)[i] != 0x77)
			return 4;
	return 0;
}

int child_mprotect_none_touch(int argc, char **argv)
{
	uint8_t *p = mmap(zero(), NULL, P, RW);
	if (!p)
		return 2;
	p[0] = 1;
	if (mprotect(p, P, PROT_NONE) != p)
		return 3;
	(void)((volatile uint8_t *)p)[0];
	return NO_FAULT_STATUS;
}

int child_mprotect_bad_prot_write(int argc, char **argv)
{
	uint8_t *p = mmap(zero(), NULL, P, RW);
	if (!p)
		return 2;
	p[0] = 1;
	if (mprotect(p, P, PROT_EXECUTE) != NULL || errno != EINVAL)
		return 3;
	((volatile uint8_t *)p)[0] = 2;
	return ((volatile uint8_t *)p)[0] == 2 ? 0 : 4;
}

/* ================================================================== 21 MPROTECT */

KTAP_TEST(mprotect_rw_to_r_keeps_content_refuses_kernel_writes)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, P, RW);
	TASSERT(p != NULL);
	TASSERT(writable(p, P));
	memset(p, 0x5A, P);
	TEXPECT(mprotect(p, P, PROT_READ) == p);
	TEXPECT(all_bytes(p, P, 0x5A));
	TEXPECT_ERR(unix_epoch((time_t *)p), EFAULT);
	TEXPECT(all_bytes(p, P, 0x5A));
	munmap(p, P);
}

KTAP_TEST(mprotect_rw_to_r_write_kills_child)
{
	EXPECT_ROLE_STATUS(TU_FAULT_STATUS, "child-mprotect-ro-write");
}

KTAP_TEST(mprotect_r_to_rw_write_works)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, P, PROT_READ);
	TASSERT(p != NULL);
	TEXPECT(!kernel_can_write(p));
	TEXPECT(mprotect(p, P, RW) == p);
	TEXPECT(kernel_can_write(p));
	munmap(p, P);
	EXPECT_ROLE_STATUS(0, "child-mprotect-rw-write");
}

KTAP_TEST(mprotect_none_unmaps_then_enoent)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, P, RW);
	TASSERT(p != NULL);
	TEXPECT(mprotect(p, P, PROT_NONE) == p);
	TEXPECT_NULL_ERR(mprotect(p, P, PROT_READ), ENOENT);
	TEXPECT_NULL_ERR(mprotect(p, P, RW), ENOENT);
	/* PROT_NONE is munmap: again on the now-empty range still succeeds. */
	TEXPECT(mprotect(p, P, PROT_NONE) == p);
}

KTAP_TEST(mprotect_none_then_touch_kills_child)
{
	EXPECT_ROLE_STATUS(TU_FAULT_STATUS, "child-mprotect-none-touch");
}

KTAP_TEST(mprotect_invalid_prot_einval_mapping_intact)
{
	NEED_ZERO();
	static const uint32_t bad[] = { 2, 4, 5, 6, 7, 8, 0x11 };
	uint8_t *p = mmap(zero(), NULL, 2 * P, RW);
	TASSERT(p != NULL);
	TASSERT(writable(p, 2 * P));
	memset(p, 0x24, 2 * P);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		TEXPECT_NULL_ERR(mprotect(p, 2 * P, bad[i]), EINVAL);
	TEXPECT(all_bytes(p, 2 * P, 0x24));
	TEXPECT(kernel_can_write(p) && kernel_can_write(p + P));
	TEXPECT(page_mapped(p, RW) && page_mapped(p + P, RW));
	munmap(p, 2 * P);
	EXPECT_ROLE_STATUS(0, "child-mprotect-bad-prot-write");
}

KTAP_TEST(mprotect_half_mapped_enoent_no_change)
{
	NEED_ZERO();
	uint8_t *p = map_hole(4);
	TASSERT(p == (uint8_t *)HOLE);
	/* Pages 1 and 2 mapped RW; 0 and 3 holes. */
	TASSERT(munmap(p, P) == p);
	TASSERT(munmap(p + 3 * P, P) == p + 3 * P);
	TASSERT(writable(p + P, 2 * P));
	memset(p + P, 0x42, 2 * P);
	TEXPECT_NULL_ERR(mprotect(p, 3 * P, PROT_READ), ENOENT);     /* hole first */
	TEXPECT_NULL_ERR(mprotect(p + P, 3 * P, PROT_READ), ENOENT); /* hole last */
	TEXPECT(all_bytes(p + P, 2 * P, 0x42));
	/* Still writable: PW would have made page 1 read-only before failing (§11 row 26). */
	TEXPECT(kernel_can_write(p + P) && kernel_can_write(p + 2 * P));
	TEXPECT(!page_mapped(p, PROT_READ) && !page_mapped(p + 3 * P, PROT_READ));
	munmap(p, 4 * P);
}

KTAP_TEST(mprotect_unmapped_range_enoent)
{
	munmap((void *)HOLE, 4 * P);
	TEXPECT_NULL_ERR(mprotect((void *)HOLE, 4 * P, PROT_READ), ENOENT);
	TEXPECT_NULL_ERR(mprotect((void *)HOLE, 4 * P, RW), ENOENT);
}

KTAP_TEST(mprotect_length_0_einval)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, P, RW);
	TASSERT(p != NULL);
	TEXPECT_NULL_ERR(mprotect(p, 0, PROT_READ), EINVAL);
	TEXPECT_NULL_ERR(mprotect(p, 0, PROT_NONE), EINVAL);
	TEXPECT(kernel_can_write(p));
	munmap(p, P);
}

KTAP_TEST(mprotect_null_einval)
{
	TEXPECT_NULL_ERR(mprotect(NULL, P, PROT_READ), EINVAL);
}

KTAP_TEST(mprotect_bad_ranges)
{
	TEXPECT_NULL_ERR(mprotect((void *)(UINT64_MAX - 10), 100, PROT_READ), EOVERFLOW);
	TEXPECT_NULL_ERR(mprotect((void *)TU_KERNEL_ADDR, P, PROT_READ), EFAULT);
	TEXPECT_NULL_ERR(mprotect((void *)TU_NONCANONICAL, P, PROT_READ), EFAULT);
	TEXPECT_NULL_ERR(mprotect((void *)0x1000, P, PROT_READ), EFAULT);
	TEXPECT_NULL_ERR(mprotect((void *)(TU_USER_MAX - P), 2 * P, PROT_READ), EFAULT);
}

KTAP_TEST(mprotect_unaligned_returns_page_start)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, 2 * P, RW);
	TASSERT(p != NULL);
	TEXPECT(mprotect(p + 5, 10, PROT_READ) == p);
	TEXPECT(!kernel_can_write(p));
	TEXPECT(kernel_can_write(p + P));
	TEXPECT(mprotect(p + P - 1, 2, PROT_READ) == p); /* touches both pages */
	TEXPECT(!kernel_can_write(p + P));
	munmap(p, 2 * P);
}

KTAP_TEST(mprotect_prot_upper_bits_ignored)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, P, RW);
	TASSERT(p != NULL);
	TEXPECT_EQ(syscall3(SYS_MPROTECT, (uint64_t)p, P, 0xABCD000000000001ull), (uint64_t)p);
	TEXPECT(!kernel_can_write(p));
	TEXPECT_EQ(syscall3(SYS_MPROTECT, (uint64_t)p, P, 0x100000003ull), (uint64_t)p);
	TEXPECT(kernel_can_write(p));
	TEXPECT_RAW_NULL_ERR(syscall3(SYS_MPROTECT, (uint64_t)p, P, 0x100000004ull), EINVAL);
	TEXPECT(page_mapped(p, RW)); /* the invalid request changed nothing */
	munmap(p, P);
}
