// SPDX-License-Identifier: MIT
// sys_proc: probes of system calls 0-8, 23, 24, 27 and the calling convention (spec §2, §7, §12).
//
// Usage: /bin/tests/sys_proc            run every probe, KTAP on fd 1
//        /bin/tests/sys_proc child-...  one child role (spawned by the probes
//                                       themselves; see child_roles[])
//
// Everything that could kill the process on a broken kernel (faults,
// register corruption, bad thread entries, exit paths) runs in a child
// process that is this same program started with a "child-*" argv[1]; the
// parent reads the child's exit status through /proc/<pid>/wait with a
// timeout (tu_wait). Children report through their exit status only, plus
// "# " diagnostic lines on the inherited fd 1.
#include <errno.h>
#include <fcntl.h>
#include <ktap.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "user/tests/common/tu.h"

#define SELF_DEFAULT "/bin/tests/sys_proc"

/* Checks made in a child process report a bit mask: MASK_MARK | failed bits. */
#define MASK_MARK 0x40000000
#define IS_MASK_STATUS(s) (((s) & (int)0xC0000000) == MASK_MARK)

/*
 * "At once": QEMU's virtual CPUs share a loaded host and guest time runs on
 * while one is descheduled, so any tight bound fails now and then when
 * another `make test` runs beside this one. Half the 10 s timeouts that a
 * call which wrongly slept would take still tells the two apart.
 */
#define AT_ONCE (5 * TU_SEC)

/* Upper bound of a short sleep: catches a unit error (ms for ns: 1000 times longer), not load. */
#define SLEEP_SLACK (10 * TU_SEC)

/* Status of a fault child whose faulting instruction did not fault. */
#define NO_FAULT_STATUS 99

/*
 * A page that nothing maps: far above the heap (placed just after the
 * program image) and far below the stacks. Probes munmap it first.
 */
#define HOLE 0x0000300000000000ull

static const char *self = SELF_DEFAULT;

/* ------------------------------------------------------------------ shared helpers */

static fd_t zero_fd(void)
{
	static fd_t fd = FD_NONE;
	if (fd == FD_NONE)
		fd = open("/dev/zero");
	return fd;
}

/* Map @pages fresh zero pages at HOLE (fixed, replacing anything), RW. NULL on failure. */
static uint8_t *map_hole(uint64_t pages)
{
	if (zero_fd() == ERR)
		return NULL;
	munmap((void *)HOLE, 64 * TU_PAGE);
	return mmap(zero_fd(), (void *)HOLE, pages * TU_PAGE, PROT_READ | PROT_WRITE);
}

/* Run a child role with the given arguments; TU_NO_STATUS if it produced none. */
#define RUN_ROLE(...) tu_run_role(self, __VA_ARGS__, NULL)

