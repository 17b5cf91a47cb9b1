// SPDX-License-Identifier: MIT
// CPUs: every CPU of the MADT online, each with its own descriptor tables,
// GS block and syscall MSRs; IPIs; the clock monotonic across CPUs; TLB
// shootdown of kernel mappings.
#include "arch/x86_64/arch.h"
#include "arch/x86_64/test/arch_test.h"
#include "kernel/lib/string.h"
#include "kernel/mm/pmm.h"
#include "kernel/test/ktest.h"
#include "kernel/time/time.h"

extern void syscall_entry(void);

KTEST(cpu, all_listed_cpus_online)
{
	KEXPECT_EQ(arch_cpu_count(), arch_cpus_expected());
	KEXPECT_EQ(arch_online_mask(), (arch_cpu_count() >= 64 ? ~0ULL : (1ULL << arch_cpu_count()) - 1));
}

static void read_state(void *arg)
{
	arch_read_cpu_state(arg);
}

KTEST(cpu, per_cpu_msrs_and_control_registers)
{
	uint32_t seen_ids[64];
	for (unsigned i = 0; i < arch_cpu_count(); i++) {
		struct arch_cpu_state st;
		memset(&st, 0, sizeof(st));
		KASSERT(arch_run_on_cpu(i, read_state, &st, true) == 0);
		KEXPECT_EQ(st.index, i);
		/* APs take their slot in arrival order and record their own APIC id. */
		KEXPECT_EQ(st.recorded_apic_id, st.apic_id);
		KEXPECT_EQ(st.efer & 1, 1);               /* SCE */
		KEXPECT_EQ((st.efer >> 11) & 1, 1);       /* NXE */
		KEXPECT_EQ(st.star, (0x10ULL << 48) | (0x08ULL << 32));
		KEXPECT_EQ(st.lstar, (uint64_t)syscall_entry);
		/* IF, DF, TF, AC, NT and IOPL are masked on entry. */
		uint64_t need = (1u << 9) | (1u << 10) | (1u << 8) | (1u << 18) | (1u << 14) | (3u << 12);
		KEXPECT_EQ(st.sfmask & need, need);
		KEXPECT(st.gs_base >= 0xFFFF800000000000ULL); /* this CPU's block, in the kernel */
		KEXPECT((st.cr4 >> 7) & 1);                /* PGE */
		KEXPECT((st.cr0 >> 16) & 1);               /* WP */
		/* Hardening on every CPU wherever the CPU offers it (QEMU's "max" offers all). */
		KEXPECT(!st.has_smep || ((st.cr4 >> 20) & 1)); /* SMEP */
		KEXPECT(!st.has_smap || ((st.cr4 >> 21) & 1)); /* SMAP */
		KEXPECT(!st.has_umip || ((st.cr4 >> 11) & 1)); /* UMIP */
		KEXPECT(st.has_nx && ((st.efer >> 11) & 1));    /* NX (every x86-64 CPU has it) */
		seen_ids[i] = st.apic_id;
		for (unsigned j = 0; j < i; j++)
			KEXPECT(seen_ids[j] != st.apic_id);
	}
}

static void gs_of(void *arg)
{
	struct arch_cpu_state st;
	arch_read_cpu_state(&st);
	*(uint64_t *)arg = st.gs_base;
}

KTEST(cpu, gs_blocks_distinct)
{
	uint64_t gs[64];
	for (unsigned i = 0; i < arch_cpu_count(); i++) {
		KASSERT(arch_run_on_cpu(i, gs_of, &gs[i], true) == 0);
		for (unsigned j = 0; j < i; j++)
			KEXPECT(gs[i] != gs[j]);
	}
}

struct mono_ctx {
	uint64_t last;        /* atomic: largest time seen by anyone */
	uint32_t violations;  /* atomic */
	uint32_t done;        /* atomic */
};

static void mono_loop(void *arg)
{
	struct mono_ctx *c = arg;
	for (int i = 0; i < 20000; i++) {
		uint64_t prev = __atomic_load_n(&c->last, __ATOMIC_ACQUIRE);
		uint64_t now = time_now_ns();
		if (now < prev)
			__atomic_fetch_add(&c->violations, 1, __ATOMIC_RELAXED);
		while (now > prev && !__atomic_compare_exchange_n(&c->last, &prev, now, false, __ATOMIC_ACQ_REL,
								  __ATOMIC_ACQUIRE))
			;
	}
	__atomic_fetch_add(&c->done, 1, __ATOMIC_ACQ_REL);
}

