// SPDX-License-Identifier: MIT
// Hardening as seen from user mode.
//
// * RFLAGS.AC (the flag that opens the kernel's SMAP window) is user state: a
//   program may set it, and it must survive system calls, page faults and
//   preemption, yet never reach kernel code. The kernel counts every entry
//   that finds it set (arch_check_user_access_closed); the leak check's
//   "open user-access windows" line and the ktest
//   trap.user_ac_never_reaches_kernel (which runs the "child-ac" role) read
//   that counter, so the tests here only have to take those paths with AC=1.
// * W^X: no user page is writable and executable. Data, stack, read-only
//   data and mapped memory do not execute; text is not writable; mmap and
//   mprotect refuse execute rights (spec §7.19, §7.21). The ktest
//   vmm.no_user_page_writable_and_executable walks the page tables of every
//   address space this program ("child-maps" role) leaves behind.
#include <fcntl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../common/tu.h"

#define RFLAGS_AC (1ull << 18)
#define PROT_R 1
#define PROT_RW 3

uint64_t hd_rflags(void);
void hd_ac_set(void);
void hd_ac_clear(void);
extern const unsigned char hd_ret_in_rodata[];

static const char *self = "/bin/tests/hardening";

static fd_t zero_fd(void)
{
	static fd_t fd = FD_NONE;
	if (fd == FD_NONE)
		fd = open("/dev/zero");
	return fd;
}

/* ------------------------------------------------------------------ AC */

/*
 * With AC set: system calls (succeeding and failing), then page faults on an
 * 8 MiB mapping (mappings above 4 MiB fill on demand, so every first touch
 * faults). Returns how many times AC was found cleared afterwards: the
 * kernel must hand it back with everything else (SYSRET restores it from
 * R11, IRETQ from the frame).
 */
static int ac_syscalls_and_faults(void)
{
	const uint64_t len = 8ull << 20;
	uint8_t *m = mmap(zero_fd(), NULL, len, PROT_RW);
	if (!m)
		return 1000;
	int lost = 0;
	hd_ac_set();
	for (int i = 0; i < 64; i++) {
		getpid();
		lost += !(hd_rflags() & RFLAGS_AC);
		syscall1(SYS_UNIX_EPOCH, 1); /* EFAULT: the error path too */
		lost += !(hd_rflags() & RFLAGS_AC);
		yield();
		lost += !(hd_rflags() & RFLAGS_AC);
	}
	for (uint64_t off = 0; off < len; off += 16 * TU_PAGE) {
		m[off] = 1; /* a page fault with AC=1 */
		lost += !(hd_rflags() & RFLAGS_AC);
	}
	hd_ac_clear();
	munmap(m, len);
	return lost;
}

/*
 * Preemption with AC set: SPINNERS threads (more than the test machines have
 * CPUs) each set AC and then spin in user mode until all have arrived. None
 * blocks, so the last ones can only arrive after the timer took a CPU away
 * from a spinner that had AC set. Bounded: a spinner gives up after 30 s.
 */
enum { SPINNERS = 9 };

struct spin_ctx {
	_Atomic(uint64_t) arrived;
	_Atomic(uint64_t) lost, gave_up;
};

static void spinner(void *arg)
{
	struct spin_ctx *c = arg;
	hd_ac_set();
	atomic_fetch_add(&c->arrived, 1);
	clock_t deadline = uptime() + 30 * TU_SEC;
	uint64_t lost = 0;
	for (uint64_t n = 1; atomic_load(&c->arrived) < SPINNERS; n++) {
		lost += !(hd_rflags() & RFLAGS_AC);
		/* Mostly user mode: look at the clock (a system call) rarely. */
		if (n % 65536 == 0 && uptime() > deadline) {
			atomic_fetch_add(&c->gave_up, 1);
			break;
		}
	}
	lost += !(hd_rflags() & RFLAGS_AC);
	hd_ac_clear();
	atomic_fetch_add(&c->lost, lost);
}

static int ac_preemption(void)
{
	static struct spin_ctx c;
	static struct tu_thread t[SPINNERS];
	atomic_store(&c.arrived, 0);
	atomic_store(&c.lost, 0);
	atomic_store(&c.gave_up, 0);
	int started = 0;
	for (int i = 0; i < SPINNERS; i++)
		started += tu_thread_start(&t[i], spinner, &c);
	if (started < SPINNERS)
		atomic_fetch_add(&c.arrived, SPINNERS - started); /* let the others finish */
	int joined = 0;
	for (int i = 0; i < started; i++)
		joined += tu_thread_join(&t[i], 60 * TU_SEC);
	if (started < SPINNERS || joined < started || atomic_load(&c.gave_up))
		return 1000;
	return (int)atomic_load(&c.lost);
}

