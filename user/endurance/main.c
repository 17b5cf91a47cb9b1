// SPDX-License-Identifier: MIT
// endurance: map, touch and unmap /dev/zero pages until a total page count is
// reached (default 50 million, 256 pages a round), then start 64 threads to
// show the kernel still has what it needs. Run it as
//   make run MEM=512M CMDLINE=leakcheck INIT="/bin/endurance [pages]"
// and compare the "leakcheck: pages in use" lines the kernel prints at the end.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#define ROUND_PAGES 256
#define NTHREADS 64

static _Atomic(uint64_t) done_threads;

static void worker(void *arg)
{
	/* Each thread maps, fills and unmaps a page of its own. */
	fd_t zero = (fd_t)(uintptr_t)arg;
	volatile uint8_t *p = mmap(zero, NULL, 4096, PROT_READ | PROT_WRITE);
	if (p) {
		p[0] = 1;
		munmap((void *)p, 4096);
		done_threads++;
	}
}

int main(int argc, char **argv)
{
	uint64_t total = argc > 1 ? strtoull(argv[1], NULL, 0) : 50000000ULL;
	fd_t zero = open("/dev/zero");
	if (zero == ERR) {
		printf("endurance: cannot open /dev/zero\n");
		return 1;
	}
	uint64_t t0 = uptime(), mapped = 0, rounds = 0;
	while (mapped < total) {
		volatile uint8_t *p = mmap(zero, NULL, ROUND_PAGES * 4096, PROT_READ | PROT_WRITE);
		if (!p) {
			printf("endurance: mmap failed after %llu pages\n", (unsigned long long)mapped);
			return 2;
		}
		for (int i = 0; i < ROUND_PAGES; i++)
			p[i * 4096] = (uint8_t)i;
		if (munmap((void *)p, ROUND_PAGES * 4096) != (void *)p) {
			printf("endurance: munmap failed\n");
			return 3;
		}
		mapped += ROUND_PAGES;
		if (++rounds % 20000 == 0)
			printf("endurance: %llu pages mapped, %llu s\n", (unsigned long long)mapped,
			       (unsigned long long)((uptime() - t0) / 1000000000ULL));
	}
	uint64_t secs = (uptime() - t0) / 1000000000ULL;
	int tids[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		tids[i] = thrd_create_raw(worker, (void *)(uintptr_t)zero);
	for (int i = 0; i < NTHREADS; i++)
		if (tids[i] >= 0)
			thrd_join_raw(tids[i]);
	printf("endurance: %llu pages in %llu s (%llu ns a page); %llu of %d threads ran\n",
	       (unsigned long long)mapped, (unsigned long long)secs,
	       (unsigned long long)(secs * 1000000000ULL / (mapped ? mapped : 1)),
	       (unsigned long long)done_threads, NTHREADS);
	close(zero);
	return done_threads == NTHREADS ? 0 : 4;
}
