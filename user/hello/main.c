// SPDX-License-Identifier: MIT
// hello: the smallest real user program; prints its arguments and exits 0.
#include <stdio.h>

int main(int argc, char **argv)
{
	printf("hello from user space\n");
	printf("argc = %d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d] = \"%s\"\n", i, argv[i]);
	/* The start contract (spec §10.5) promises the terminating NULL. */
	if (argv[argc] != NULL) {
		printf("argv[argc] is not NULL\n");
		return 1;
	}
	return 0;
}
