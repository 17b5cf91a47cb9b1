// SPDX-License-Identifier: MIT
// fuzz: a system-call fuzzer for the whole ABI (issue 13), `make fuzz`.
//
//   /bin/fuzz [--seconds N] [--seed S] [--procs P] [--threads T]
//   /bin/fuzz --worker-seed W [--threads T]   one worker generation's streams again
//   /bin/fuzz --worker SLOT SEED LIFETIME_MS THREADS SUPERVISOR_PID   (internal)
//   /bin/fuzz --victim pipe|futex|sleep|poll|wait|spin|exit            (internal)
//
// The supervisor (this process) keeps P worker processes running for N
// seconds. Each worker lives a random 0.3-3 s with T threads making random
// calls (worker.c), then exits; the supervisor also kills workers at random
// moments, so exit and kill race with every call in flight. A worker's
// status must be 0 (it finished, or was killed through ctl), 77 (its fuzzed
// PROCESS_EXIT) or 14 when it announced a deliberate fault; anything else,
// or a worker that outlives its kill, is a failure and the supervisor prints
// the last FUZZ_RING calls of every thread of that worker from the shared
// memory they record into. (If the kernel itself panics, its panic report
// lists the last system calls of the thread that was running on each CPU:
// the supervisor cannot run then.)
//
// Reproducibility: the seed is printed first. Every worker generation gets a
// seed derived from (seed, slot, generation), every thread one derived from
// its worker's, so `make fuzz SEED=...` replays the same call streams.
// The interleaving of threads and processes on the CPUs is not replayed, nor
// are the supervisor's random kills' exact moments, so a failure that
// depends on a race may need several runs, or the printed call sequence.
//
// At the end every process the fuzz started is killed and waited for, and
// /tmp/fuzz is removed, so the kernel's leak counters (`leakcheck`) must be
// back at their start values. The files of /bin, /bin/tests and /tests must
// be unchanged and the kernel log free of bytes nobody of ours prints: a
// worker that escaped its sandbox (a steering gap, or a kernel that lets a
// read-only view write) fails the run. The results are KTAP on stdout.
#include <errno.h>
#include <fcntl.h>
#include <ktap.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/futex.h>
#include <sys/mman.h>
#include <sys/proc.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "user/fuzz/fuzz.h"

#define MS 1000000ull
#define SEC 1000000000ull

static const char *const call_names[SYS_TOTAL_AMOUNT] = {
#define NAME_(num, name, nargs, result) [num] = #name,
	SYSCALL_LIST(NAME_)
#undef NAME_
};

const char *fuzz_call_name(uint64_t nr, char *buf, size_t len)
{
	if (nr < SYS_TOTAL_AMOUNT)
		return call_names[nr];
	snprintf(buf, len, "#%#llx", (unsigned long long)nr);
	return buf;
}

void fuzz_print_ring(const char *who, const struct fuzz_thread_ring *r)
{
	uint64_t calls = atomic_load(&r->calls);
	printf("# %s: %llu calls, thread seed %#llx; the last ones, oldest first:\n", who,
	       (unsigned long long)calls, (unsigned long long)r->seed);
	uint64_t first = calls > FUZZ_RING ? calls - FUZZ_RING + 1 : 1;
	for (uint64_t s = first; s <= calls; s++) {
		const struct fuzz_call *c = &r->ring[s % FUZZ_RING];
		if (c->seq != s)
			continue; /* being rewritten, or never written */
		char nb[24];
		const char *name = fuzz_call_name(c->nr, nb, sizeof(nb));
		if (c->ret == FUZZ_PENDING)
			printf("#   %6llu %s(%#llx, %#llx, %#llx, %#llx) -> (in progress)\n", (unsigned long long)s,
			       name, (unsigned long long)c->arg[0], (unsigned long long)c->arg[1],
			       (unsigned long long)c->arg[2], (unsigned long long)c->arg[3]);
		else
			printf("#   %6llu %s(%#llx, %#llx, %#llx, %#llx) -> %#llx%s%s\n", (unsigned long long)s, name,
			       (unsigned long long)c->arg[0], (unsigned long long)c->arg[1],
			       (unsigned long long)c->arg[2], (unsigned long long)c->arg[3],
			       (unsigned long long)c->ret, c->err ? " " : "", c->err ? strerrorname_np((int)c->err) : "");
	}
}