/* Expect a child role to end with @want. */
#define EXPECT_ROLE_STATUS(want, ...)                                                        \
	do {                                                                                 \
		int st_ = RUN_ROLE(__VA_ARGS__);                                             \
		if (st_ != TU_NO_STATUS && st_ != (want))                                    \
			ktap_fail(__FILE__, __LINE__, "child %s ended with status %d, want %d", \
				  #__VA_ARGS__, st_, (want));                                \
		else if (st_ == TU_NO_STATUS)                                                \
			ktap_fail(__FILE__, __LINE__, "child %s gave no status", #__VA_ARGS__); \
	} while (0)

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

uint64_t regs_gpr_in[12], regs_gpr_out[12];
uint8_t regs_xmm_in[16][16], regs_xmm_out[16][16];
uint8_t regs_ymm_hi_in[16][16], regs_ymm_hi_out[16][16];
uint8_t regs_xmm_scramble[16][16];
uint64_t regs_rax_out, regs_rsp_before, regs_rsp_after;
uint32_t regs_mxcsr_in, regs_mxcsr_out;
uint16_t regs_fcw_in, regs_fcw_out;
volatile uint64_t regs_scrambler_stop;

uint64_t entry_regs[16];
uint64_t entry_rflags;
uint32_t entry_mxcsr;
uint16_t entry_fcw;

void regs_syscall_probe(uint64_t nr);
void regs_ymm_probe(uint64_t nr);
void regs_scrambler(void);
void entry_probe(void);
__attribute__((noreturn)) void entry_probe_main(void *arg);

static const char *const gpr_names[12] = { "rbx", "rbp", "r12", "r13", "r14", "r15",
					   "rdi", "rsi", "rdx", "r8",	"r9",  "r10" };
enum { GPR_RDI = 6, GPR_RSI = 7, GPR_RDX = 8, GPR_R10 = 11 };

/* ================================================================== child roles */

/* child-exit-raw <u64>: SYS_PROCESS_EXIT with exactly this RDI, upper bits included. */
static int child_exit_raw(int argc, char **argv)
{
	syscall1(SYS_PROCESS_EXIT, argc > 2 ? tu_parse_u64(argv[2]) : 0);
	return 98;
}

/* child-exit-pid: exit with our own pid, for comparison with what spawn returned. */
static int child_exit_pid(int argc, char **argv)
{
	process_exit((int32_t)(getpid() & 0x7fffffff));
}

static _Atomic(uint64_t) never_changes;

static void exit_33_soon(void *arg)
{
	nanosleep(20 * TU_MS);
	process_exit(33);
}

/* child-exit-from-thread: the main thread blocks forever in a futex; a second thread exits 33. */
static int child_exit_from_thread(int argc, char **argv)
{
	static struct tu_thread t;
	if (!tu_thread_start(&t, exit_33_soon, NULL))
		return 97;
	for (;;)
		tu_futex_wait(&never_changes, 0, CLOCKS_NEVER);
}

static _Atomic(uint64_t) sleepers_started;

static void sleep_forever(void *arg)
{
	tu_add_wake(&sleepers_started, 1);
	if (arg)
		nanosleep(CLOCKS_NEVER);
	else
		tu_futex_wait(&never_changes, 0, CLOCKS_NEVER);
	/* Only a kernel that ends the sleep without killing us gets here. */
	process_exit(96);
}

/* child-exit-with-sleepers: threads sleeping forever must not keep the process alive. */
static int child_exit_with_sleepers(int argc, char **argv)
{
	static struct tu_thread a, b;
	if (!tu_thread_start(&a, sleep_forever, (void *)1) || !tu_thread_start(&b, sleep_forever, NULL))
		return 97;
	if (!tu_wait_ge(&sleepers_started, 2, TU_CHILD_TIMEOUT))
		return 95;
	nanosleep(20 * TU_MS); /* let both reach their sleep */
	process_exit(12);
}

/* child-thread-exit-only: the only thread calls thread_exit; the process must end with 0. */
static int child_thread_exit_only(int argc, char **argv)
{
	fflush(stdout);
	thread_exit();
}

static void exit_44_later(void *arg)
{
	nanosleep(30 * TU_MS);
	process_exit(44);
}

static void thread_exit_later(void *arg)
{
	nanosleep(30 * TU_MS);
	thread_exit();
}

/* child-thread-exit-others-run: main thread_exits first; the other thread then exits 44. */
static int child_thread_exit_others_run(int argc, char **argv)
{
	static struct tu_thread t;
	if (!tu_thread_start(&t, exit_44_later, NULL))
		return 97;
	thread_exit();
}

/* child-thread-exit-last: main thread_exits first, the other one later: status 0. */
static int child_thread_exit_last(int argc, char **argv)
{
	static struct tu_thread t;
	if (!tu_thread_start(&t, thread_exit_later, NULL))
		return 97;
	thread_exit();
}

/* Faults: each is a real CPU exception (inline assembly, so no compiler can fold it away). */
static int child_fault_null(int argc, char **argv)
{
	__asm__ volatile("movq $1, (%0)" : : "r"(0ull) : "memory");
	return NO_FAULT_STATUS;
}

static int child_fault_ud2(int argc, char **argv)
{
	__asm__ volatile("ud2");
	return NO_FAULT_STATUS;
}

static int child_fault_div0(int argc, char **argv)
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

static int child_fault_kernel(int argc, char **argv)
{
	uint64_t v;
	__asm__ volatile("movq (%1), %0" : "=r"(v) : "r"(TU_KERNEL_ADDR) : "memory");
	return NO_FAULT_STATUS;
}

static int child_fault_noncanonical(int argc, char **argv)
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
static int child_fault_in_thread(int argc, char **argv)
{
	static struct tu_thread t;
	if (!tu_thread_start(&t, fault_now, NULL))
		return 97;
	nanosleep(15 * TU_SEC); /* ended by the fault long before; only a missing fault waits this out */
	return NO_FAULT_STATUS;
}

/* ------------------------------------------------------------------ child-regs */

enum expect_kind { EXPECT_ANY, EXPECT_VALUE, EXPECT_ERRNO, EXPECT_FAIL, EXPECT_NULL };

struct reg_probe {
	const char *name;
	uint64_t nr;
	unsigned fixed;	 /* which of RDI, RSI, RDX, R10 (bits 0-3) take the values below */
	uint64_t rdi, rsi, rdx, r10;
	enum expect_kind kind;
	uint64_t want; /* EXPECT_VALUE: RAX; EXPECT_ERRNO: the error code */
};

#define F_RDI 1u
#define F_RSI 2u
#define F_RDX 4u
#define F_R10 8u

static _Atomic(uint64_t) regs_futex_word; /* stays 0 */

/*
 * A non-canonical 64-bit pattern: bits 48-63 are 0xA5A5, so any pattern the
 * kernel took for a pointer fails the buffer rule instead of hitting memory.
 */
static uint64_t pattern(uint64_t seed)
{
	uint64_t s = seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
	s ^= s >> 29;
	s *= 0xBF58476D1CE4E5B9ull;
	s ^= s >> 32;
	return (s & 0x0000FFFFFFFFFFFFull) | 0xA5A5000000000000ull;
}

static void fill_patterns(const struct reg_probe *p, uint64_t seed)
{
	for (int i = 0; i < 12; i++)
		regs_gpr_in[i] = pattern(seed * 64 + (uint64_t)i);
	if (p->fixed & F_RDI)
		regs_gpr_in[GPR_RDI] = p->rdi;
	if (p->fixed & F_RSI)
		regs_gpr_in[GPR_RSI] = p->rsi;
	if (p->fixed & F_RDX)
		regs_gpr_in[GPR_RDX] = p->rdx;
	if (p->fixed & F_R10)
		regs_gpr_in[GPR_R10] = p->r10;
	for (int r = 0; r < 16; r++) {
		uint64_t lo = pattern(seed * 64 + 16 + (uint64_t)r), hi = pattern(seed * 64 + 40 + (uint64_t)r);
		memcpy(&regs_xmm_in[r][0], &lo, 8);
		memcpy(&regs_xmm_in[r][8], &hi, 8);
		uint64_t ylo = ~lo, yhi = ~hi;
		memcpy(&regs_ymm_hi_in[r][0], &ylo, 8);
		memcpy(&regs_ymm_hi_in[r][8], &yhi, 8);
	}
	memset(regs_gpr_out, 0, sizeof(regs_gpr_out));
	memset(regs_xmm_out, 0, sizeof(regs_xmm_out));
	memset(regs_ymm_hi_out, 0, sizeof(regs_ymm_hi_out));
	/* Non-default control words: rounding modes, FTZ and sticky flags (no DAZ, which may be absent). */
	regs_mxcsr_in = (seed & 1) ? 0xFFBF : 0x5F80;
	regs_fcw_in = (seed & 1) ? 0x0C7F : 0x087F;
	regs_mxcsr_out = 0;
	regs_fcw_out = 0;
}

static int regs_mismatches;

static void regs_report(const char *probe, const char *what, uint64_t got, uint64_t want)
{
	if (++regs_mismatches <= 24)
		printf("# child-regs: %s: %s is %#llx, want %#llx\n", probe, what, (unsigned long long)got,
		       (unsigned long long)want);
}

/* @err: the error slot, read right after the probe (later calls may change it). */
static void regs_check(const struct reg_probe *p, bool ymm, uint64_t err)
{
	for (int i = 0; i < 12; i++)
		if (regs_gpr_out[i] != regs_gpr_in[i])
			regs_report(p->name, gpr_names[i], regs_gpr_out[i], regs_gpr_in[i]);
	if (regs_rsp_after != regs_rsp_before)
		regs_report(p->name, "rsp", regs_rsp_after, regs_rsp_before);
	for (int r = 0; r < 16; r++) {
		char what[16];
		if (memcmp(regs_xmm_out[r], regs_xmm_in[r], 16) != 0) {
			uint64_t got, want;
			memcpy(&got, regs_xmm_out[r], 8);
			memcpy(&want, regs_xmm_in[r], 8);
			snprintf(what, sizeof(what), "xmm%d", r);
			regs_report(p->name, what, got, want);
		}
		if (ymm && memcmp(regs_ymm_hi_out[r], regs_ymm_hi_in[r], 16) != 0) {
			uint64_t got, want;
			memcpy(&got, regs_ymm_hi_out[r], 8);
			memcpy(&want, regs_ymm_hi_in[r], 8);
			snprintf(what, sizeof(what), "ymm%d[255:128]", r);
			regs_report(p->name, what, got, want);
		}
	}
	if (!ymm && regs_mxcsr_out != regs_mxcsr_in)
		regs_report(p->name, "mxcsr", regs_mxcsr_out, regs_mxcsr_in);
	if (!ymm && regs_fcw_out != regs_fcw_in)
		regs_report(p->name, "x87 control word", regs_fcw_out, regs_fcw_in);

	switch (p->kind) {
	case EXPECT_ANY:
		break;
	case EXPECT_VALUE:
		if (regs_rax_out != p->want)
			regs_report(p->name, "rax (result)", regs_rax_out, p->want);
		break;
	case EXPECT_ERRNO:
		if (regs_rax_out != ERR)
			regs_report(p->name, "rax (result)", regs_rax_out, ERR);
		else if (err != p->want)
			regs_report(p->name, "error slot", err, p->want);
		break;
	case EXPECT_FAIL:
		if (regs_rax_out != ERR)
			regs_report(p->name, "rax (result)", regs_rax_out, ERR);
		break;
	case EXPECT_NULL:
		if (regs_rax_out != 0)
			regs_report(p->name, "rax (result)", regs_rax_out, 0);
		break;
	}
}

static void scrambler_thread(void *arg)
{
	regs_scrambler();
}

static bool os_enabled_avx(void)
{
	uint32_t a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	if (!(c & (1u << 27)) || !(c & (1u << 28))) /* OSXSAVE, AVX */
		return false;
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 6) == 6; /* XCR0: SSE and AVX state enabled */
}

/* Exit status of child-regs-ymm when the kernel did not enable AVX state: a skip. */
#define NO_AVX_STATUS 77

/*
 * child-regs / child-regs-ymm: every probe of the table, 20 rounds with
 * fresh patterns, while two scrambler threads load other values into the
 * same registers and yield. Exit status: the number of mismatches (0 = ok).
 */
static int child_regs_common(bool ymm)
{
	if (ymm && !os_enabled_avx())
		return NO_AVX_STATUS;
	const struct reg_probe probes[] = {
		{ "getpid", SYS_GETPID, 0, 0, 0, 0, 0, EXPECT_VALUE, getpid() },
		{ "gettid", SYS_GETTID, 0, 0, 0, 0, 0, EXPECT_VALUE, 0 },
		{ "uptime", SYS_UPTIME, 0, 0, 0, 0, 0, EXPECT_ANY, 0 },
		{ "errno", SYS_ERRNO, 0, 0, 0, 0, 0, EXPECT_ANY, 0 },
		{ "yield", SYS_YIELD, 0, 0, 0, 0, 0, EXPECT_VALUE, 0 },
		{ "nanosleep 2ms", SYS_NANOSLEEP, F_RDI, 2 * TU_MS, 0, 0, 0, EXPECT_VALUE, 0 },
		{ "unix_epoch bad out", SYS_UNIX_EPOCH, 0, 0, 0, 0, 0, EXPECT_ERRNO, EFAULT },
		{ "enosys 34", 34, 0, 0, 0, 0, 0, EXPECT_ERRNO, ENOSYS },
		{ "enosys max", UINT64_MAX, 0, 0, 0, 0, 0, EXPECT_ERRNO, ENOSYS },
		/* RDX: FUTEX_WAIT with garbage in bits 32-63, which must be ignored (§2.2). */
		{ "futex wait timeout", SYS_FUTEX, F_RDI | F_RSI | F_RDX | F_R10, (uint64_t)&regs_futex_word, 0,
		  0xFFFFFFFF00000000ull, 1 * TU_MS, EXPECT_ERRNO, ETIMEDOUT },
		{ "futex wait mismatch", SYS_FUTEX, F_RDI | F_RSI | F_RDX, (uint64_t)&regs_futex_word, 1, 0, 0,
		  EXPECT_ERRNO, EAGAIN },
		{ "futex bad op", SYS_FUTEX, F_RDI | F_RDX, (uint64_t)&regs_futex_word, 0, 2, 0, EXPECT_ERRNO,
		  EINVAL },
		{ "mmap bad", SYS_MMAP, 0, 0, 0, 0, 0, EXPECT_NULL, 0 },
		{ "munmap bad", SYS_MUNMAP, 0, 0, 0, 0, 0, EXPECT_NULL, 0 },
		{ "mprotect bad", SYS_MPROTECT, 0, 0, 0, 0, 0, EXPECT_NULL, 0 },
		{ "thread_create bad", SYS_THREAD_CREATE, 0, 0, 0, 0, 0, EXPECT_ERRNO, EFAULT },
		{ "spawn bad", SYS_SPAWN, F_RSI, 0, 0xFFFFFFFF00000000ull, 0, 0, EXPECT_ERRNO, EFAULT },
	};
	static struct tu_thread scramblers[2];
	int started = 0;

	memset(regs_xmm_scramble, 0x3c, sizeof(regs_xmm_scramble));
	for (int i = 0; i < 2; i++)
		started += tu_thread_start(&scramblers[i], scrambler_thread, NULL);
	if (started < 2)
		printf("# child-regs: only %d scrambler threads\n", started);

	for (uint64_t round = 0; round < 20; round++) {
		for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
			fill_patterns(&probes[i], round * 100 + i);
			if (ymm)
				regs_ymm_probe(probes[i].nr);
			else
				regs_syscall_probe(probes[i].nr);
			regs_check(&probes[i], ymm, syscall0(SYS_ERRNO));
		}
	}

	regs_scrambler_stop = 1;
	for (int i = 0; i < 2; i++)
		if (scramblers[i].tid >= 0 && !tu_thread_join(&scramblers[i], TU_CHILD_TIMEOUT))
			printf("# child-regs: scrambler %d did not stop\n", i);
	fflush(stdout);
	return regs_mismatches > 90 ? 90 : regs_mismatches;
}

