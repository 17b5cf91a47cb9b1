// SPDX-License-Identifier: MIT
// sys_proc: 23 THREAD_CREATE: tids, a new thread's entry state (spec §7.23, §10.3), bad entries, shared memory.
#include "user/tests/sys_proc/sys_proc.h"

/* Checks made in a child process report a bit mask: MASK_MARK | failed bits. */
#define MASK_MARK 0x40000000
#define IS_MASK_STATUS(s) (((s) & (int)0xC0000000) == MASK_MARK)

/*
 * A child role that performs several checks once and reports a mask; the
 * parent runs it the first time one of its tests needs it and then checks
 * one bit per KTAP test.
 */
struct mask_child {
	const char *role;
	bool ran;
	int status;
};

static bool mask_bit_ok(struct mask_child *c, int bit)
{
	if (!c->ran) {
		c->status = RUN_ROLE(c->role);
		c->ran = true;
	}
	if (!IS_MASK_STATUS(c->status)) {
		ktap_fail(__FILE__, __LINE__, "child %s ended with status %d (%#x), not a check report",
			  c->role, c->status, (unsigned)c->status);
		return false;
	}
	if (c->status & (1 << bit)) {
		ktap_fail(__FILE__, __LINE__, "check %d failed in child %s (report %#x; see its diagnostics)",
			  bit, c->role, (unsigned)c->status);
		return false;
	}
	return true;
}

/* Child side of a mask report. */
static int child_mask;

static void child_check(bool ok, int bit, const char *what)
{
	if (ok)
		return;
	child_mask |= 1 << bit;
	printf("# child: check %d failed: %s\n", bit, what);
}

static __attribute__((noreturn)) void child_mask_exit(void)
{
	fflush(stdout);
	process_exit(MASK_MARK | child_mask);
}

/* ------------------------------------------------------------------ probe data for probes.S */

uint64_t entry_regs[16];
uint64_t entry_rflags;
uint32_t entry_mxcsr;
uint16_t entry_fcw;

void entry_probe(void);
__attribute__((noreturn)) void entry_probe_main(void *arg);

/* ------------------------------------------------------------------ child-thread-entry */

static _Atomic(uint64_t) entry_done;
static uint64_t entry_tid_inside, entry_errno_inside;

/* Called by entry_probe (probes.S) on the new thread's stack, SysV-aligned. */
void entry_probe_main(void *arg)
{
	/* First thing: a fresh thread's error slot must read 0 (spec §2.3). */
	entry_errno_inside = syscall0(SYS_ERRNO);
	entry_tid_inside = gettid();
	tu_store_wake(&entry_done, 1);
	thread_exit();
}

enum {
	ENTRY_FIRST_TID_1,
	ENTRY_SECOND_TID_2,
	ENTRY_RAN,
	ENTRY_GETTID_MATCHES,
	ENTRY_RSP_ALIGNED,
	ENTRY_RSP_IS_TOP,
	ENTRY_RDI_IS_ARG,
	ENTRY_RBP_IS_RSP,
	ENTRY_GPRS_ZERO,
	ENTRY_RFLAGS,
	ENTRY_FPU_DEFAULT,
	ENTRY_ERRNO_ZERO,
};

/*
 * child-thread-entry: two THREAD_CREATEs with the assembly entry, each
 * checked against spec §7.23 and §10.3. Exit: MASK_MARK | failed checks.
 */
