// SPDX-License-Identifier: MIT
// sys_proc: the calling convention: unknown numbers give ENOSYS (spec §2.4), SYSCALL keeps registers (§12.1).
#include "user/tests/sys_proc/sys_proc.h"

/* ------------------------------------------------------------------ probe data for probes.S */

uint64_t regs_gpr_in[12], regs_gpr_out[12];
uint8_t regs_xmm_in[16][16], regs_xmm_out[16][16];
uint8_t regs_ymm_hi_in[16][16], regs_ymm_hi_out[16][16];
uint8_t regs_xmm_scramble[16][16];
uint64_t regs_rax_out, regs_rsp_before, regs_rsp_after;
uint32_t regs_mxcsr_in, regs_mxcsr_out;
uint16_t regs_fcw_in, regs_fcw_out;
volatile uint64_t regs_scrambler_stop;

void regs_syscall_probe(uint64_t nr);
void regs_ymm_probe(uint64_t nr);
void regs_scrambler(void);

static const char *const gpr_names[12] = { "rbx", "rbp", "r12", "r13", "r14", "r15",
					   "rdi", "rsi", "rdx", "r8",	"r9",  "r10" };
enum { GPR_RDI = 6, GPR_RSI = 7, GPR_RDX = 8, GPR_R10 = 11 };

/* ================================================================== child roles */

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

int child_regs(int argc, char **argv)
{
	return child_regs_common(false);
}

int child_regs_ymm(int argc, char **argv)
{
	return child_regs_common(true);
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
