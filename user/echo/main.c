// SPDX-License-Identifier: MIT
// echo: print the arguments separated by spaces; -n leaves out the newline.
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	bool newline = true;
	int i = 1;

	if (argc > 1 && !strcmp(argv[1], "-n")) {
		newline = false;
		i++;
	}
	for (; i < argc; i++) {
		fputs(argv[i], stdout);
		if (i + 1 < argc)
			fputc(' ', stdout);
	}
	if (newline)
		fputc('\n', stdout);
	/* Buffered output: only the flush tells whether it arrived (e.g. EPIPE). */
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "echo: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}
	return 0;
}
