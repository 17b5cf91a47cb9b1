// SPDX-License-Identifier: MIT
// Exceptions taken on purpose through the recoverable probes: each must be
// delivered to the trap path with the right vector, error code and address.
#include "arch/x86_64/arch.h"
#include "arch/x86_64/test/arch_test.h"
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

static bool smap_on(void)
{
	struct arch_cpu_state st;
	arch_read_cpu_state(&st);
	return (st.cr4 >> 21) & 1;
}

/*
 * An exception taken inside an open user-access window (AC=1), as a fault in
 * a user copy is: the entry must close the window before any C runs (the
 * kernel's entry check counts it otherwise), and IRETQ must give the window
 * back to the interrupted code.
 */
KTEST(trap, kernel_entry_closes_user_access)
{
	if (!smap_on())
		KTEST_SKIP("no SMAP");
	uint64_t leaks = arch_user_access_leaks(), v = 0;
	arch_user_access_begin();
	int r = arch_probe_read64(0x1000, &v); /* #PF, recovered */
	bool open_after = arch_user_access_is_open();
	arch_user_access_end();
	KEXPECT_EQ(r, -14);
	KEXPECT(open_after);
	KEXPECT(!arch_user_access_is_open());
	KEXPECT_EQ(arch_user_access_leaks(), leaks);
}

/*
 * Paranoid entry (NMI, #DF, #MC): GS is decided from IA32_GS_BASE, not from
 * the saved CS. `int $2` from kernel mode while the user GS is loaded is the
 * state an NMI finds right after the SYSCALL entry's swapgs (kernel CS, user
 * GS). The handler must reach this CPU's block (it counts the NMI there) and
 * must leave the user GS loaded, exactly as it found it.
 */
KTEST(trap, nmi_entry_with_user_gs)
{
	struct arch_nmi_probe p;
	arch_probe_nmi(true, 0x0000000000401000ULL, &p);
	KEXPECT_EQ(p.gs_base_after, 0x0000000000401000ULL); /* the user value still loaded after iretq */
	KEXPECT_EQ(p.nmi_count_after, p.nmi_count_before + 1);
	/* And with the kernel GS loaded (an NMI anywhere else in the kernel): nothing swapped. */
	arch_probe_nmi(false, 0, &p);
	KEXPECT_EQ(p.nmi_count_after, p.nmi_count_before + 1);
	KEXPECT(p.gs_base_after >= 0xFFFF800000000000ULL);
}
