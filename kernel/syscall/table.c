// SPDX-License-Identifier: MIT
// The system-call table and dispatcher. Descriptors come from the
// .syscall_table section (SYSCALL_DEFINE); at boot they are sorted into a
// dense array indexed by number. The dispatcher is the one place that turns a
// handler's -errno into ERR / NULL and the thread's error slot (spec §2.3).
#include "kernel/syscall/syscall.h"

#include "arch/x86_64/arch.h"
#include "kernel/log/log.h"
#include "kernel/sched/process.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/thread.h"

extern const struct syscall_desc __syscall_table_start[], __syscall_table_end[];

/* Immutable after syscall_table_init(). */
static syscall_fn_t table[SYS_TOTAL_AMOUNT];
static bool pointer_result[SYS_TOTAL_AMOUNT];

void syscall_table_init(void)
{
	static struct syscall_desc sorted[SYS_TOTAL_AMOUNT + 16];
	uint64_t n = (uint64_t)(__syscall_table_end - __syscall_table_start);
	if (n > SYS_TOTAL_AMOUNT + 16)
		panic("syscall table: %lu descriptors, expected %u", n, SYS_TOTAL_AMOUNT);
	/* Insertion sort: the section is small and link order is nearly sorted. */
	for (uint64_t i = 0; i < n; i++) {
		struct syscall_desc d = __syscall_table_start[i];
		uint64_t j = i;
		while (j > 0 && sorted[j - 1].number > d.number) {
			sorted[j] = sorted[j - 1];
			j--;
		}
		sorted[j] = d;
	}
	const char *why;
	uint64_t bad;
	if (syscall_table_check(sorted, n, SYS_TOTAL_AMOUNT, &why, &bad))
		panic("syscall table: number %lu %s (table must be exactly 0..%u)", bad, why, SYS_TOTAL_AMOUNT - 1);
	for (uint64_t i = 0; i < n; i++) {
		table[i] = sorted[i].fn;
		pointer_result[i] = sorted[i].pointer_result;
	}
}

/* Called by arch/x86_64/syscall.S with IRQs on. */
uint64_t syscall_handler(uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6,
			 uint64_t number)
{
	struct thread *t = current_thread();
	/*
	 * No AC check here, unlike trap_dispatch: SFMASK clears AC on every
	 * SYSCALL (cpu.per_cpu_msrs_and_control_registers checks it on each
	 * CPU), and this is the hottest path in the kernel.
	 */
	struct syscall_trace_entry *e = &t->sc_trace[t->sc_trace_count++ % SYSCALL_TRACE_LEN];
	*e = (struct syscall_trace_entry){ number, { a1, a2, a3, a4 } };
	if (number >= SYS_TOTAL_AMOUNT) {
		t->errno_slot = ENOSYS;
		return ERR;
	}
	int64_t r = table[number](a1, a2, a3, a4, a5, a6);
	if (r < 0) {
		t->errno_slot = -r;
		return pointer_result[number] ? 0 : ERR;
	}
	return (uint64_t)r;
}

static const char *const names[SYS_TOTAL_AMOUNT] = {
#define NAME_(num, name, nargs, result) [num] = #name,
	SYSCALL_LIST(NAME_)
#undef NAME_
};

const char *syscall_name(uint64_t nr)
{
	return nr < SYS_TOTAL_AMOUNT ? names[nr] : NULL;
}

static void dump_thread(void (*out)(const char *fmt, ...), unsigned cpu, const struct thread *t)
{
	/* A thread struct lives in the kernel heap, reached through the direct map. */
	if ((uint64_t)t < 0xFFFF800000000000ULL || ((uint64_t)t & 7) || !t->proc)
		return;
	uint64_t count = t->sc_trace_count;
	if (!count)
		return;
	out("syscall trace cpu %u: pid %lu tid %lu, its last %lu system calls, oldest first:\n", cpu,
	    t->proc->pid, t->tid, count < SYSCALL_TRACE_LEN ? count : (uint64_t)SYSCALL_TRACE_LEN);
	for (uint64_t i = count > SYSCALL_TRACE_LEN ? count - SYSCALL_TRACE_LEN : 0; i < count; i++) {
		const struct syscall_trace_entry *e = &t->sc_trace[i % SYSCALL_TRACE_LEN];
		const char *name = syscall_name(e->nr);
		if (name)
			out("  %s(%#lx, %#lx, %#lx, %#lx)\n", name, e->arg[0], e->arg[1], e->arg[2], e->arg[3]);
		else
			out("  #%#lx(%#lx, %#lx, %#lx, %#lx)\n", e->nr, e->arg[0], e->arg[1], e->arg[2], e->arg[3]);
	}
}

void syscall_trace_dump(void (*out)(const char *fmt, ...))
{
	for (unsigned cpu = 0; cpu < arch_cpu_count(); cpu++)
		dump_thread(out, cpu, arch_cpu_current_thread(cpu));
}