static int child_regs(int argc, char **argv)
{
	return child_regs_common(false);
}

static int child_regs_ymm(int argc, char **argv)
{
	return child_regs_common(true);
}

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
static int child_thread_entry(int argc, char **argv)
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
		 (unsigned long long)r, strerror((int)e), strerror((int)want));
	child_check(r == ERR && e == want, bit, msg);
}

/*
 * child-thread-create-errors: bad entry addresses (spec §7.23 error order).
 * A kernel that wrongly accepted one would start a thread there, which
 * faults and ends this child with 14 during the pause at the end.
 */
static int child_thread_create_errors(int argc, char **argv)
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

/* ------------------------------------------------------------------ argv roles */

/* Arguments that must arrive byte for byte; the 255-character one is filled in by init_long_arg(). */
static char long_arg[256];
static const char *const argv_table[] = {
	"",	     "a",	 "two words", "tab\there", "quote\"s and \\", "\xff\xfe\x80 high bytes",
	"trailing ", long_arg, "-",	      "last",
};
#define ARGV_TABLE_LEN (sizeof(argv_table) / sizeof(argv_table[0]))

static void init_long_arg(void)
{
	for (int i = 0; i < 255; i++)
		long_arg[i] = (char)('a' + i % 26);
	long_arg[255] = '\0';
}

/* child-argv <self> <table...>: argv[0] must equal argv[2], argv[3...] the table. */
static int child_argv(int argc, char **argv)
{
	init_long_arg();
	if (argc != 3 + (int)ARGV_TABLE_LEN) {
		printf("# child-argv: argc %d, want %d\n", argc, 3 + (int)ARGV_TABLE_LEN);
		return 1;
	}
	if (argv[argc] != NULL) {
		printf("# child-argv: argv[argc] is not NULL\n");
		return 1;
	}
	if (strcmp(argv[0], argv[2]) != 0 || strcmp(argv[1], "child-argv") != 0) {
		printf("# child-argv: argv[0] \"%s\", argv[1] \"%s\"\n", argv[0], argv[1]);
		return 1;
	}
	for (size_t i = 0; i < ARGV_TABLE_LEN; i++) {
		if (strcmp(argv[3 + i], argv_table[i]) != 0) {
			printf("# child-argv: argv[%d] is \"%s\", want \"%s\"\n", (int)(3 + i), argv[3 + i],
			       argv_table[i]);
			return 1;
		}
	}
	return 0;
}

/* child-argc <n> <len> x...: argc must be n and argv[4...] strings of len 'x's. */
static int child_argc(int argc, char **argv)
{
	if (argc < 4 || argc != atoi(argv[2]) || argv[argc] != NULL) {
		printf("# child-argc: argc %d, want %s\n", argc, argc > 2 ? argv[2] : "?");
		return 1;
	}
	size_t len = (size_t)atoi(argv[3]);
	for (int i = 4; i < argc; i++) {
		if (strlen(argv[i]) != len || strspn(argv[i], "x") != len) {
			printf("# child-argc: argv[%d] has length %d, want %d 'x'\n", i, (int)strlen(argv[i]),
			       (int)len);
			return 1;
		}
	}
	return 0;
}

