// SPDX-License-Identifier: MIT
// The contract between generic kernel code and the machine. Generic code
// (kernel/, fs/) calls only these; everything that needs an instruction lives
// behind them in arch/x86_64/.
#ifndef QUILT_ARCH_H
#define QUILT_ARCH_H

#include <stdbool.h>
#include <stdint.h>

typedef uint64_t irqflags_t;

/* Console UART (COM1), polled. Context: any, including panic. */
void arch_console_init(void);
void arch_console_putc(char c);
/* Deliver typed bytes to console_input_push() from the UART interrupt. Context: boot, after platform init. */
void arch_console_enable_input(void);
/* Route legacy ISA interrupt @irq to @vector on the bootstrap CPU. */
void arch_route_isa_irq(uint8_t irq, uint8_t vector);
/*
 * arch_isa_irq_install - call @handler for ISA IRQ @irq (1-15, not 4: the
 * console UART's), through the I/O APIC to the bootstrap CPU, on the vector
 * arch reserves for it. The handler must end with arch_lapic_eoi().
 * Context: boot.
 */
void arch_isa_irq_install(uint8_t irq, void (*handler)(unsigned vector, void *frame));
void arch_lapic_eoi(void);

/* Port I/O for drivers (kernel/drivers/): the only way generic code reaches an I/O port. */
uint8_t arch_io_in8(uint16_t port);
uint16_t arch_io_in16(uint16_t port);
uint32_t arch_io_in32(uint16_t port);
void arch_io_out8(uint16_t port, uint8_t value);
void arch_io_out16(uint16_t port, uint16_t value);
void arch_io_out32(uint16_t port, uint32_t value);
/* One byte to a physical MMIO address (uncached, through the direct map). */
void arch_mmio_write8(uint64_t phys, uint8_t value);
/*
 * arch_mmio_map - map the device registers at [@phys, @phys + @len_bytes)
 * uncached (page attributes, whatever the MTRRs say) into the kernel's MMIO
 * window, for the life of the kernel. Returns the address of @phys there, or
 * NULL (window full, no memory for page tables). Context: thread; boot.
 */
volatile void *arch_mmio_map(uint64_t phys, uint64_t len_bytes);
/*
 * arch_mmio_map_wc - the same for memory a device shows as a plain array of
 * bytes (a framebuffer): write-combining where the CPU has PAT, else
 * uncached, so writes leave in bursts and are never read back into a cache.
 */
void *arch_mmio_map_wc(uint64_t phys, uint64_t len_bytes);
/* Register access at an address from arch_mmio_map(), exactly one access of that width each. */
uint32_t arch_mmio_read32(const volatile void *addr);
void arch_mmio_write32(volatile void *addr, uint32_t value);
/* 64-bit registers as two 32-bit accesses, low half first: what every xHCI accepts. */
uint64_t arch_mmio_read64(const volatile void *addr);
void arch_mmio_write64(volatile void *addr, uint64_t value);

/* The ACPI tables parsed at platform init (immutable afterwards; zeroed when there were none). */
struct acpi_info;
const struct acpi_info *arch_acpi_info(void);

/* Reset the machine by a triple fault (empty IDT, then an exception). Context: any. */
__attribute__((noreturn)) void arch_reset_triple_fault(void);

/*
 * Interrupt flag. Inline, as they run around every lock and per-CPU list:
 * under QEMU's TCG a call's return is a lookup of the next translated
 * block, and sti ends one anyway.
 */
static inline irqflags_t arch_irq_save(void) /* disable, return previous state */
{
	uint64_t flags;
	__asm__ volatile("pushfq; pop %0; cli" : "=r"(flags) : : "memory");
	return flags & (1u << 9);
}

static inline void arch_irq_restore(irqflags_t flags)
{
	if (flags & (1u << 9))
		__asm__ volatile("sti" : : : "memory");
}

static inline void arch_irq_enable(void) { __asm__ volatile("sti" : : : "memory"); }
static inline void arch_irq_disable(void) { __asm__ volatile("cli" : : : "memory"); }

static inline bool arch_irq_enabled(void)
{
	uint64_t flags;
	__asm__ volatile("pushfq; pop %0" : "=r"(flags));
	return flags & (1u << 9);
}

/* Spin-wait hint (pause). */
static inline void arch_cpu_relax(void) { __asm__ volatile("pause"); }

