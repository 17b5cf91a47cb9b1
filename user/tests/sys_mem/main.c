// SPDX-License-Identifier: MIT
// sys_mem: probes of MMAP, MUNMAP, MPROTECT (spec §7.19-21) and a random sequence against a model.
//
// Usage: /bin/tests/sys_mem [seed=N]     every probe, KTAP on fd 1; N seeds
//                                        the random sequence (default fixed)
//        /bin/tests/sys_mem child-...    one child role (see child_roles[])
//
// Accesses that must fault (and any that would fault on a broken kernel in
// a way the parent could not survive) run in child processes: this program
// again, with a "child-*" argv[1]. A child that faults ends with status 14;
// one whose access unexpectedly worked exits NO_FAULT_STATUS.
//
// Writability is also probed without faulting: UNIX_EPOCH writes 8 bytes
// through its `out` pointer, and the buffer rule (§4.2 step 5) makes it fail
// with EFAULT unless every byte is in a writable user page.
//
// The probes live in one file per area, NN_<area>.c. KTAP_TEST runs tests
// in link order and user/user.mk links a program's files in name order, so
// the NN prefixes fix the order of the results: keep them when adding an area.
#include "user/tests/sys_mem/sys_mem.h"

#define SELF_DEFAULT "/bin/tests/sys_mem"

const char *self = SELF_DEFAULT;
uint64_t random_seed = 0x51554C54D00D5EEDull;

/* ------------------------------------------------------------------ shared helpers */

static fd_t dev_fd(const char *path, fd_t *cache)
{
	if (*cache == FD_NONE)
		*cache = open(path);
	return *cache;
}

fd_t zero(void)
{
	static fd_t fd = FD_NONE;
	return dev_fd("/dev/zero", &fd);
}

fd_t one(void)
{
	static fd_t fd = FD_NONE;
	return dev_fd("/dev/one", &fd);
}

bool kernel_can_read(const void *p)
{
	uint64_t page = (uint64_t)p & ~(P - 1);
	return syscall4(SYS_FUTEX, page, 0, FUTEX_WAIT, 0) != ERR || syscall0(SYS_ERRNO) != EFAULT;
}

bool kernel_can_write(void *p)
{
	return syscall1(SYS_UNIX_EPOCH, (uint64_t)p) != ERR;
}

bool readable(const void *p, uint64_t n)
{
	for (uint64_t a = (uint64_t)p & ~(P - 1); a < (uint64_t)p + n; a += P) {
		if (!kernel_can_read((void *)a)) {
			ktap_diag("page %#llx is not readable", (unsigned long long)a);
			return false;
		}
	}
	return true;
}

bool writable(void *p, uint64_t n)
{
	for (uint64_t a = (uint64_t)p & ~(P - 1); a < (uint64_t)p + n; a += P) {
		if (!kernel_can_write((void *)a)) {
			ktap_diag("page %#llx is not writable", (unsigned long long)a);
			return false;
		}
	}
	return true;
}

bool all_bytes(const void *p, uint64_t n, uint8_t v)
{
	const volatile uint8_t *b = p;
	if (!readable(p, n))
		return false;
	for (uint64_t i = 0; i < n; i++) {
		if (b[i] != v) {
			ktap_diag("byte %llu of %p is %#x, want %#x", (unsigned long long)i, p, b[i], v);
			return false;
		}
	}
	return true;
}

bool page_mapped(void *p, uint32_t prot)
{
	return syscall3(SYS_MPROTECT, (uint64_t)p, P, prot) == (uint64_t)p;
}

uint8_t *map_hole(uint64_t pages)
{
	munmap((void *)HOLE, 64 * P);
	return mmap(zero(), (void *)HOLE, pages * P, RW);
}

/* ================================================================== child roles and main */

struct child_role {
	const char *name;
	child_role_fn *fn;
};

static const struct child_role child_roles[] = {
	{ "child-ro-write", child_ro_write },
	{ "child-unmap-read", child_unmap_touch },
	{ "child-unmap-write", child_unmap_touch },
	{ "child-unmap-middle-touch", child_unmap_middle_touch },
	{ "child-unmap-middle-neighbours", child_unmap_middle_neighbours },
	{ "child-mprotect-ro-write", child_mprotect_ro_write },
	{ "child-mprotect-rw-write", child_mprotect_rw_write },
	{ "child-mprotect-none-touch", child_mprotect_none_touch },
	{ "child-mprotect-bad-prot-write", child_mprotect_bad_prot_write },
	{ "child-replay", child_replay },
};

int main(int argc, char **argv)
{
	if (argc > 0 && argv[0] && argv[0][0] == '/')
		self = argv[0];
	if (argc >= 2 && strncmp(argv[1], "child-", 6) == 0) {
		for (size_t i = 0; i < sizeof(child_roles) / sizeof(child_roles[0]); i++)
			if (strcmp(argv[1], child_roles[i].name) == 0)
				return zero() == ERR ? 2 : child_roles[i].fn(argc, argv);
		printf("# sys_mem: unknown child role %s\n", argv[1]);
		return 98;
	}
	if (argc >= 2 && strncmp(argv[1], "seed=", 5) == 0)
		random_seed = tu_parse_u64(argv[1] + 5) | 1; /* xorshift needs a non-zero state */
	else
		random_seed = tu_seed(0x51554C54D00D5EEDull, false) | 1; /* the run's seed (make test SEED=) */
	return tu_ktap_main(60 * TU_SEC);
}
