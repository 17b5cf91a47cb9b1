// SPDX-License-Identifier: MIT
// Helper of the keyboard device check (tests/tools/checks.py): started by
// the shell as a foreground job, it waits until the shell has named it in
// /dev/console_fg, says so, then sleeps until a note interrupts it (the
// note "interrupt" that a typed Ctrl-C sends the foreground). Exit status 0
// when a note ended the sleep, 1 otherwise.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Whether /dev/console_fg names this process. */
static bool in_foreground(const char *me)
{
	char text[256];
	/* A fresh open reads from the start (device files do not seek). */
	fd_t fd = open("/dev/console_fg");
	uint64_t n = fd == ERR ? ERR : read(fd, text, sizeof(text) - 1);
	if (fd != ERR)
		close(fd);
	if (n == ERR)
		return false;
	text[n] = '\0';
	char *save;
	for (char *word = strtok_r(text, " \n", &save); word; word = strtok_r(NULL, " \n", &save))
		if (!strcmp(word, me))
			return true;
	return false;
}

int main(void)
{
	char me[24];
	snprintf(me, sizeof(me), "%llu", (unsigned long long)getpid());
	/* The shell names its job right after starting it: wait for that, up to a minute. */
	for (int i = 0; i < 6000 && !in_foreground(me); i++)
		nanosleep(10 * CLOCKS_PER_SEC / 1000);
	if (!in_foreground(me)) {
		printf("wait_interrupt: never in the foreground\n");
		return 1;
	}
	printf("waiting for Ctrl-C\n");
	fflush(stdout);
	if (nanosleep(120 * CLOCKS_PER_SEC) == ERR && errno == EINTR) {
		printf("interrupted by a note\n");
		return 0;
	}
	printf("wait_interrupt: slept on, no note\n");
	return 1;
}