/* ------------------------------------------------------------------ victims */

/* A process that blocks (or spins) until someone ends it: a target for kills. */
static int victim_main(const char *mode)
{
	static _Atomic(uint64_t) word;
	fd_t p[2];
	if (!strcmp(mode, "exit"))
		return 5;
	if (!strcmp(mode, "spin"))
		for (volatile uint64_t i = 0;; i++)
			;
	if (!strcmp(mode, "futex"))
		for (;;)
			futex(&word, 0, FUTEX_WAIT, CLOCKS_NEVER);
	if (!strcmp(mode, "wait")) {
		fd_t w = open("/proc/1/wait");
		char b[32];
		if (w != ERR)
			read(w, b, sizeof(b));
	} else if ((!strcmp(mode, "pipe") || !strcmp(mode, "poll")) && open2("/dev/pipe/new", p) == 0) {
		char b[8];
		struct abi_pollfd pf = { p[0], POLLIN, 0 };
		for (;;) {
			if (mode[1] == 'i')
				read(p[0], b, sizeof(b));
			else
				poll(&pf, 1, CLOCKS_NEVER);
		}
	}
	for (;;)
		nanosleep(CLOCKS_NEVER);
}

/* ------------------------------------------------------------------ supervisor */

struct worker {
	bool live;
	pid_t pid;
	fd_t wait_fd;
	uint64_t generation;
	uint64_t seed;
	clock_t deadline;   /* when it should have ended by itself */
	clock_t killed_at;  /* 0: not killed yet */
};

static struct fuzz_shared *shared;
static fd_t shm_fd;
static pid_t my_pid;
static uint64_t master_seed, sup_rng;
static int nprocs = 3, nthreads = 4;
static uint64_t replay_seed; /* --worker-seed: one worker generation with this seed, then stop */
static struct worker workers[FUZZ_MAX_SLOTS];

static uint64_t made[SYS_TOTAL_AMOUNT + 1][2];
static uint64_t total_calls, generations, unexpected, unkillable, random_kills, setup_failures;

static void kill_pid(pid_t pid)
{
	char path[48];
	snprintf(path, sizeof(path), "/proc/%llu/ctl", (unsigned long long)pid);
	fd_t fd = open(path);
	if (fd == ERR)
		return;
	write(fd, "kill", 4);
	close(fd);
}

/* Read a wait file to the end: the exit status. */
static int read_status(fd_t fd, int *status)
{
	char text[32];
	size_t len = 0;
	for (;;) {
		uint64_t n = read(fd, text + len, sizeof(text) - 1 - len);
		if (n == ERR)
			return -1;
		if (n == 0 || (len += n) == sizeof(text) - 1)
			break;
	}
	text[len] = 0;
	*status = (int)strtoll(text, NULL, 10);
	return len ? 0 : -1;
}

static void sandbox_path(int slot, char *buf, size_t len, const char *flags)
{
	snprintf(buf, len, "/tmp/fuzz/%d%s", slot, flags);
}