KTAP_TEST(ac_flag_survives_syscalls_and_page_faults)
{
	TASSERT(zero_fd() != ERR);
	TEXPECT_EQ(ac_syscalls_and_faults(), 0);
	TEXPECT(!(hd_rflags() & RFLAGS_AC));
}

KTAP_TEST(ac_flag_survives_preemption)
{
	TEXPECT_EQ(ac_preemption(), 0);
}

/* ------------------------------------------------------------------ W^X */

typedef void (*code_fn)(void);

/* Each role must die with status 14 at its marked access; reaching the end is a failure. */
static int role_exec_mapped(void)
{
	uint8_t *m = mmap(zero_fd(), NULL, TU_PAGE, PROT_RW);
	if (!m)
		return 2;
	m[0] = 0xc3; /* ret */
	((code_fn)(uintptr_t)m)();
	return 0;
}

static int role_exec_stack(void)
{
	volatile uint8_t code[16] = { 0xc3 };
	((code_fn)(uintptr_t)code)();
	return 0;
}

static uint8_t data_code[16] = { 0xc3 };

static int role_exec_data(void)
{
	((code_fn)(uintptr_t)data_code)();
	return 0;
}

static int role_exec_rodata(void)
{
	((code_fn)(uintptr_t)hd_ret_in_rodata)();
	return 0;
}

static int role_write_text(void)
{
	*(volatile uint8_t *)(uintptr_t)role_write_text = 0xc3;
	return 0;
}

KTAP_TEST(mapped_memory_does_not_execute)
{
	TEXPECT_EQ(tu_run_role(self, "child-exec-mapped", NULL), TU_FAULT_STATUS);
}

KTAP_TEST(stack_does_not_execute)
{
	TEXPECT_EQ(tu_run_role(self, "child-exec-stack", NULL), TU_FAULT_STATUS);
}

KTAP_TEST(data_does_not_execute)
{
	TEXPECT_EQ(tu_run_role(self, "child-exec-data", NULL), TU_FAULT_STATUS);
}

KTAP_TEST(rodata_does_not_execute)
{
	TEXPECT_EQ(tu_run_role(self, "child-exec-rodata", NULL), TU_FAULT_STATUS);
}

KTAP_TEST(text_is_not_writable)
{
	TEXPECT_EQ(tu_run_role(self, "child-write-text", NULL), TU_FAULT_STATUS);
}

KTAP_TEST(execute_rights_refused_and_mapping_intact)
{
	TASSERT(zero_fd() != ERR);
	static const prot_t bad[] = { 4, 5, 6, 7 };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		TEXPECT_RAW_NULL_ERR(syscall4(SYS_MMAP, (uint64_t)zero_fd(), 0, TU_PAGE, bad[i]), EINVAL);
	volatile uint8_t *m = mmap(zero_fd(), NULL, TU_PAGE, PROT_RW);
	TASSERT(m);
	m[0] = 42;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		TEXPECT_RAW_NULL_ERR(syscall3(SYS_MPROTECT, (uint64_t)m, TU_PAGE, bad[i]), EINVAL);
	m[1] = 43; /* still writable */
	TEXPECT_EQ(m[0] + m[1], 85);
	munmap((void *)m, TU_PAGE);
}

/*
 * An RWX segment (spec §10.1: PW maps every image RWX, and a standard link
 * such as `ld -N` makes one) must run, even code that rewrites itself: the
 * kernel keeps W^X by switching the page between its write and execute views
 * (kernel/mm/vmm.h). A hand-made image: one PT_LOAD of flags RWX holding the
 * headers and this code, which stores 42 into the immediate of its own next
 * instruction and exits with it:
 *
 *   lea patch(%rip), %rax ; movb $42, 1(%rax)
 *   patch: mov $0, %edi ; mov $PROCESS_EXIT, %eax ; syscall ; ud2
 *
 * The store faults in the execute view, the next fetch in the write view;
 * the exit status proves both switches happened and the new byte was run.
 */