struct child_role {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static const struct child_role child_roles[] = {
	{ "child-exit-raw", child_exit_raw },
	{ "child-exit-pid", child_exit_pid },
	{ "child-exit-from-thread", child_exit_from_thread },
	{ "child-exit-with-sleepers", child_exit_with_sleepers },
	{ "child-thread-exit-only", child_thread_exit_only },
	{ "child-thread-exit-others-run", child_thread_exit_others_run },
	{ "child-thread-exit-last", child_thread_exit_last },
	{ "child-fault-null", child_fault_null },
	{ "child-fault-ud2", child_fault_ud2 },
	{ "child-fault-div0", child_fault_div0 },
	{ "child-fault-kernel", child_fault_kernel },
	{ "child-fault-noncanonical", child_fault_noncanonical },
	{ "child-fault-in-thread", child_fault_in_thread },
	{ "child-regs", child_regs },
	{ "child-regs-ymm", child_regs_ymm },
	{ "child-thread-entry", child_thread_entry },
	{ "child-thread-create-errors", child_thread_create_errors },
	{ "child-argv", child_argv },
	{ "child-argc", child_argc },
};

/* ================================================================== 0 PROCESS_EXIT, 1 THREAD_EXIT */

KTAP_TEST(process_exit_status_0)
{
	EXPECT_ROLE_STATUS(0, "child-exit-raw", "0");
}

KTAP_TEST(process_exit_status_42)
{
	EXPECT_ROLE_STATUS(42, "child-exit-raw", "42");
}

KTAP_TEST(process_exit_status_minus_1)
{
	/* Sign-extended, as libc passes it; the wait file must read "-1". */
	EXPECT_ROLE_STATUS(-1, "child-exit-raw", "0xffffffffffffffff");
}

KTAP_TEST(process_exit_status_int32_max)
{
	EXPECT_ROLE_STATUS(INT32_MAX, "child-exit-raw", "0x7fffffff");
}

KTAP_TEST(process_exit_status_int32_min)
{
	/* Zero-extended in RDI: only the low 32 bits, read as a signed int32_t, count. */
	EXPECT_ROLE_STATUS(INT32_MIN, "child-exit-raw", "0x80000000");
}

KTAP_TEST(process_exit_ignores_upper_bits)
{
	EXPECT_ROLE_STATUS(5, "child-exit-raw", "0x100000005");
	EXPECT_ROLE_STATUS(42, "child-exit-raw", "0xdeadbeef0000002a");
	EXPECT_ROLE_STATUS(-1, "child-exit-raw", "0x1ffffffff");
}

KTAP_TEST(process_exit_from_thread_ends_blocked_main)
{
	EXPECT_ROLE_STATUS(33, "child-exit-from-thread");
}

KTAP_TEST(process_exit_ends_sleeping_threads)
{
	EXPECT_ROLE_STATUS(12, "child-exit-with-sleepers");
}

KTAP_TEST(thread_exit_only_thread_gives_status_0)
{
	EXPECT_ROLE_STATUS(0, "child-thread-exit-only");
}

KTAP_TEST(thread_exit_of_main_leaves_others_running)
{
	EXPECT_ROLE_STATUS(44, "child-thread-exit-others-run");
}

KTAP_TEST(thread_exit_of_last_thread_gives_status_0)
{
	EXPECT_ROLE_STATUS(0, "child-thread-exit-last");
}

static _Atomic(uint64_t) te_flag;

static void thread_exit_directly(void *arg)
{
	tu_store_wake(&te_flag, 1);
	thread_exit(); /* a bare SYS_THREAD_EXIT, not a return */
}

KTAP_TEST(thread_exit_in_process_main_continues)
{
	static struct tu_thread t;
	atomic_store(&te_flag, 0);
	TASSERT(tu_thread_start(&t, thread_exit_directly, NULL));
	TEXPECT(tu_wait_eq(&te_flag, 1, TU_CHILD_TIMEOUT));
	nanosleep(10 * TU_MS);
	/* Still here, and still able to make calls. */
	TEXPECT_EQ(gettid(), 0);
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

/* ================================================================== 2 SPAWN */

KTAP_TEST(spawn_argv_null_einval)
{
	TEXPECT_ERR(spawn(NULL, 0), EINVAL);
}

KTAP_TEST(spawn_argv_empty_einval)
{
	const char *argv[] = { NULL };
	TEXPECT_ERR(spawn(argv, 0), EINVAL);
}

KTAP_TEST(spawn_argv_unmapped_efault)
{
	TEXPECT_ERR(spawn((const char **)0x1000, 0), EFAULT);
	TEXPECT_ERR(spawn((const char **)TU_KERNEL_ADDR, 0), EFAULT);
	TEXPECT_ERR(spawn((const char **)TU_NONCANONICAL, 0), EFAULT);
	uint8_t *page = map_hole(1);
	TASSERT(page != NULL);
	munmap(page, TU_PAGE);
	TEXPECT_ERR(spawn((const char **)page, 0), EFAULT);
}

KTAP_TEST(spawn_argv_string_unmapped_efault)
{
	const char *argv[] = { self, (const char *)HOLE, NULL };
	munmap((void *)HOLE, TU_PAGE);
	TEXPECT_ERR(spawn(argv, 0), EFAULT);
	argv[1] = (const char *)TU_KERNEL_ADDR;
	TEXPECT_ERR(spawn(argv, 0), EFAULT);
}

KTAP_TEST(spawn_argv_array_runs_into_unmapped_page_efault)
{
	uint8_t *page = map_hole(2);
	TASSERT(page != NULL);
	TASSERT(munmap(page + TU_PAGE, TU_PAGE) == page + TU_PAGE);
	/* Make sure the kernel agrees the page is writable before we write it ourselves. */
	TASSERT(unix_epoch((time_t *)(page + TU_PAGE - 8)) != ERR);
	/* The last two pointer slots of the mapped page are arguments; the NULL would be past the end. */
	const char **slots = (const char **)(page + TU_PAGE) - 2;
	slots[0] = self;
	slots[1] = "child-exit-raw";
	TEXPECT_ERR(spawn(slots, 0), EFAULT);
	/* A string without its NUL before the unmapped page. */
	char *str = (char *)page + TU_PAGE - 4;
	memcpy(str, "abcd", 4);
	const char *argv[] = { self, str, NULL };
	TEXPECT_ERR(spawn(argv, 0), EFAULT);
}

KTAP_TEST(spawn_flags_unknown_bits_einval)
{
	const char *argv[] = { self, "child-exit-raw", "0", NULL };
	TEXPECT_ERR(spawn(argv, 0x40), EINVAL);
	TEXPECT_ERR(spawn(argv, 0x80000000u), EINVAL);
	/* The check sees the low 32 bits even when the upper ones are set. */
	TEXPECT_RAW_ERR(syscall2(SYS_SPAWN, (uint64_t)argv, 0xFFFFFFFF00000040ull), EINVAL);
}

KTAP_TEST(spawn_flags_upper_bits_ignored)
{
	const char *argv[] = { self, "child-exit-raw", "23", NULL };
	uint64_t pid = syscall2(SYS_SPAWN, (uint64_t)argv, 0xFFFFFFFF00000000ull);
	TASSERT(pid != ERR);
	int status = TU_NO_STATUS;
	TEXPECT_EQ(tu_wait(pid, TU_CHILD_TIMEOUT, &status), 0);
	TEXPECT_EQ(status, 23);
	pid = syscall2(SYS_SPAWN, (uint64_t)argv, 0xDEADBEEF00000000ull);
	TASSERT(pid != ERR);
	TEXPECT_EQ(tu_wait(pid, TU_CHILD_TIMEOUT, &status), 0);
	TEXPECT_EQ(status, 23);
}

KTAP_TEST(spawn_argv_passed_intact)
{
	init_long_arg();
	const char *argv[3 + ARGV_TABLE_LEN + 1] = { self, "child-argv", self };
	for (size_t i = 0; i < ARGV_TABLE_LEN; i++)
		argv[3 + i] = argv_table[i];
	argv[3 + ARGV_TABLE_LEN] = NULL;
	int status;
	if (tu_run(argv, TU_CHILD_TIMEOUT, &status))
		TEXPECT_EQ(status, 0);
}

static char x_arg[257];

static const char *xs(int len)
{
	memset(x_arg, 'x', (size_t)len);
	x_arg[len] = '\0';
	return x_arg;
}

KTAP_TEST(spawn_255_char_argument_accepted)
{
	const char *argv[] = { self, "child-argc", "5", "255", xs(255), NULL };
	int status;
	if (tu_run(argv, TU_CHILD_TIMEOUT, &status))
		TEXPECT_EQ(status, 0);
}

KTAP_TEST(spawn_256_char_argument_e2big)
{
	const char *argv[] = { self, "child-argc", "5", "256", xs(256), NULL };
	TEXPECT_ERR(spawn(argv, 0), E2BIG);
	/* argv[0] is held to the same limit. */
	const char *argv0[] = { xs(256), NULL };
	TEXPECT_ERR(spawn(argv0, 0), E2BIG);
}

/* Fill @argv with @n arguments for child-argc (1-character fillers) plus the NULL. */
static void many_args(const char **argv, int n, char *count)
{
	snprintf(count, 8, "%d", n);
	argv[0] = self;
	argv[1] = "child-argc";
	argv[2] = count;
	argv[3] = "1";
	for (int i = 4; i < n; i++)
		argv[i] = "x";
	argv[n] = NULL;
}

KTAP_TEST(spawn_511_arguments_accepted)
{
	static const char *argv[513];
	char count[8];
	many_args(argv, 511, count);
	int status;
	if (tu_run(argv, TU_CHILD_TIMEOUT, &status))
		TEXPECT_EQ(status, 0);
}

KTAP_TEST(spawn_512_arguments_e2big)
{
	static const char *argv[513];
	char count[8];
	many_args(argv, 512, count);
	TEXPECT_ERR(spawn(argv, 0), E2BIG);
}

/* Spawn @path (argv = { path }) and expect the child's status to be @want. */
static void expect_load_status(const char *path, int want)
{
	const char *argv[] = { path, NULL };
	int status;
	if (tu_run(argv, TU_CHILD_TIMEOUT, &status) && status != want)
		ktap_fail(__FILE__, __LINE__, "spawn \"%s\": child status %d, want %d", path, status, want);
}

KTAP_TEST(spawn_missing_program_status_2)
{
	/* SPAWN itself succeeds; the failure shows only as the status (spec §7.2 step 11). */
	expect_load_status("/bin/tests/no_such_program", ENOENT);
}

KTAP_TEST(spawn_directory_status_eisdir)
{
	expect_load_status("/bin", EISDIR);
}

KTAP_TEST(spawn_non_elf_status_espawnfail)
{
	expect_load_status("/tests/garbage.bin", ESPAWNFAIL);
}

KTAP_TEST(spawn_bad_path_flag_status_ebadflag)
{
	expect_load_status("/bin/tests/exit_with:zz", EBADFLAG);
}

/* ================================================================== 4 ERRNO */

KTAP_TEST(errno_reports_last_failure)
{
	TEXPECT_EQ(syscall4(SYS_FUTEX, 0, 0, 2, 0), ERR);
	TEXPECT_EQ(syscall0(SYS_ERRNO), EINVAL);
	TEXPECT_EQ(syscall0(34), ERR);
	TEXPECT_EQ(syscall0(SYS_ERRNO), ENOSYS);
}

KTAP_TEST(errno_get_does_not_change_slot)
{
	TEXPECT_EQ(syscall1(SYS_UNIX_EPOCH, 1), ERR);
	uint64_t a = syscall0(SYS_ERRNO), b = syscall0(SYS_ERRNO);
	TEXPECT_EQ(a, EFAULT);
	TEXPECT_EQ(b, EFAULT);
	/* Zero-extended int: nothing in bits 32-63 (§2.2). */
	TEXPECT(a < 0x100000000ull);
}

struct errno_probe {
	_Atomic(uint64_t) stage;
	uint64_t fresh, after_fail, after_main_fail;
};

/*
 * Wait until *@word >= @want using only calls that cannot fail (YIELD,
 * UPTIME), so the waiting thread's error slot keeps what it held: a futex
 * wait would leave EAGAIN or ETIMEDOUT there when the word changed first.
 */
static bool wait_keeping_errno(_Atomic(uint64_t) *word, uint64_t want, clock_t timeout)
{
	clock_t deadline = uptime() + timeout;
	while (atomic_load(word) < want) {
		if (uptime() >= deadline)
			return false;
		yield();
	}
	return true;
}

static void errno_thread(void *arg)
{
	struct errno_probe *p = arg;
	p->fresh = syscall0(SYS_ERRNO);
	syscall1(SYS_UNIX_EPOCH, 1); /* EFAULT in this thread's slot */
	p->after_fail = syscall0(SYS_ERRNO);
	atomic_store(&p->stage, 1);
	/* Between here and the read below this thread makes no call that can fail. */
	if (wait_keeping_errno(&p->stage, 2, TU_CHILD_TIMEOUT))
		p->after_main_fail = syscall0(SYS_ERRNO);
	atomic_store(&p->stage, 3);
}

KTAP_TEST(errno_is_per_thread_and_fresh_thread_reads_0)
{
	static struct errno_probe p;
	static struct tu_thread t;
	atomic_store(&p.stage, 0);
	p.fresh = p.after_fail = p.after_main_fail = 0xdead;
	TASSERT(tu_thread_start(&t, errno_thread, &p));
	/* Both sides wait without futexes: nothing but the calls under test may fail. */
	syscall4(SYS_FUTEX, 0, 0, 2, 0); /* EINVAL in the main thread's slot */
	TASSERT(wait_keeping_errno(&p.stage, 1, TU_CHILD_TIMEOUT));
	TEXPECT_EQ(p.fresh, 0);
	TEXPECT_EQ(p.after_fail, EFAULT);
	TEXPECT_EQ(syscall0(SYS_ERRNO), EINVAL); /* the thread's failure left ours alone */
	syscall0(35);				 /* ENOSYS here... */
	atomic_store(&p.stage, 2);
	TASSERT(wait_keeping_errno(&p.stage, 3, TU_CHILD_TIMEOUT));
	TEXPECT_EQ(p.after_main_fail, EFAULT); /* ...not there */
	TEXPECT_EQ(syscall0(SYS_ERRNO), ENOSYS);
	TEXPECT(tu_thread_join(&t, TU_CHILD_TIMEOUT));
}

/* ================================================================== 5 GETPID, 6 GETTID */

KTAP_TEST(getpid_matches_spawn_return)
{
	const char *argv[] = { self, "child-exit-pid", NULL };
	pid_t pid = spawn(argv, 0);
	TASSERT(pid != ERR);
	int status = TU_NO_STATUS;
	TASSERT(tu_wait(pid, TU_CHILD_TIMEOUT, &status) == 0);
	TEXPECT_EQ(status, (int)(pid & 0x7fffffff));
}

KTAP_TEST(getpid_is_a_user_pid_and_stable)
{
	pid_t pid = getpid();
	TEXPECT(pid >= 1); /* 0 is the kernel's own process */
	TEXPECT_EQ(getpid(), pid);
}

static pid_t pid_seen_by_thread;

static void record_pid(void *arg)
{
	pid_seen_by_thread = getpid();
}

KTAP_TEST(getpid_same_in_every_thread)
{
	static struct tu_thread t;
	pid_seen_by_thread = 0;
	TASSERT(tu_thread_start(&t, record_pid, NULL));
	TASSERT(tu_thread_join(&t, TU_CHILD_TIMEOUT));
	TEXPECT_EQ(pid_seen_by_thread, getpid());
}

KTAP_TEST(pids_strictly_increasing)
{
	const char *argv[] = { self, "child-exit-raw", "0", NULL };
	pid_t pids[4];
	fd_t wait_fds[4];
	for (int i = 0; i < 4; i++)
		pids[i] = tu_spawn_watched(argv, 0, &wait_fds[i]);
	for (int i = 0; i < 4; i++) {
		TASSERT(pids[i] != ERR);
		int status;
		TEXPECT_EQ(tu_wait_fd(wait_fds[i], pids[i], TU_CHILD_TIMEOUT, &status), 0);
	}
	TEXPECT(pids[0] > getpid());
	for (int i = 1; i < 4; i++)
		TEXPECT(pids[i] > pids[i - 1]);
}

KTAP_TEST(gettid_main_thread_is_0)
{
	TEXPECT_EQ(gettid(), 0);
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

/* ================================================================== 7 UPTIME */

KTAP_TEST(uptime_monotonic)
{
	clock_t prev = uptime();
	TEXPECT(prev > 0);
	for (int i = 0; i < 100000; i++) {
		clock_t now = uptime();
		if (now < prev) {
			ktap_fail(__FILE__, __LINE__, "uptime went back from %llu to %llu",
				  (unsigned long long)prev, (unsigned long long)now);
			return;
		}
		prev = now;
	}
}

static _Atomic(uint64_t) uptime_published, uptime_stop, uptime_thread_backwards;

static void uptime_publisher(void *arg)
{
	clock_t prev = 0;
	while (!atomic_load(&uptime_stop)) {
		clock_t now = uptime();
		if (now < prev)
			atomic_store(&uptime_thread_backwards, 1);
		prev = now;
		atomic_store(&uptime_published, now);
	}
}

KTAP_TEST(uptime_monotonic_across_threads)
{
	/* A value another thread (likely on another CPU) read before we read ours may not exceed ours. */
	static struct tu_thread t;
	atomic_store(&uptime_published, 0);
	atomic_store(&uptime_stop, 0);
	atomic_store(&uptime_thread_backwards, 0);
	TASSERT(tu_thread_start(&t, uptime_publisher, NULL));
	clock_t end = uptime() + 200 * TU_MS;
	uint64_t bad = 0, checks = 0;
	for (clock_t now = 0; now < end; checks++) {
		uint64_t seen = atomic_load(&uptime_published);
		now = uptime();
		if (now < seen && bad++ == 0)
			ktap_fail(__FILE__, __LINE__, "uptime %llu after another thread published %llu",
				  (unsigned long long)now, (unsigned long long)seen);
	}
	atomic_store(&uptime_stop, 1);
	TEXPECT(tu_thread_join(&t, TU_CHILD_TIMEOUT));
	TEXPECT_EQ(bad, 0);
	TEXPECT_EQ(atomic_load(&uptime_thread_backwards), 0);
	ktap_diag("%llu cross-thread comparisons", (unsigned long long)checks);
}

/* ================================================================== 8 UNIX_EPOCH */

KTAP_TEST(unix_epoch_plausible)
{
	time_t t = unix_epoch(NULL);
	TEXPECT(t != ERR);
	TEXPECT(t > 1600000000ull);  /* QEMU and real machines have an RTC */
	TEXPECT(t < 4102444800ull);  /* 2100-01-01 */
}

KTAP_TEST(unix_epoch_out_receives_value)
{
	time_t out = 0;
	time_t t = unix_epoch(&out);
	TEXPECT(t != ERR);
	TEXPECT_EQ(out, t);
}

KTAP_TEST(unix_epoch_out_bad_pointer_efault)
{
	TEXPECT_ERR(unix_epoch((time_t *)1), EFAULT);
	TEXPECT_ERR(unix_epoch((time_t *)TU_KERNEL_ADDR), EFAULT);
	TEXPECT_ERR(unix_epoch((time_t *)TU_NONCANONICAL), EFAULT);
	TEXPECT_ERR(unix_epoch((time_t *)(TU_USER_MAX - 4)), EFAULT); /* crosses the end of user space */
	TEXPECT_ERR(unix_epoch((time_t *)(UINT64_MAX - 3)), EOVERFLOW);
	munmap((void *)HOLE, TU_PAGE);
	TEXPECT_ERR(unix_epoch((time_t *)HOLE), EFAULT);
}

KTAP_TEST(unix_epoch_out_straddling_unmapped_page_efault)
{
	uint8_t *page = map_hole(2);
	TASSERT(page != NULL);
	TASSERT(munmap(page + TU_PAGE, TU_PAGE) == page + TU_PAGE);
	TEXPECT_ERR(unix_epoch((time_t *)(page + TU_PAGE - 4)), EFAULT);
	TEXPECT(unix_epoch((time_t *)(page + TU_PAGE - 8)) != ERR);
}

KTAP_TEST(unix_epoch_out_read_only_page_efault)
{
	/*
	 * A PROT_READ mapping, not a const in .rodata: the loader maps the
	 * whole program image writable (spec §10.1), so .rodata is no
	 * read-only page.
	 */
	TASSERT(zero_fd() != ERR);
	uint8_t *ro = mmap(zero_fd(), NULL, TU_PAGE, PROT_READ);
	TASSERT(ro != NULL);
	TEXPECT_ERR(unix_epoch((time_t *)(ro + 64)), EFAULT);
	/* Readable before we read it ourselves: FUTEX_WAIT reads the word (0, so it times out). */
	TASSERT(syscall4(SYS_FUTEX, (uint64_t)ro, 0, FUTEX_WAIT, 0) == ERR && syscall0(SYS_ERRNO) == ETIMEDOUT);
	uint64_t nonzero = 0;
	for (int i = 0; i < (int)TU_PAGE; i++)
		nonzero |= ro[i];
	TEXPECT_EQ(nonzero, 0); /* nothing was written */
	munmap(ro, TU_PAGE);
}

/* ================================================================== 3 NANOSLEEP, 24 YIELD */

KTAP_TEST(nanosleep_20ms_takes_at_least_20ms)
{
	clock_t t0 = uptime();
	TEXPECT_EQ(nanosleep(20 * TU_MS), 0);
	clock_t dt = uptime() - t0;
	TEXPECT(dt >= 20 * TU_MS);
	TEXPECT(dt < 20 * TU_MS + SLEEP_SLACK); /* timer slack and scheduling (§2.5) on a loaded host */
	ktap_diag("slept %llu us", (unsigned long long)(dt / 1000));
}

KTAP_TEST(nanosleep_0_returns_0_at_once)
{
	clock_t t0 = uptime();
	TEXPECT_EQ(nanosleep(0), 0);
	TEXPECT(uptime() - t0 < AT_ONCE);
}

KTAP_TEST(nanosleep_short_durations_not_early)
{
	static const clock_t durations[] = { 1, 1000, 100000, 1 * TU_MS, 3 * TU_MS };
	for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		clock_t t0 = uptime();
		TEXPECT_EQ(nanosleep(durations[i]), 0);
		clock_t dt = uptime() - t0;
		if (dt < durations[i])
			ktap_fail(__FILE__, __LINE__, "nanosleep(%llu) returned after %llu ns",
				  (unsigned long long)durations[i], (unsigned long long)dt);
	}
}

KTAP_TEST(yield_returns_0)
{
	clock_t worst = 0;
	for (int i = 0; i < 200; i++) {
		clock_t t0 = uptime();
		TEXPECT_EQ(yield(), 0);
		clock_t dt = uptime() - t0;
		if (dt > worst)
			worst = dt;
	}
	/* "MUST NOT block for noticeably longer than 1 ms plus scheduling latency" (§7.24). */
	TEXPECT(worst < AT_ONCE);
	ktap_diag("slowest yield %llu us", (unsigned long long)(worst / 1000));
}

/* ================================================================== 27 FUTEX */

static _Atomic(uint64_t) fword;

KTAP_TEST(futex_wait_mismatch_eagain)
{
	atomic_store(&fword, 5);
	clock_t t0 = uptime();
	TEXPECT_ERR(futex(&fword, 6, FUTEX_WAIT, 10 * TU_SEC), EAGAIN);
	TEXPECT(uptime() - t0 < AT_ONCE); /* immediately, not after the timeout */
}

KTAP_TEST(futex_wait_compares_all_64_bits)
{
	atomic_store(&fword, 0x100000005ull);
	TEXPECT_ERR(futex(&fword, 5, FUTEX_WAIT, 10 * TU_SEC), EAGAIN);
	TEXPECT_ERR(futex(&fword, 0x100000005ull, FUTEX_WAIT, 0), ETIMEDOUT);
}

KTAP_TEST(futex_wait_timeout_20ms_etimedout)
{
	atomic_store(&fword, 0);
	clock_t t0 = uptime();
	TEXPECT_ERR(futex(&fword, 0, FUTEX_WAIT, 20 * TU_MS), ETIMEDOUT);
	clock_t dt = uptime() - t0;
	TEXPECT(dt >= 20 * TU_MS);
	TEXPECT(dt < 20 * TU_MS + SLEEP_SLACK);
}

KTAP_TEST(futex_wait_timeout_0_etimedout)
{
	atomic_store(&fword, 0);
	clock_t t0 = uptime();
	TEXPECT_ERR(futex(&fword, 0, FUTEX_WAIT, 0), ETIMEDOUT);
	TEXPECT(uptime() - t0 < AT_ONCE);
}

KTAP_TEST(futex_wake_no_waiters_returns_0)
{
	TEXPECT_EQ(futex(&fword, 1, FUTEX_WAKE, 0), 0);
	TEXPECT_EQ(futex(&fword, FUTEX_ALL, FUTEX_WAKE, 0), 0);
}

struct fwaiter {
	_Atomic(uint64_t) state; /* 0 created, 1 about to wait, 2 returned */
	uint64_t result, err;
};

static _Atomic(uint64_t) fwait_word;

static void futex_waiter(void *arg)
{
	struct fwaiter *w = arg;
	tu_store_wake(&w->state, 1);
	w->result = syscall4(SYS_FUTEX, (uint64_t)&fwait_word, 7, FUTEX_WAIT, 60 * TU_SEC); /* woken long before */
	w->err = syscall0(SYS_ERRNO);
	tu_store_wake(&w->state, 2);
}

/* FUTEX_WAKE @count, retried while it finds nobody (a waiter may not have blocked yet). */
static uint64_t wake_someone(uint64_t count)
{
	clock_t deadline = uptime() + TU_CHILD_TIMEOUT;
	uint64_t r;
	while ((r = futex(&fwait_word, count, FUTEX_WAKE, 0)) == 0 && uptime() < deadline)
		nanosleep(1 * TU_MS);
	return r;
}

KTAP_TEST(futex_two_waiters_wake_1_then_all)
{
	static struct fwaiter w[2];
	static struct tu_thread t[2];
	atomic_store(&fwait_word, 7);
	for (int i = 0; i < 2; i++) {
		atomic_store(&w[i].state, 0);
		w[i].result = w[i].err = 0xdead;
		TASSERT(tu_thread_start(&t[i], futex_waiter, &w[i]));
	}
	TASSERT(tu_wait_ge(&w[0].state, 1, TU_CHILD_TIMEOUT) && tu_wait_ge(&w[1].state, 1, TU_CHILD_TIMEOUT));
	nanosleep(50 * TU_MS); /* both into the kernel's wait */
	/* val 0 wakes nobody, even with waiters present. */
	TEXPECT_EQ(futex(&fwait_word, 0, FUTEX_WAKE, 0), 0);
	TEXPECT_EQ(wake_someone(1), 1);
	clock_t deadline = uptime() + TU_CHILD_TIMEOUT;
	while (atomic_load(&w[0].state) != 2 && atomic_load(&w[1].state) != 2 && uptime() < deadline)
		nanosleep(1 * TU_MS);
	nanosleep(50 * TU_MS);
	int done = (atomic_load(&w[0].state) == 2) + (atomic_load(&w[1].state) == 2);
	TEXPECT_EQ(done, 1); /* exactly one woke; the other is still blocked */
	TEXPECT_EQ(wake_someone(FUTEX_ALL), 1);
	for (int i = 0; i < 2; i++) {
		TEXPECT(tu_wait_eq(&w[i].state, 2, TU_CHILD_TIMEOUT));
		TEXPECT_EQ(w[i].result, 0);
		TEXPECT(tu_thread_join(&t[i], TU_CHILD_TIMEOUT));
	}
}

/*
 * One round of the oldest-first probe: waiter 0 blocks, then waiter 1, and
 * FUTEX_WAKE 1 must pick waiter 0. Returns 1 if it did, 0 if waiter 1 woke
 * instead, -1 if the round could not be run (reported).
 */
static int oldest_first_round(void)
{
	static struct fwaiter w[2];
	static struct tu_thread t[2];
	atomic_store(&fwait_word, 7);
	for (int i = 0; i < 2; i++) {
		atomic_store(&w[i].state, 0);
		w[i].result = 0xdead;
		if (!tu_thread_start(&t[i], futex_waiter, &w[i]) || !tu_wait_ge(&w[i].state, 1, TU_CHILD_TIMEOUT)) {
			ktap_fail(__FILE__, __LINE__, "waiter %d did not start", i);
			return -1;
		}
		nanosleep(100 * TU_MS); /* waiter i blocks before waiter i + 1 starts (usually) */
	}
	int first = -1;
	uint64_t woken = wake_someone(1);
	if (woken == 1) {
		clock_t deadline = uptime() + TU_CHILD_TIMEOUT;
		while (first < 0 && uptime() < deadline) {
			for (int i = 0; i < 2 && first < 0; i++)
				if (atomic_load(&w[i].state) == 2)
					first = i;
			nanosleep(1 * TU_MS);
		}
		if (first < 0)
			ktap_fail(__FILE__, __LINE__, "FUTEX_WAKE 1 returned 1 but no waiter returned");
	} else {
		ktap_fail(__FILE__, __LINE__, "FUTEX_WAKE 1 with two waiters returned %lld", (long long)woken);
	}
	wake_someone(FUTEX_ALL);
	for (int i = 0; i < 2; i++) {
		if (!tu_wait_eq(&w[i].state, 2, TU_CHILD_TIMEOUT) || !tu_thread_join(&t[i], TU_CHILD_TIMEOUT)) {
			ktap_fail(__FILE__, __LINE__, "waiter %d never woke", i);
			return -1;
		}
	}
	return first < 0 ? -1 : first == 0;
}

KTAP_TEST(futex_wake_oldest_waiter_first)
{
	/*
	 * A waiter delayed on a loaded host can block late and so be the
	 * "newer" one; a kernel that is not FIFO fails every round, so one
	 * correct round out of three passes.
	 */
	for (int round = 0; round < 3; round++) {
		int r = oldest_first_round();
		if (r < 0)
			return;
		if (r == 1)
			return;
		ktap_diag("round %d: the newer waiter woke first", round);
	}
	ktap_fail(__FILE__, __LINE__, "FUTEX_WAKE 1 woke the newer waiter in 3 of 3 rounds");
}

KTAP_TEST(futex_wait_null_einval)
{
	TEXPECT_ERR(futex(NULL, 0, FUTEX_WAIT, 0), EINVAL);
}

KTAP_TEST(futex_wait_bad_address_efault)
{
	munmap((void *)HOLE, TU_PAGE);
	TEXPECT_ERR(futex((_Atomic(uint64_t) *)HOLE, 0, FUTEX_WAIT, 0), EFAULT);
	TEXPECT_ERR(futex((_Atomic(uint64_t) *)0x1000, 0, FUTEX_WAIT, 0), EFAULT);
	TEXPECT_ERR(futex((_Atomic(uint64_t) *)TU_KERNEL_ADDR, 0, FUTEX_WAIT, 0), EFAULT);
	TEXPECT_ERR(futex((_Atomic(uint64_t) *)TU_NONCANONICAL, 0, FUTEX_WAIT, 0), EFAULT);
}

KTAP_TEST(futex_wait_on_read_only_page_works)
{
	/* WAIT only reads the word: a PROT_READ page holding 0 is fine. */
	TASSERT(zero_fd() != ERR);
	_Atomic(uint64_t) *ro = mmap(zero_fd(), NULL, TU_PAGE, PROT_READ);
	TASSERT(ro != NULL);
	TEXPECT_ERR(futex(ro, 0, FUTEX_WAIT, 0), ETIMEDOUT);
	TEXPECT_ERR(futex(ro, 1, FUTEX_WAIT, 0), EAGAIN);
	munmap((void *)ro, TU_PAGE);
}

KTAP_TEST(futex_wake_never_reads_the_word)
{
	/* WAKE accepts NULL and unmapped words once they pass the alignment check (§7.27). */
	munmap((void *)HOLE, TU_PAGE);
	TEXPECT_EQ(futex(NULL, 1, FUTEX_WAKE, 0), 0);
	TEXPECT_EQ(futex((_Atomic(uint64_t) *)HOLE, FUTEX_ALL, FUTEX_WAKE, 0), 0);
	TEXPECT_EQ(futex((_Atomic(uint64_t) *)TU_KERNEL_ADDR, 1, FUTEX_WAKE, 12345), 0);
}

KTAP_TEST(futex_bad_op_einval)
{
	TEXPECT_ERR(futex(&fword, 0, 2, 0), EINVAL);
	TEXPECT_ERR(futex(&fword, 0, 0xFFFFFFFFu, 0), EINVAL);
	TEXPECT_ERR(futex(NULL, 0, 2, 0), EINVAL);
}

KTAP_TEST(futex_misaligned_einval)
{
	static _Alignas(16) uint64_t words[2];
	_Atomic(uint64_t) *odd4 = (_Atomic(uint64_t) *)((char *)words + 4);
	_Atomic(uint64_t) *odd1 = (_Atomic(uint64_t) *)((char *)words + 1);
	words[0] = words[1] = 0;
	TEXPECT_ERR(futex(odd4, 0, FUTEX_WAIT, 0), EINVAL);
	TEXPECT_ERR(futex(odd1, 0, FUTEX_WAIT, 0), EINVAL);
	TEXPECT_ERR(futex(odd4, 1, FUTEX_WAKE, 0), EINVAL);
	TEXPECT_ERR(futex((_Atomic(uint64_t) *)4, 1, FUTEX_WAKE, 0), EINVAL);
}

KTAP_TEST(futex_op_upper_bits_ignored)
{
	atomic_store(&fword, 9);
	/* 0x1_00000001 is FUTEX_WAKE after truncation to 32 bits (§2.2). */
	TEXPECT_EQ(syscall4(SYS_FUTEX, (uint64_t)&fword, 1, 0x100000001ull, 0), 0);
	/* 0xFFFFFFFF_00000000 is FUTEX_WAIT: a mismatch gives EAGAIN, a match times out. */
	TEXPECT_RAW_ERR(syscall4(SYS_FUTEX, (uint64_t)&fword, 8, 0xFFFFFFFF00000000ull, 0), EAGAIN);
	TEXPECT_RAW_ERR(syscall4(SYS_FUTEX, (uint64_t)&fword, 9, 0xFFFFFFFF00000000ull, 0), ETIMEDOUT);
	/* And the low half still decides: 0x1_00000002 is op 2. */
	TEXPECT_RAW_ERR(syscall4(SYS_FUTEX, (uint64_t)&fword, 9, 0x100000002ull, 0), EINVAL);
}

/* ================================================================== §2.4 ENOSYS, §12.1 registers */

KTAP_TEST(invalid_syscall_numbers_enosys)
{
	static const uint64_t numbers[] = { 34, 35, 100, 0x100000000ull, 0x100000005ull, 0x8000000000000000ull,
					    UINT64_MAX };
	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
		TEXPECT_RAW_ERR(syscall0(numbers[i]), ENOSYS);
}

KTAP_TEST(syscall_preserves_registers)
{
	EXPECT_ROLE_STATUS(0, "child-regs");
}

KTAP_TEST(syscall_preserves_ymm_upper_halves)
{
	int status = RUN_ROLE("child-regs-ymm");
	if (status == NO_AVX_STATUS)
		TSKIP("the kernel did not enable AVX state (XCR0)");
	if (status != TU_NO_STATUS)
		TEXPECT_EQ(status, 0);
}

/* ================================================================== main */

int main(int argc, char **argv)
{
	if (argc > 0 && argv[0] && argv[0][0] == '/')
		self = argv[0];
	if (argc >= 2 && strncmp(argv[1], "child-", 6) == 0) {
		for (size_t i = 0; i < sizeof(child_roles) / sizeof(child_roles[0]); i++)
			if (strcmp(argv[1], child_roles[i].name) == 0)
				return child_roles[i].fn(argc, argv);
		printf("# sys_proc: unknown child role %s\n", argv[1]);
		return 98;
	}
	return tu_ktap_main(60 * TU_SEC);
}