static void start_worker(int slot)
{
	struct worker *w = &workers[slot];
	char path[64], a_slot[8], a_seed[24], a_life[24], a_threads[8], a_sup[24], cmd[64];
	sandbox_path(slot, path, sizeof(path), ":dR");
	remove(path); /* the previous generation's files (EBUSY while a mount there is alive: kept) */
	sandbox_path(slot, path, sizeof(path), ":cd");
	fd_t d = open(path);
	if (d != ERR)
		close(d);
	memset(&shared->slots[slot], 0, sizeof(shared->slots[slot]));

	w->generation = generations++;
	w->seed = replay_seed ? replay_seed : fuzz_mix(master_seed ^ fuzz_mix((uint64_t)slot << 32 | w->generation));
	uint64_t life_ms = replay_seed ? 4000 : 300 + fuzz_below(&sup_rng, 2700);
	snprintf(a_slot, sizeof(a_slot), "%d", slot);
	snprintf(a_seed, sizeof(a_seed), "%#llx", (unsigned long long)w->seed);
	snprintf(a_life, sizeof(a_life), "%llu", (unsigned long long)life_ms);
	snprintf(a_threads, sizeof(a_threads), "%d", nthreads);
	snprintf(a_sup, sizeof(a_sup), "%llu", (unsigned long long)my_pid);
	const char *argv[] = { "/bin/fuzz", "--worker", a_slot, a_seed, a_life, a_threads, a_sup, NULL };
	pid_t pid = spawn(argv, SPAWN_SUSPEND);
	if (pid == ERR) {
		printf("# fuzz: spawning a worker failed: %s\n", strerror(errno));
		setup_failures++;
		w->live = false;
		return;
	}
	/* Descriptor 0 = the shared memory, nothing else (libc fills 1 and 2 with /dev/null). */
	snprintf(cmd, sizeof(cmd), "dup2 %llu 0 && close 1 -1 && start", (unsigned long long)shm_fd);
	snprintf(path, sizeof(path), "/proc/%llu/wait", (unsigned long long)pid);
	w->wait_fd = open(path);
	if (proc_ctl(pid, cmd) != 0 || w->wait_fd == ERR) {
		printf("# fuzz: setting up worker %llu failed: %s\n", (unsigned long long)pid, strerror(errno));
		setup_failures++;
		kill_pid(pid);
		if (w->wait_fd != ERR)
			close(w->wait_fd);
		w->live = false;
		return;
	}
	w->pid = pid;
	w->live = true;
	w->deadline = uptime() + life_ms * MS;
	w->killed_at = 0;
}

static void print_worker(int slot, const char *why)
{
	struct worker *w = &workers[slot];
	struct fuzz_slot *s = &shared->slots[slot];
	printf("# fuzz: worker pid %llu (slot %d, generation %llu, seed %#llx) %s\n",
	       (unsigned long long)w->pid, slot, (unsigned long long)w->generation,
	       (unsigned long long)w->seed, why);
	printf("#   replay its call streams alone: make run CMDLINE=leakcheck INIT=\"/bin/fuzz --worker-seed %#llx "
	       "--threads %d\"\n", (unsigned long long)w->seed, nthreads);
	for (int t = 0; t < FUZZ_MAX_THREADS; t++) {
		if (!atomic_load(&s->threads[t].used))
			continue;
		char who[32];
		snprintf(who, sizeof(who), "thread slot %d", t);
		fuzz_print_ring(who, &s->threads[t]);
	}
}

/* /dev/perf/mem as diagnostics: how much memory the kernel has left. */
static void print_memory(void)
{
	static char text[512];
	fd_t fd = open("/dev/perf/mem");
	uint64_t n = fd == ERR ? ERR : read(fd, text, sizeof(text) - 1);
	if (fd != ERR)
		close(fd);
	if (n == ERR)
		return;
	text[n] = 0;
	char *save;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		printf("# fuzz: /dev/perf/mem: %s\n", line);
}

static bool root_change_shown;
static bool root_file_changed(const char **which);

static void worker_ended(int slot, int status)
{
	struct worker *w = &workers[slot];
	struct fuzz_slot *s = &shared->slots[slot];
	for (int t = 0; t < FUZZ_MAX_THREADS; t++)
		total_calls += atomic_load(&s->threads[t].calls);
	for (int k = 0; k <= SYS_TOTAL_AMOUNT; k++)
		for (int j = 0; j < 2; j++)
			made[k][j] += atomic_load(&s->made[k][j]);
	bool ok = status == 0 || status == FUZZ_EXIT_STATUS ||
		  (status == FUZZ_FAULT_STATUS && atomic_load(&s->fault_ok));
	if (status == FUZZ_SETUP_FAILED) {
		setup_failures++;
		printf("# fuzz: worker %llu could not set itself up\n", (unsigned long long)w->pid);
	} else if (!ok) {
		if (unexpected++ == 0)
			print_memory(); /* a worker that faults at once may have found no memory */
		char why[64];
		snprintf(why, sizeof(why), "ended with unexpected status %d", status);
		print_worker(slot, why);
	}
	/*
	 * A root file changed (the end-of-run comparison would only say that
	 * it did): show the calls that may have done it while they are still
	 * in the rings, this worker's and those of the workers alive now.
	 */
	const char *which;
	if (!root_change_shown && root_file_changed(&which)) {
		root_change_shown = true;
		printf("# fuzz: %s changed, found as worker %llu (slot %d) ended; its calls and the live workers' follow\n",
		       which, (unsigned long long)w->pid, slot);
		print_worker(slot, "ended just after a root file changed");
		for (int i = 0; i < nprocs; i++)
			if (i != slot && workers[i].live)
				print_worker(i, "was running when a root file changed");
	}
	/* Its children: nobody else will end the suspended and blocked ones. */
	uint64_t n = atomic_load(&s->nchildren);
	for (uint64_t i = 0; i < n && i < FUZZ_MAX_CHILDREN; i++)
		if (atomic_load(&s->children[i]))
			kill_pid(atomic_load(&s->children[i]));
	close(w->wait_fd);
	w->live = false;
}