int child_thread_entry(int argc, char **argv)
{
	/* Make the creator's own error slot non-zero, so a fresh thread reading 0 means something. */
	syscall4(SYS_FUTEX, 0, 0, 2, 0);
	for (uint64_t k = 1; k <= 2; k++) {
		uint64_t arg = 0x1234567800000000ull + k; /* never examined by the kernel */
		char msg[120];
		atomic_store(&entry_done, 0);
		memset(entry_regs, 0xEE, sizeof(entry_regs));
		tid_t tid = thread_create((void *)entry_probe, (void *)arg);
		snprintf(msg, sizeof(msg), "thread_create #%llu returned %lld, want %llu", (unsigned long long)k,
			 (long long)tid, (unsigned long long)k);
		child_check(tid == k, k == 1 ? ENTRY_FIRST_TID_1 : ENTRY_SECOND_TID_2, msg);
		if (tid == ERR || !tu_wait_eq(&entry_done, 1, TU_CHILD_TIMEOUT)) {
			child_check(false, ENTRY_RAN, "the created thread did not run");
			continue;
		}
		uint64_t rsp = entry_regs[0], rbp = entry_regs[1], rdi = entry_regs[2];
		snprintf(msg, sizeof(msg), "gettid() inside is %llu, thread_create said %llu",
			 (unsigned long long)entry_tid_inside, (unsigned long long)tid);
		child_check(entry_tid_inside == tid, ENTRY_GETTID_MATCHES, msg);
		snprintf(msg, sizeof(msg), "RSP at entry %#llx is not 16-byte aligned", (unsigned long long)rsp);
		child_check(rsp % 16 == 0, ENTRY_RSP_ALIGNED, msg);
		snprintf(msg, sizeof(msg), "RSP at entry %#llx, want stack top %#llx", (unsigned long long)rsp,
			 (unsigned long long)TU_STACK_TOP(tid));
		child_check(rsp == TU_STACK_TOP(tid), ENTRY_RSP_IS_TOP, msg);
		snprintf(msg, sizeof(msg), "RDI at entry %#llx, want arg %#llx", (unsigned long long)rdi,
			 (unsigned long long)arg);
		child_check(rdi == arg, ENTRY_RDI_IS_ARG, msg);
		snprintf(msg, sizeof(msg), "RBP at entry %#llx, RSP %#llx", (unsigned long long)rbp,
			 (unsigned long long)rsp);
		child_check(rbp == rsp, ENTRY_RBP_IS_RSP, msg);
		static const char *const names[16] = { "rsp", "rbp", "rdi", "rax", "rbx", "rcx", "rdx", "rsi",
						       "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15" };
		for (int i = 3; i < 16; i++) {
			snprintf(msg, sizeof(msg), "%s at entry is %#llx, want 0", names[i],
				 (unsigned long long)entry_regs[i]);
			child_check(entry_regs[i] == 0, ENTRY_GPRS_ZERO, msg);
		}
		snprintf(msg, sizeof(msg), "RFLAGS at entry %#llx, want 0x202", (unsigned long long)entry_rflags);
		child_check(entry_rflags == 0x202, ENTRY_RFLAGS, msg);
		snprintf(msg, sizeof(msg), "MXCSR %#x / FCW %#x at entry, want 0x1f80 / 0x37f", entry_mxcsr,
			 entry_fcw);
		child_check(entry_mxcsr == 0x1F80 && entry_fcw == 0x037F, ENTRY_FPU_DEFAULT, msg);
		snprintf(msg, sizeof(msg), "a fresh thread's error slot is %llu, want 0",
			 (unsigned long long)entry_errno_inside);
		child_check(entry_errno_inside == 0, ENTRY_ERRNO_ZERO, msg);
	}
	child_mask_exit();
}

/* ------------------------------------------------------------------ child-thread-create-errors */

enum {
	TCERR_NULL,
	TCERR_LOW,
	TCERR_KERNEL,
	TCERR_NONCANONICAL,
	TCERR_CROSS_USER_MAX,
	TCERR_CROSS_USER_MIN,
	TCERR_WRAP,
	TCERR_NO_TID_CONSUMED,
};

static void expect_tc_error(uint64_t entry, uint64_t want, int bit)
{
	uint64_t r = syscall2(SYS_THREAD_CREATE, entry, 0);
	uint64_t e = syscall0(SYS_ERRNO);
	char msg[120];
	snprintf(msg, sizeof(msg), "thread_create(%#llx) gave %#llx errno %s, want %s", (unsigned long long)entry,
		 (unsigned long long)r, strerrorname_np((int)e), strerrorname_np((int)want));
	child_check(r == ERR && e == want, bit, msg);
}

/*
 * child-thread-create-errors: bad entry addresses (spec §7.23 error order).
 * A kernel that wrongly accepted one would start a thread there, which
 * faults and ends this child with 14 during the pause at the end.
 */
int child_thread_create_errors(int argc, char **argv)
{
	expect_tc_error(0, EINVAL, TCERR_NULL);
	expect_tc_error(0x1000, EFAULT, TCERR_LOW);
	expect_tc_error(TU_KERNEL_ADDR, EFAULT, TCERR_KERNEL);
	expect_tc_error(TU_NONCANONICAL, EFAULT, TCERR_NONCANONICAL);
	expect_tc_error(TU_USER_MAX - 4, EFAULT, TCERR_CROSS_USER_MAX);
	expect_tc_error(TU_USER_MIN - 4, EFAULT, TCERR_CROSS_USER_MIN);
	expect_tc_error(UINT64_MAX - 3, EOVERFLOW, TCERR_WRAP);
	/* Failed calls hand out no tid: the first thread that is created is still tid 1. */
	atomic_store(&entry_done, 0);
	tid_t tid = thread_create((void *)entry_probe, NULL);
	char msg[80];
	snprintf(msg, sizeof(msg), "first successful thread_create gave tid %lld, want 1", (long long)tid);
	child_check(tid == 1, TCERR_NO_TID_CONSUMED, msg);
	if (tid != ERR)
		tu_wait_eq(&entry_done, 1, TU_CHILD_TIMEOUT);
	nanosleep(50 * TU_MS);
	child_mask_exit();
}

/* ================================================================== 23 THREAD_CREATE */

static struct mask_child entry_child = { "child-thread-entry", false, 0 };
static struct mask_child tcerr_child = { "child-thread-create-errors", false, 0 };

KTAP_TEST(thread_create_first_gets_tid_1)
{
	TEXPECT(mask_bit_ok(&entry_child, ENTRY_FIRST_TID_1));
	TEXPECT(mask_bit_ok(&entry_child, ENTRY_RAN));
}