/* Whether this CPU says it runs under a hypervisor (CPUID.1:ECX bit 31). */
bool arch_on_hypervisor(void);

/* Stop this CPU for good. */
__attribute__((noreturn)) void arch_halt_forever(void);

/* Values for arch_qemu_exit(); QEMU then exits with (value << 1) | 1. */
#define QEMU_EXIT_SUCCESS 0 /* exit code 1 */
#define QEMU_EXIT_FAILURE 1 /* exit code 3 */
#define QEMU_EXIT_PANIC   2 /* exit code 5 */

/* Index of the executing CPU (0 = bootstrap processor). Context: any. */
extern bool arch_percpu_ready; /* %gs points at a struct cpu: set once, by the BSP's arch_cpu_init() */
#define ARCH_CPU_INDEX_OFFSET 32 /* of struct cpu's index (cpu.c checks it) */
static inline unsigned arch_cpu_index(void)
{
	if (__builtin_expect(!arch_percpu_ready, 0))
		return 0; /* early boot, on the BSP */
	uint32_t i;
	__asm__ volatile("movl %%gs:%c1, %0" : "=r"(i) : "i"(ARCH_CPU_INDEX_OFFSET));
	return i;
}

/* From a panic: stop every other CPU (NMI), without locks. Returns how many stopped. */
unsigned arch_stop_other_cpus(void);
/* The other side: a CPU receiving the panic NMI parks itself here. */
__attribute__((noreturn)) void arch_park_for_panic(void);

/*
 * arch_qemu_exit - leave QEMU through isa-debug-exit with status (value << 1) | 1.
 * Returns only when no such device exists (real hardware).
 */
void arch_qemu_exit(uint32_t value);

/* Frame pointer of the caller of this function (for backtraces). */
uint64_t arch_frame_pointer(void);

/* Trap frames, opaque to generic code (panic output). */
void arch_dump_frame(const void *frame, void (*out)(const char *fmt, ...));
uint64_t arch_frame_fp(const void *frame);
uint64_t arch_frame_ip(const void *frame);

/*
 * Interrupt vectors 32..255: register a handler, called with IRQs off on the
 * interrupted CPU. Context: boot.
 */
typedef void (*arch_irq_handler_t)(unsigned vector, void *frame);
void arch_irq_register(unsigned vector, arch_irq_handler_t handler);
/*
 * arch_msi_alloc - take a free vector for a device's message-signalled
 * interrupt (PCI MSI), install @handler on it, aimed at the bootstrap CPU;
 * @address and @data get what the device must write to raise it (fixed
 * delivery, edge). The handler must end with arch_lapic_eoi().
 * Returns 0, -ENOSPC (every MSI vector taken) or -ENODEV (the bootstrap
 * CPU's APIC id does not fit a message address). Context: boot.
 */
int arch_msi_alloc(arch_irq_handler_t handler, uint64_t *address, uint32_t *data);