/*
 * The root file system outside /tmp must come out of the fuzz unchanged:
 * the sizes, inode numbers and change times of every file in these
 * directories, before and after. (Steering mistakes in the worker, or a kernel that lets a
 * read-only open or binding write, show up here.)
 */
#define MAX_WATCHED 96
static const char *const watched_dirs[] = { "/bin", "/bin/tests", "/tests" };
static struct { char path[64]; uint64_t size, number, mtime, ctime; } watched[MAX_WATCHED];
static int nwatched;

static int snapshot_root(bool compare)
{
	static struct abi_dirent d[8];
	int changed = 0, seen = 0;
	for (unsigned k = 0; k < sizeof(watched_dirs) / sizeof(watched_dirs[0]); k++) {
		char path[80];
		snprintf(path, sizeof(path), "%s:d", watched_dirs[k]);
		fd_t dir = open(path);
		if (dir == ERR)
			continue;
		for (;;) {
			uint64_t n = getdents(dir, d, sizeof(d));
			if (n == ERR || n == 0)
				break;
			for (uint64_t i = 0; i < n / sizeof(d[0]); i++) {
				struct abi_stat st;
				if (d[i].type != INODE_FILE)
					continue;
				snprintf(path, sizeof(path), "%s/%s", watched_dirs[k], d[i].path);
				if (stat(path, &st) == ERR)
					st.size = st.number = UINT64_MAX;
				seen++;
				if (!compare) {
					if (nwatched < MAX_WATCHED) {
						snprintf(watched[nwatched].path, sizeof(watched[0].path), "%s", path);
						watched[nwatched].size = st.size;
						watched[nwatched].mtime = st.modify_time;
						watched[nwatched].ctime = st.change_time;
						watched[nwatched++].number = st.number;
					}
					continue;
				}
				int j = 0;
				while (j < nwatched && strcmp(watched[j].path, path))
					j++;
				if (j == nwatched || watched[j].size != st.size || watched[j].number != st.number ||
				    watched[j].mtime != st.modify_time || watched[j].ctime != st.change_time) {
					if (changed++ < 8)
						printf("# fuzz: %s changed: size %llu -> %llu\n", path,
						       j < nwatched ? (unsigned long long)watched[j].size : 0ull,
						       (unsigned long long)st.size);
				}
			}
		}
		close(dir);
	}
	if (compare && seen != nwatched && changed++ < 8) {
		printf("# fuzz: %d files in the watched directories, %d before\n", seen, nwatched);
		for (int j = 0; j < nwatched; j++) {
			struct abi_stat st;
			if (stat(watched[j].path, &st) == ERR)
				printf("# fuzz: %s is gone\n", watched[j].path);
		}
	}
	return changed;
}

/* Whether a file snapshot_root(false) recorded differs now (*@which: its path). Cheap: a stat each. */
static bool root_file_changed(const char **which)
{
	for (int j = 0; j < nwatched; j++) {
		struct abi_stat st;
		if (stat(watched[j].path, &st) == ERR)
			st.size = st.number = UINT64_MAX;
		if (watched[j].size != st.size || watched[j].number != st.number || watched[j].mtime != st.modify_time ||
		    watched[j].ctime != st.change_time) {
			*which = watched[j].path;
			return true;
		}
	}
	return false;
}

/*
 * Everything in the kernel log is the kernel's or our own text: a worker
 * must never get a writable /dev/klog or /dev/console (the log shows it as
 * bytes no program of ours prints). Returns the offending bytes found.
 */