KTAP_TEST(thread_create_second_gets_tid_2)
{
	TEXPECT(mask_bit_ok(&entry_child, ENTRY_SECOND_TID_2));
}

KTAP_TEST(thread_gettid_inside_matches)
{
	TEXPECT(mask_bit_ok(&entry_child, ENTRY_GETTID_MATCHES));
}

KTAP_TEST(thread_entry_rsp_16_aligned)
{
	TEXPECT(mask_bit_ok(&entry_child, ENTRY_RSP_ALIGNED));
}

KTAP_TEST(thread_entry_rsp_is_stack_top)
{
	TEXPECT(mask_bit_ok(&entry_child, ENTRY_RSP_IS_TOP));
}

KTAP_TEST(thread_entry_rdi_is_arg)
{
	TEXPECT(mask_bit_ok(&entry_child, ENTRY_RDI_IS_ARG));
}

KTAP_TEST(thread_entry_rbp_equals_rsp)
{
	TEXPECT(mask_bit_ok(&entry_child, ENTRY_RBP_IS_RSP));
}

KTAP_TEST(thread_entry_other_gprs_zero)
{
	TEXPECT(mask_bit_ok(&entry_child, ENTRY_GPRS_ZERO));
}

KTAP_TEST(thread_entry_rflags_0x202)
{
	TEXPECT(mask_bit_ok(&entry_child, ENTRY_RFLAGS));
}

KTAP_TEST(thread_entry_default_fpu_state)
{
	TEXPECT(mask_bit_ok(&entry_child, ENTRY_FPU_DEFAULT));
}

KTAP_TEST(thread_entry_errno_is_0)
{
	TEXPECT(mask_bit_ok(&entry_child, ENTRY_ERRNO_ZERO));
}

KTAP_TEST(thread_create_null_entry_einval)
{
	TEXPECT(mask_bit_ok(&tcerr_child, TCERR_NULL));
}

KTAP_TEST(thread_create_entry_0x1000_efault)
{
	TEXPECT(mask_bit_ok(&tcerr_child, TCERR_LOW));
}

KTAP_TEST(thread_create_kernel_entry_efault)
{
	TEXPECT(mask_bit_ok(&tcerr_child, TCERR_KERNEL));
}

KTAP_TEST(thread_create_noncanonical_entry_efault)
{
	TEXPECT(mask_bit_ok(&tcerr_child, TCERR_NONCANONICAL));
}

KTAP_TEST(thread_create_entry_crossing_user_bounds_efault)
{
	TEXPECT(mask_bit_ok(&tcerr_child, TCERR_CROSS_USER_MAX));
	TEXPECT(mask_bit_ok(&tcerr_child, TCERR_CROSS_USER_MIN));
}

KTAP_TEST(thread_create_entry_wrapping_eoverflow)
{
	TEXPECT(mask_bit_ok(&tcerr_child, TCERR_WRAP));
}

KTAP_TEST(thread_create_failures_consume_no_tid)
{
	TEXPECT(mask_bit_ok(&tcerr_child, TCERR_NO_TID_CONSUMED));
}

static uint64_t shared_global;

struct share_probe {
	uint64_t *stack_word; /* lives on the main thread's stack */
	uint8_t *heap;
	uint64_t seen_global, seen_stack;
	int heap_ok;
};

static void share_thread(void *arg)
{
	struct share_probe *p = arg;
	p->seen_global = shared_global;
	p->seen_stack = *p->stack_word;
	p->heap_ok = 1;
	for (int i = 0; i < 256; i++)
		if (p->heap[i] != (uint8_t)i)
			p->heap_ok = 0;
	shared_global = 0x2222;
	*p->stack_word = 0x4444;
	for (int i = 0; i < 256; i++)
		p->heap[i] = (uint8_t)(255 - i);
}

KTAP_TEST(threads_share_memory)
{
	static struct tu_thread t;
	static struct share_probe p;
	volatile uint64_t stack_word = 0x3333;
	uint8_t *heap = malloc(256);
	TASSERT(heap != NULL);
	for (int i = 0; i < 256; i++)
		heap[i] = (uint8_t)i;
	shared_global = 0x1111;
	p = (struct share_probe){ (uint64_t *)&stack_word, heap, 0, 0, 0 };
	TASSERT(tu_thread_start(&t, share_thread, &p));
	TASSERT(tu_thread_join(&t, TU_CHILD_TIMEOUT));
	TEXPECT_EQ(p.seen_global, 0x1111);
	TEXPECT_EQ(p.seen_stack, 0x3333);
	TEXPECT(p.heap_ok);
	TEXPECT_EQ(shared_global, 0x2222);
	TEXPECT_EQ(stack_word, 0x4444);
	int back = 1;
	for (int i = 0; i < 256; i++)
		if (heap[i] != (uint8_t)(255 - i))
			back = 0;
	TEXPECT(back);
	free(heap);
}
