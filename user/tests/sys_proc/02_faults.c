// SPDX-License-Identifier: MIT
// sys_proc: user faults: a CPU exception ends the whole process with status 14 (spec §9.3).
#include "user/tests/sys_proc/sys_proc.h"

/* Status of a fault child whose faulting instruction did not fault. */
#define NO_FAULT_STATUS 99

/* ================================================================== child roles */

/* Faults: each is a real CPU exception (inline assembly, so no compiler can fold it away). */
int child_fault_null(int argc, char **argv)
{
	__asm__ volatile("movq $1, (%0)" : : "r"(0ull) : "memory");
	return NO_FAULT_STATUS;
}

int child_fault_ud2(int argc, char **argv)
{
	__asm__ volatile("ud2");
	return NO_FAULT_STATUS;
}

int child_fault_div0(int argc, char **argv)
{
	__asm__ volatile("xorl %%ecx, %%ecx\n\t"
			 "movl $1, %%eax\n\t"
			 "cltd\n\t"
			 "idivl %%ecx"
			 :
			 :
			 : "eax", "ecx", "edx", "cc");
	return NO_FAULT_STATUS;
}

int child_fault_kernel(int argc, char **argv)
{
	uint64_t v;
	__asm__ volatile("movq (%1), %0" : "=r"(v) : "r"(TU_KERNEL_ADDR) : "memory");
	return NO_FAULT_STATUS;
}

int child_fault_noncanonical(int argc, char **argv)
{
	uint64_t v;
	__asm__ volatile("movq (%1), %0" : "=r"(v) : "r"(TU_NONCANONICAL) : "memory");
	return NO_FAULT_STATUS;
}

static void fault_now(void *arg)
{
	__asm__ volatile("movq $1, (%0)" : : "r"(0ull) : "memory");
}

/* child-fault-in-thread: a secondary thread faults while main sleeps: the whole process ends, 14. */
int child_fault_in_thread(int argc, char **argv)
{
	static struct tu_thread t;
	if (!tu_thread_start(&t, fault_now, NULL))
		return 97;
	nanosleep(15 * TU_SEC); /* ended by the fault long before; only a missing fault waits this out */
	return NO_FAULT_STATUS;
}

/* ================================================================== user faults */

KTAP_TEST(user_fault_null_write_status_14)
{
	EXPECT_ROLE_STATUS(TU_FAULT_STATUS, "child-fault-null");
}

KTAP_TEST(user_fault_ud2_status_14)
{
	EXPECT_ROLE_STATUS(TU_FAULT_STATUS, "child-fault-ud2");
}

KTAP_TEST(user_fault_divide_by_zero_status_14)
{
	EXPECT_ROLE_STATUS(TU_FAULT_STATUS, "child-fault-div0");
}

KTAP_TEST(user_fault_kernel_address_status_14)
{
	EXPECT_ROLE_STATUS(TU_FAULT_STATUS, "child-fault-kernel");
}

KTAP_TEST(user_fault_noncanonical_status_14)
{
	EXPECT_ROLE_STATUS(TU_FAULT_STATUS, "child-fault-noncanonical");
}

KTAP_TEST(user_fault_in_second_thread_ends_process)
{
	EXPECT_ROLE_STATUS(TU_FAULT_STATUS, "child-fault-in-thread");
}

KTAP_TEST(parent_survives_faulting_children)
{
	/* After all those faults: this process still runs and can still spawn. */
	EXPECT_ROLE_STATUS(7, "child-exit-raw", "7");
}
