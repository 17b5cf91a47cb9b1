// SPDX-License-Identifier: MIT
// Harness self-checks: built only into the selfcheck kernel (-DQUILT_SELFCHECK).
// The runner boots them on purpose and must report each one as a failure;
// if it ever reports them as passing, the harness itself is broken.
#include "arch/x86_64/arch.h"
#include "kernel/log/log.h"
#include "kernel/test/ktest.h"

#ifdef QUILT_SELFCHECK

KTEST(selfcheck, fail)
{
	KEXPECT_EQ(1 + 1, 3);
}

KTEST(selfcheck, panic)
{
	panic("selfcheck: deliberate panic");
}

static void panic_here(void *arg)
{
	panic("selfcheck: deliberate panic on an AP");
}

KTEST(selfcheck, panic_on_ap)
{
	if (arch_cpu_count() < 2)
		KTEST_SKIP("needs two CPUs");
	arch_run_on_cpu(1, panic_here, NULL, true);
}

#endif
