// SPDX-License-Identifier: MIT
// poweroff: turn the machine off (ACPI S5) by writing "poweroff" to /dev/power.
// Returns only when the kernel could not: no ACPI S5 here (ENODEV), or the
// machine stayed on (EIO).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	fd_t fd = open("/dev/power");
	if (fd == ERR || write(fd, "poweroff", 8) == ERR) {
		fprintf(stderr, "poweroff: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}
	return 0;
}