static uint64_t stray_log_bytes(void)
{
	static char buf[4096];
	uint64_t bad = 0;
	fd_t fd = open("/dev/klog:r");
	if (fd == ERR)
		return 0;
	for (;;) {
		uint64_t n = read(fd, buf, sizeof(buf));
		if (n == ERR || n == 0)
			break;
		for (uint64_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)buf[i];
			bad += c >= 0x7f || (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != 0x1b);
		}
	}
	close(fd);
	return bad;
}

/* Every process started after us is ours (the runner starts nothing meanwhile). */
static int sweep(bool kill_them)
{
	static struct abi_dirent d[16];
	int alive = 0;
	fd_t dir = open("/proc:d");
	if (dir == ERR)
		return -1;
	for (;;) {
		uint64_t n = getdents(dir, d, sizeof(d));
		if (n == ERR || n == 0)
			break;
		for (uint64_t i = 0; i < n / sizeof(d[0]); i++) {
			char *end;
			unsigned long long pid = strtoull(d[i].path, &end, 10);
			if (*end || end == d[i].path || pid <= my_pid)
				continue;
			char path[64], b[32];
			snprintf(path, sizeof(path), "/proc/%llu/wait:n", pid);
			fd_t w = open(path);
			if (w == ERR)
				continue;
			if (read(w, b, sizeof(b)) == ERR && errno == EAGAIN) {
				alive++;
				if (kill_them)
					kill_pid(pid);
			}
			close(w);
		}
	}
	close(dir);
	return alive;
}

