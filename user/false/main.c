// SPDX-License-Identifier: MIT
// false: do nothing, unsuccessfully.
#include <stdlib.h>

int main(int argc, char **argv)
{
	return EXIT_FAILURE;
}