/* Cycle counter (TSC); monotonic per CPU. */
static inline uint64_t arch_cycles(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* What one virtual address translates to in the current address space. */
struct arch_mapping {
	uint64_t phys;
	uint64_t page_size; /* 4 KiB, 2 MiB or 1 GiB */
	bool writable, user, executable, global;
	bool write_combining, uncached; /* the page attributes' memory type; neither: write-back */
};
/* Walk the current page tables for @virt. Returns false when not mapped. */
bool arch_query_mapping(uint64_t virt, struct arch_mapping *out);

/*
 * Page tables. A root is the physical address of a top-level table. Leaf
 * rights come from ARCH_MAP_* (read is implied); tables are allocated from the
 * page allocator and freed when they become empty (user half only). None of
 * these flush TLBs: the caller batches that with arch_tlb_flush_local() or a
 * shootdown. Context: caller serializes changes to one root.
 */
#define ARCH_MAP_WRITE   0x1u
#define ARCH_MAP_EXEC    0x2u
#define ARCH_MAP_USER    0x4u
#define ARCH_MAP_GLOBAL  0x8u
#define ARCH_MAP_NOCACHE 0x10u
/* Write-combining (device memory such as a framebuffer) where the CPU has PAT, else uncached. */
#define ARCH_MAP_WC      0x20u

/* Build the kernel's own tables (direct map of [0, phys_end), W^X image) and switch to them. */
void arch_paging_init(uint64_t phys_end);
uint64_t arch_pt_kernel_root(void);
/* A new root sharing the kernel half. Returns 0 when out of memory. */
uint64_t arch_pt_new_root(void);
/* Free a root and its (already emptied) user-half tables. */
void arch_pt_destroy_root(uint64_t root);
/* Map one 4 KiB page, replacing what was there. Returns 0 or -ENOMEM. */
int arch_pt_map(uint64_t root, uint64_t va, uint64_t pa, unsigned flags);
/*
 * Where the mapping calls get their frames: up to @max into @out, returning
 * how many (0: none left). Asked for many at a time where a run of entries
 * is to be filled, so that a frame costs no call of its own.
 */
typedef unsigned (*arch_frame_source)(uint64_t *out, unsigned max, void *ctx);
/* What the unmapping calls hand the frames they took out to, up to ARCH_FRAME_BATCH at a time. */
typedef void (*arch_frame_sink)(const uint64_t *frames, unsigned n, void *ctx);
#define ARCH_FRAME_BATCH 64
/* Map @npages from @va, asking @source for the frames (none left: -ENOMEM). Returns 0 or -ENOMEM. */
int arch_pt_map_range(uint64_t root, uint64_t va, uint64_t npages, arch_frame_source source, void *ctx,
		      unsigned flags);
/*
 * Map the pages of [@va, @va + @npages pages) that have no entry, asking
 * @source for each frame, in existing leaf tables only; stops quietly when
 * @source has none left. Returns how many pages it mapped.
 */
uint64_t arch_pt_map_absent(uint64_t root, uint64_t va, uint64_t npages, arch_frame_source source, void *ctx,
			    unsigned flags);
/* Unmap [start, end); @sink (may be NULL) gets the frames that were mapped. Returns pages unmapped. */
uint64_t arch_pt_unmap_range(uint64_t root, uint64_t start, uint64_t end, arch_frame_sink sink, void *ctx);
/*
 * The same, and narrows [*@lo, *@hi) to also cover every page it unmapped
 * (callers start with *lo = UINT64_MAX, *hi = 0): the span a TLB flush
 * must reach, often a few pages of a large range.
 */
uint64_t arch_pt_unmap_range_span(uint64_t root, uint64_t start, uint64_t end, arch_frame_sink sink, void *ctx,
				  uint64_t *lo, uint64_t *hi);
/*
 * The lowest address in [va, end) (va page aligned) whose leaf table exists,
 * or @end: absent upper-level entries are skipped whole (1 GiB, 512 GiB), so
 * scanning a huge, sparsely mapped range costs what is mapped, not its size.
 */
uint64_t arch_pt_next_table(uint64_t root, uint64_t va, uint64_t end);
/*
 * Set the rights of the mapped pages of [start, end). Returns how many lost
 * a right (or changed otherwise): those a TLB must forget. Pages that only
 * gained rights need no flush: a stale entry faults and the access is
 * retried (vm_fault).
 */
uint64_t arch_pt_protect_range(uint64_t root, uint64_t start, uint64_t end, unsigned flags);
bool arch_pt_query(uint64_t root, uint64_t va, struct arch_mapping *out);
/* User-half pages of @root that user mode could both write and execute (W^X check; counts 4 KiB pages). */
uint64_t arch_pt_count_user_wx(uint64_t root);
void arch_pt_switch(uint64_t root);
uint64_t arch_pt_current(void);
/* Invalidate this CPU's translations of [start, end). */
void arch_tlb_flush_local(uint64_t start, uint64_t end);
/*
 * Make the CPUs in @cpu_mask invalidate [start, end) of @root (if they have it
 * loaded) and wait until they have. Context: IRQs may be off; spins.
 */
void arch_tlb_shootdown(uint64_t cpu_mask, uint64_t root, uint64_t start, uint64_t end);
/* The same for a kernel (global) range on every other online CPU. */
void arch_tlb_shootdown_all(uint64_t start, uint64_t end);
/* Page-table pages the kernel half has allocated so far (never freed). */
uint64_t arch_kernel_table_pages(void);

/* The address space loaded on this CPU (opaque to arch). */
void *arch_current_space(void);
void arch_set_current_space(void *space);

/* 64 random bits from the CPU's generator (RDRAND). Returns false when there is none or it failed. */
bool arch_random64(uint64_t *out);

/* Fill / copy a 4 KiB page (page_ops.c). */
void arch_zero_page(void *page);
void arch_copy_page(void *dst, const void *src);

/* Allow / forbid kernel access to user pages (SMAP stac/clac). */
void arch_user_access_begin(void);
void arch_user_access_end(void);
/* Whether the user-access window (RFLAGS.AC) is open on this CPU now. */
bool arch_user_access_is_open(void);
/*
 * arch_check_user_access_closed - hardening check at kernel entry points
 * (trap and system-call handlers): the window must be closed there, whatever
 * user mode did to RFLAGS.AC. If it is open (an entry path failed to clear
 * AC), count it and close it. Context: any, NMI included.
 */
void arch_check_user_access_closed(void);
/* How many times that check found the window open since boot (0 on a sound kernel). */
uint64_t arch_user_access_leaks(void);

/*
 * The only code that touches user memory (uaccess.S): each opens the SMAP
 * window for its own access, and a fault the page-fault handler cannot
 * resolve ends the access instead of the kernel. kernel/mm/uaccess.c checks
 * the ranges first; nothing else should call these.
 * arch_copy_user / arch_clear_user return the bytes NOT copied / cleared (0:
 * all done). arch_strncpy_user copies up to and including the NUL and
 * returns the length without it, -2 with no NUL in @max bytes, -1 on a
 * fault. arch_get_user_u64 / arch_put_user_u64 return 0 or -1 (fault).
 */
uint64_t arch_copy_user(void *dst, const void *src, uint64_t len);
uint64_t arch_clear_user(void *dst, uint64_t len);
int64_t arch_strncpy_user(char *dst, const char *src, uint64_t max);
int arch_get_user_u64(uint64_t *out, const void *src);
int arch_put_user_u64(void *dst, uint64_t value);

/*
 * Platform bring-up after memory: ACPI tables, interrupt controllers, the
 * clock (calibrated cycle counter, RTC), then every other CPU of the MADT.
 * Context: boot, BSP.
 */
void arch_platform_init(uint64_t rsdp_phys);
/* Usable CPUs the firmware listed (what should come online). */
unsigned arch_cpus_expected(void);
/* CPUs online (indices 0..n-1) and their mask. */
unsigned arch_cpu_count(void);
uint64_t arch_online_mask(void);
/* Run @fn(@arg) on CPU @cpu from its IPI handler (IRQs off); optionally wait. Returns 0 or -1. */
int arch_run_on_cpu(unsigned cpu, void (*fn)(void *), void *arg, bool wait);
/* Ask @cpu to call sched_reschedule_interrupt(). */
void arch_send_reschedule(unsigned cpu);
/* Arm this CPU's timer to call sched_timer_interrupt() once after @ns (0 = disarm). */
void arch_timer_oneshot(uint64_t ns);
/* ISA IRQ to GSI and MPS flags, from the MADT overrides. */
void arch_isa_override(uint8_t irq, uint32_t *gsi, uint32_t *flags);

/* Cycle-counter calibration and RTC (arch/x86_64/clock.c). */
uint64_t arch_calibrate_cycles(uint64_t hpet_phys, uint32_t pm_port, bool pm_wide, const char **source);
uint64_t arch_rtc_epoch(uint16_t century_reg);

/*
 * Threads: a kernel stack prepared so that the first arch_context_switch()
 * to it runs @fn(@arg) after sched_finish_switch(), with RFLAGS = 0x2 (IRQs
 * off, AC and DF clear). Returns the initial RSP. arch_context_switch saves
 * and restores RFLAGS with the callee-saved registers, so no thread's AC or
 * DF reaches the next one.
 */
uint64_t arch_thread_init_stack(uint64_t stack_top, void (*fn)(void *), void *arg);
void arch_context_switch(uint64_t *save_rsp, uint64_t new_rsp);
/* The top of the stack the boot CPU runs kmain on (the boot thread's kernel stack). */
uint64_t arch_boot_stack_top(void);
/* Per-CPU scheduler hooks: the stack used on entry from user mode, the current thread pointer. */
void arch_set_kernel_stack(uint64_t top);
void arch_set_current_thread(void *thread);
/* The running thread: the second word of this CPU's struct cpu, through %gs (cpu.c checks the offset). */
#define ARCH_CPU_CURRENT_OFFSET 8
static inline void *arch_current_thread(void)
{
	void *t;
	__asm__ volatile("mov %%gs:%c1, %0" : "=r"(t) : "i"(ARCH_CPU_CURRENT_OFFSET));
	return t;
}
/* The thread CPU @cpu last switched to (NULL if none): lockless, for panic reports. */
void *arch_cpu_current_thread(unsigned cpu);

/*
 * arch_enter_user - leave for user mode at @rip with RSP = @rsp, RDI/RSI as
 * given, RBP = @rbp, every other register 0 and RFLAGS = 0x202. The kernel
 * stack is reset to @kstack_top. Context: IRQs off; never returns.
 */
__attribute__((noreturn)) void arch_enter_user(uint64_t kstack_top, uint64_t rip, uint64_t rsp, uint64_t rdi,
					       uint64_t rsi, uint64_t rbp);
/* False when a frame's return address is not a canonical user address. */
bool arch_frame_returns_to_user_ok(const void *frame);

/* FPU/SSE/AVX state of user threads (arch/x86_64/fpu.c). Areas are 64-byte aligned. */
void arch_fpu_init_cpu(void);
uint32_t arch_fpu_area_size(void);
void arch_fpu_init_area(void *area);
void arch_fpu_save(void *area);
void arch_fpu_restore(const void *area);

/* Wait for an interrupt with IRQs enabled (sti; hlt), returning with them as they were. */
void arch_idle_wait(void);

/* Descriptor tables, per-CPU block and MSRs of the bootstrap CPU. Context: boot. */
void arch_bsp_init(void);

/* Drop the lower-half (identity) mappings the loader left for the hand-over. */
void arch_drop_identity_map(void);

/* ------------------------------------------------ called by arch, provided by generic code */

/* What a page fault tried, in the memory layer's words (trap.c decodes the CPU's error code). */
#define MM_FAULT_PRESENT 0x1u /* the page was mapped: a rights violation, not a missing page */
#define MM_FAULT_WRITE   0x2u /* a write (else a read or an instruction fetch) */
#define MM_FAULT_EXEC    0x4u /* an instruction fetch */
#define MM_FAULT_USER    0x8u /* from user mode (else a kernel access to user memory: uaccess) */

/* What mm_handle_page_fault decided. */
#define MM_FAULT_UNRESOLVED 0 /* no region allows it: a user fault, or a uaccess fix-up */
#define MM_FAULT_RETRY      1 /* resolved: run the instruction again */
#define MM_FAULT_RETRY_STEP 2 /* run it again for one instruction only (trap flag), then mm_single_step_done() */

/*
 * mm_handle_page_fault - resolve a fault at @addr (kernel/mm/vmm.c): demand
 * paging, a write to a page whose region became writable, the W^X switch of
 * a write-and-execute region. @user_ip: the faulting user instruction's
 * address (0 for a kernel access). Returns MM_FAULT_*.
 * Context: trap; @irqs_on: the faulting context had IRQs enabled.
 */
int mm_handle_page_fault(uint64_t addr, unsigned access, uint64_t user_ip, bool irqs_on);
/*
 * mm_single_step_done - the instruction run under MM_FAULT_RETRY_STEP has
 * completed (a debug trap from user mode). Returns false if no such step was
 * pending (the trap is the program's own). Context: trap, IRQs off.
 */
bool mm_single_step_done(void);

/* sched_user_fault - end the current process for an unhandled user exception (status 14, spec §9.3). */
void sched_user_fault(void);

/* Entry points (entry.S, smp.c): the boot CPU's kernel, and an AP's once it is up. Never return. */
struct boot_info;
void kmain(const struct boot_info *bi_virt);
void kernel_ap_main(unsigned cpu);

/* syscall.S, IRQs on: run system call @number with its six argument registers; returns RAX. */
uint64_t syscall_handler(uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6,
			 uint64_t number);
/* isr.S and syscall.S, IRQs off, before any return to user mode: kill, notes, rescheduling. */
void user_return_work(void *frame);

/* switch.S: first thing a thread runs after arch_context_switch (releases the run-queue lock). */
void sched_finish_switch(void);
/* Timer interrupt (armed by arch_timer_oneshot; @from_user: it interrupted user mode) and reschedule IPI, IRQs off. */
void sched_timer_interrupt(bool from_user);
void sched_reschedule_interrupt(void);

/* The UART interrupt: queue one received byte for /dev/console (dropped when the buffer is full). */
void console_input_push(char c);

#endif
