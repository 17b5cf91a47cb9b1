// SPDX-License-Identifier: MIT
// Exceptions taken on purpose through the recoverable probes: each must be
// delivered to the trap path with the right vector, error code and address.
#include "arch/x86_64/arch.h"
#include "kernel/test/ktest.h"

KTEST(trap, page_fault_recovered)
{
	uint64_t v = 0, vec, err, cr2;
	/* Lower half is unmapped in the kernel's tables after boot. */
	KEXPECT_EQ(arch_probe_read64(0x1000, &v), -14);
	arch_last_fixup(&vec, &err, &cr2);
	KEXPECT_EQ(vec, 14);
	KEXPECT_EQ(cr2, 0x1000);
	KEXPECT_EQ(err & 1, 0); /* not-present fault */
	KEXPECT_EQ(v, 0);
}

KTEST(trap, write_to_rodata_faults)
{
	static const uint64_t constant = 7;
	uint64_t vec, err, cr2;
	KEXPECT_EQ(arch_probe_write64((uint64_t)&constant, 8), -14);
	arch_last_fixup(&vec, &err, &cr2);
	KEXPECT_EQ(vec, 14);
	KEXPECT_EQ(cr2, (uint64_t)&constant);
	KEXPECT_EQ(err & 3, 3); /* present + write */
	KEXPECT_EQ(*(volatile const uint64_t *)&constant, 7);
}

KTEST(trap, general_protection_recovered)
{
	uint64_t v, vec, err, cr2;
	/* A non-canonical address raises #GP, not #PF. */
	KEXPECT_EQ(arch_probe_read64(0x0000800000000000ULL, &v), -14);
	arch_last_fixup(&vec, &err, &cr2);
	KEXPECT_EQ(vec, 13);
}

KTEST(trap, divide_error_recovered)
{
	uint64_t q = 99, vec, err, cr2;
	KEXPECT_EQ(arch_probe_divide(10, 0, &q), -14);
	arch_last_fixup(&vec, &err, &cr2);
	KEXPECT_EQ(vec, 0);
	KEXPECT_EQ(q, 99);
	KEXPECT_EQ(arch_probe_divide(10, 3, &q), 0);
	KEXPECT_EQ(q, 3);
}

KTEST(trap, probe_reads_mapped_memory)
{
	static uint64_t value = 0x1122334455667788ULL;
	uint64_t v = 0;
	KEXPECT_EQ(arch_probe_read64((uint64_t)&value, &v), 0);
	KEXPECT_EQ(v, 0x1122334455667788ULL);
}