static int supervise(uint64_t seconds)
{
	my_pid = getpid();
	sup_rng = fuzz_mix(master_seed ^ 0x5150) | 1;
	ktap_header();
	ktap_plan(7);
	printf("# fuzz: seed %#llx, %llu s, %d processes x %d threads (replay: make fuzz SEED=%#llx)\n",
	       (unsigned long long)master_seed, (unsigned long long)seconds, nprocs, nthreads,
	       (unsigned long long)master_seed);
	fflush(stdout);

	snapshot_root(false);
	fd_t d = open("/tmp/fuzz:cd");
	if (d != ERR)
		close(d);
	shm_fd = open("/dev/shmem/new");
	shared = shm_fd == ERR ? NULL : mmap(shm_fd, NULL, sizeof(*shared), PROT_READ | PROT_WRITE);
	if (!shared) {
		printf("# fuzz: no shared memory: %s\n", strerror(errno));
		return 1;
	}
	clock_t start = uptime(), end = start + seconds * SEC;
	for (int i = 0; i < nprocs; i++)
		start_worker(i);

	bool stopping = false;
	for (;;) {
		struct abi_pollfd pf[FUZZ_MAX_SLOTS];
		int map[FUZZ_MAX_SLOTS], n = 0;
		for (int i = 0; i < nprocs; i++)
			if (workers[i].live) {
				pf[n] = (struct abi_pollfd){ workers[i].wait_fd, POLLIN, 0 };
				map[n++] = i;
			}
		if (n == 0 && stopping)
			break;
		clock_t now = uptime();
		if (!stopping && now >= end) {
			stopping = true;
			for (int i = 0; i < nprocs; i++)
				if (workers[i].live && !workers[i].killed_at) {
					kill_pid(workers[i].pid);
					workers[i].killed_at = now;
				}
		}
		if (n == 0) {
			nanosleep(10 * MS);
			continue;
		}
		uint64_t r = poll(pf, (uint64_t)n, 50 * MS);
		if (r == ERR) {
			printf("# fuzz: poll failed: %s\n", strerror(errno));
			nanosleep(10 * MS);
		}
		now = uptime();
		for (int k = 0; k < n && r != ERR; k++) {
			if (!pf[k].revents)
				continue;
			int slot = map[k], status = 0;
			if (read_status(workers[slot].wait_fd, &status) != 0) {
				printf("# fuzz: reading worker %llu's status failed: %s\n",
				       (unsigned long long)workers[slot].pid, strerror(errno));
				status = -1000;
			}
			worker_ended(slot, status);
			if (replay_seed)
				end = 0; /* one generation only */
			else if (!stopping)
				start_worker(slot);
		}
		for (int i = 0; i < nprocs; i++) {
			struct worker *w = &workers[i];
			if (!w->live)
				continue;
			if (!w->killed_at && (now > w->deadline + 3 * SEC || (!replay_seed && fuzz_below(&sup_rng, 60) == 0))) {
				/* Past its lifetime (every thread blocked), or a random kill mid-flight. */
				random_kills += now <= w->deadline + 3 * SEC;
				kill_pid(w->pid);
				w->killed_at = now;
			} else if (w->killed_at && now > w->killed_at + 30 * SEC) {
				unkillable++;
				print_worker(i, "is still running 30 s after it was killed");
				close(w->wait_fd);
				w->live = false;
			}
		}
	}
	clock_t elapsed = uptime() - start;

	/* Everything we started, including what the workers spawned: kill, then wait for the end. */
	int alive = 0;
	for (clock_t limit = uptime() + 60 * SEC; uptime() < limit;) {
		alive = sweep(true);
		if (alive <= 0)
			break;
		nanosleep(100 * MS);
	}
	bool removed = false;
	for (clock_t limit = uptime() + 10 * SEC; !removed && uptime() < limit;) {
		removed = remove("/tmp/fuzz:dR") == 0;
		if (!removed)
			nanosleep(100 * MS);
	}

	uint64_t secs = elapsed / SEC ? elapsed / SEC : 1;
	printf("# fuzz: %llu calls in %llu.%01llu s (%llu calls/s), %llu worker processes, %llu killed at random\n",
	       (unsigned long long)total_calls, (unsigned long long)(elapsed / SEC),
	       (unsigned long long)(elapsed % SEC / (SEC / 10)), (unsigned long long)(total_calls / secs),
	       (unsigned long long)generations, (unsigned long long)random_kills);
	printf("# fuzz: succeeded/made per call:");
	for (int k = 0; k <= SYS_TOTAL_AMOUNT; k++)
		printf("%s %s %llu/%llu", k % 6 ? "" : "\n#  ", k < SYS_TOTAL_AMOUNT ? call_names[k] : "beyond",
		       (unsigned long long)made[k][1], (unsigned long long)made[k][0]);
	printf("\n");
	ktap_result(unexpected == 0, "fuzz.no_unexpected_worker_status");
	if (setup_failures)
		printf("# fuzz: %llu workers could not be started or set up\n", (unsigned long long)setup_failures);
	ktap_result(total_calls > 0 && setup_failures <= generations / 10, "fuzz.calls_made");
	ktap_result(unkillable == 0, "fuzz.every_worker_killable");
	if (alive)
		printf("# fuzz: %d processes still alive after 60 s of kills\n", alive);
	ktap_result(alive == 0, "fuzz.every_process_ended");
	ktap_result(removed, "fuzz.sandbox_removed");
	int changed = snapshot_root(true);
	ktap_result(changed == 0, "fuzz.root_files_unchanged");
	uint64_t stray = stray_log_bytes();
	if (stray)
		printf("# fuzz: %llu bytes in the kernel log that no one of us prints\n", (unsigned long long)stray);
	ktap_result(stray == 0, "fuzz.no_stray_log_output");
	fflush(stdout);
	return unexpected || unkillable || alive || !removed || !total_calls || changed || stray ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 7 && !strcmp(argv[1], "--worker"))
		return fuzz_worker_main(atoi(argv[2]), strtoull(argv[3], NULL, 0), strtoull(argv[4], NULL, 0),
					atoi(argv[5]), strtoull(argv[6], NULL, 0));
	if (argc >= 3 && !strcmp(argv[1], "--victim"))
		return victim_main(argv[2]);
	uint64_t seconds = 60;
	master_seed = fuzz_mix(uptime() ^ ((uint64_t)unix_epoch(NULL) << 20));
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--seconds"))
			seconds = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--seed"))
			master_seed = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--procs"))
			nprocs = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--threads"))
			nthreads = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--worker-seed"))
			replay_seed = strtoull(argv[i + 1], NULL, 0), nprocs = 1;
		else {
			printf("usage: fuzz [--seconds N] [--seed S] [--procs P] [--threads T] [--worker-seed W]\n");
			return 2;
		}
	}
	if (nprocs < 1 || nprocs > FUZZ_MAX_SLOTS || nthreads < 1 || nthreads > FUZZ_MAX_THREADS) {
		printf("fuzz: --procs 1..%d, --threads 1..%d\n", FUZZ_MAX_SLOTS, FUZZ_MAX_THREADS);
		return 2;
	}
	return supervise(seconds);
}