KTEST(cpu, clock_monotonic_across_cpus)
{
	static struct mono_ctx c;
	memset(&c, 0, sizeof(c));
	for (unsigned i = 1; i < arch_cpu_count(); i++)
		KASSERT(arch_run_on_cpu(i, mono_loop, &c, false) == 0);
	mono_loop(&c);
	while (__atomic_load_n(&c.done, __ATOMIC_ACQUIRE) < arch_cpu_count())
		arch_cpu_relax();
	KEXPECT_EQ(c.violations, 0);
	KEXPECT(c.last > 0);
}

KTEST(cpu, clock_advances)
{
	uint64_t a = time_now_ns();
	time_delay_ns(2000000);
	uint64_t b = time_now_ns();
	KEXPECT(b - a >= 2000000);
	KEXPECT(time_unix_epoch() > 1700000000ULL); /* the RTC gave a plausible date */
}

#define TEST_VA 0xFFFFFE8000000000ULL + 0x00F0000000ULL /* an unused part of the stack area */

struct touch_ctx {
	uint64_t va;
	int result;
	uint64_t value;
};

static void touch(void *arg)
{
	struct touch_ctx *t = arg;
	t->result = arch_probe_read64(t->va, &t->value);
}

KTEST(cpu, tlb_shootdown_of_kernel_mapping)
{
	if (arch_cpu_count() < 2)
		KTEST_SKIP("needs two CPUs");
	paddr_t frame = pmm_alloc_zeroed_page();
	KASSERT(frame);
	*(uint64_t *)phys_to_virt(frame) = 0xabcdef;
	KASSERT(arch_pt_map(arch_pt_kernel_root(), TEST_VA, frame, ARCH_MAP_WRITE | ARCH_MAP_GLOBAL) == 0);
	/* Every other CPU reads it, so each caches the translation. */
	for (unsigned i = 1; i < arch_cpu_count(); i++) {
		struct touch_ctx t = { TEST_VA, -1, 0 };
		arch_run_on_cpu(i, touch, &t, true);
		KEXPECT_EQ(t.result, 0);
		KEXPECT_EQ(t.value, 0xabcdef);
	}
	arch_pt_unmap_range(arch_pt_kernel_root(), TEST_VA, TEST_VA + PAGE_SIZE, NULL, NULL);
	arch_tlb_flush_local(TEST_VA, TEST_VA + PAGE_SIZE);
	arch_tlb_shootdown_all(TEST_VA, TEST_VA + PAGE_SIZE);
	/* After the shootdown returned, no CPU may still reach the page. */
	for (unsigned i = 1; i < arch_cpu_count(); i++) {
		struct touch_ctx t = { TEST_VA, 0, 0 };
		arch_run_on_cpu(i, touch, &t, true);
		KEXPECT_EQ(t.result, -14);
	}
	pmm_free_page(frame);
}

static void count_call(void *arg)
{
	__atomic_fetch_add((uint32_t *)arg, 1 + arch_cpu_index(), __ATOMIC_ACQ_REL);
}

KTEST(cpu, remote_calls_run_on_target)
{
	static uint32_t sum;
	sum = 0;
	uint32_t expect = 0;
	for (int round = 0; round < 50; round++)
		for (unsigned i = 0; i < arch_cpu_count(); i++) {
			arch_run_on_cpu(i, count_call, &sum, true);
			expect += 1 + i;
		}
	KEXPECT_EQ(sum, expect);
}

static void shoot_down_from_there(void *arg)
{
	/* In the target's IPI handler, IRQs off: waits until every other CPU flushed. */
	arch_tlb_shootdown_all(TEST_VA, TEST_VA + PAGE_SIZE);
	__atomic_store_n((int *)arg, 1, __ATOMIC_RELEASE);
}

/*
 * A CPU waiting with IRQs off for a remote call must still serve a TLB
 * shootdown the target starts meanwhile: the target waits for it, IRQs off
 * too. (The ktests run on the boot thread with IRQs off; this deadlock hung
 * fs.ramfs_concurrent_churn while the other CPU freed a dead thread's stack.)
 */
KTEST(cpu, remote_call_waiter_serves_shootdowns)
{
	if (arch_cpu_count() < 2)
		KTEST_SKIP("needs two CPUs");
	static int done;
	done = 0;
	unsigned target = arch_cpu_index() == 0 ? 1 : 0;
	irqflags_t f = arch_irq_save();
	int r = arch_run_on_cpu(target, shoot_down_from_there, &done, true);
	arch_irq_restore(f);
	KEXPECT_EQ(r, 0);
	KEXPECT_EQ(__atomic_load_n(&done, __ATOMIC_ACQUIRE), 1);
}