static bool write_rwx_image(const char *path)
{
	static const uint8_t code[] = {
		0x48, 0x8d, 0x05, 0x04, 0x00, 0x00, 0x00, /* lea 4(%rip), %rax: patch */
		0xc6, 0x40, 0x01, 0x2a,			  /* movb $42, 1(%rax) */
		0xbf, 0x00, 0x00, 0x00, 0x00,		  /* patch: mov $0, %edi */
		0xb8, SYS_PROCESS_EXIT, 0x00, 0x00, 0x00, /* mov $PROCESS_EXIT, %eax */
		0x0f, 0x05,				  /* syscall */
		0x0f, 0x0b,				  /* ud2 */
	};
	enum { EHDR = 64, PHDR = 56, BASE = 0x400000 };
	uint8_t img[EHDR + PHDR + sizeof(code)];
	memset(img, 0, sizeof(img));
	memcpy(img, "\x7f" "ELF\x02\x01\x01", 7); /* ELF64, little-endian, version 1, System V */
	uint16_t type_machine[] = { 2, 62 };	/* e_type EXEC, e_machine x86-64 */
	memcpy(img + 16, type_machine, sizeof(type_machine));
	uint32_t version = 1;
	memcpy(img + 20, &version, 4);
	uint64_t entry = BASE + EHDR + PHDR, phoff = EHDR;
	memcpy(img + 24, &entry, 8);
	memcpy(img + 32, &phoff, 8);
	uint16_t sizes[] = { EHDR, PHDR, 1, 64, 0, 0 }; /* ehsize, phentsize, phnum, shentsize, shnum, shstrndx */
	memcpy(img + 52, sizes, sizeof(sizes));
	uint32_t type_flags[] = { 1, 7 }; /* PT_LOAD, PF_R | PF_W | PF_X */
	memcpy(img + EHDR, type_flags, 8);
	uint64_t seg[] = { 0, BASE, BASE, sizeof(img), sizeof(img), 0x1000 }; /* offset vaddr paddr filesz memsz align */
	memcpy(img + EHDR + 8, seg, sizeof(seg));
	memcpy(img + EHDR + PHDR, code, sizeof(code));
	fd_t fd = open(path);
	if (fd == ERR)
		return false;
	bool ok = write(fd, img, sizeof(img)) == sizeof(img);
	close(fd);
	return ok;
}

KTAP_TEST(rwx_segment_runs_self_modifying_code)
{
	TASSERT(write_rwx_image("/tmp/hardening_rwx:c"));
	const char *argv[] = { "/tmp/hardening_rwx", NULL };
	int status = -1;
	TEXPECT(tu_run(argv, TU_CHILD_TIMEOUT, &status));
	TEXPECT_EQ(status, 42);
	TEXPECT(remove("/tmp/hardening_rwx") != ERR);
}

/*
 * Every kind of user mapping at once, for the kernel's page-table walk at
 * teardown: image, main and second thread stacks, read-only and read-write
 * /dev/zero and /dev/one mappings (populated and on demand), an mprotect
 * R -> RW -> R, and a shared-memory object.
 */
static void touch_stack(void *arg)
{
	volatile uint8_t buf[8192];
	buf[0] = buf[8191] = 1;
}

static int role_maps(void)
{
	fd_t one = open("/dev/one");
	if (zero_fd() == ERR || one == ERR)
		return 2;
	uint8_t *small = mmap(zero_fd(), NULL, 16 * TU_PAGE, PROT_RW);
	uint8_t *big = mmap(zero_fd(), NULL, 6ull << 20, PROT_RW);
	const uint8_t *ro = mmap(one, NULL, 4 * TU_PAGE, PROT_R);
	uint8_t *flip = mmap(zero_fd(), NULL, 4 * TU_PAGE, PROT_R);
	if (!small || !big || !ro || !flip)
		return 3;
	small[0] = big[0] = big[(6ull << 20) - 1] = ro[5];
	if (!mprotect(flip, 4 * TU_PAGE, PROT_RW))
		return 4;
	flip[0] = 1;
	if (!mprotect(flip, 2 * TU_PAGE, PROT_R))
		return 5;
	fd_t shm = open("/dev/shmem/new");
	if (shm != ERR) {
		uint8_t *s = mmap(shm, NULL, 2 * TU_PAGE, PROT_RW);
		if (s)
			s[0] = 1;
	}
	static struct tu_thread t;
	if (!tu_thread_start(&t, touch_stack, NULL) || !tu_thread_join(&t, TU_CHILD_TIMEOUT))
		return 6;
	return 0; /* everything stays mapped until the kernel tears the space down */
}

static int role_ac(void)
{
	if (zero_fd() == ERR)
		return 2;
	return ac_syscalls_and_faults() == 0 && ac_preemption() == 0 ? 0 : 1;
}

static const struct {
	const char *name;
	int (*fn)(void);
} roles[] = {
	{ "child-exec-mapped", role_exec_mapped }, { "child-exec-stack", role_exec_stack },
	{ "child-exec-data", role_exec_data },     { "child-exec-rodata", role_exec_rodata },
	{ "child-write-text", role_write_text },   { "child-maps", role_maps },
	{ "child-ac", role_ac },
};

int main(int argc, char **argv)
{
	if (argc > 0 && argv[0] && argv[0][0] == '/')
		self = argv[0];
	if (argc >= 2 && strncmp(argv[1], "child-", 6) == 0) {
		for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
			if (strcmp(argv[1], roles[i].name) == 0)
				return roles[i].fn();
		printf("# hardening: unknown role %s\n", argv[1]);
		return 98;
	}
	return tu_ktap_main(120 * TU_SEC);
}
