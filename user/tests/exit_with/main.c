// SPDX-License-Identifier: MIT
// Exits with the status given as argv[1] (decimal, may be negative); used by
// process tests to check how exit statuses travel.
#include <stdlib.h>

int main(int argc, char **argv)
{
	return argc > 1 ? (int)strtol(argv[1], NULL, 0) : 0;
}
