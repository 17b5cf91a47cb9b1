// SPDX-License-Identifier: MIT
// reboot: reset the machine by writing "reboot" to /dev/power (the kernel
// tries the ACPI reset register, the 8042, then a triple fault).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	fd_t fd = open("/dev/power");
	if (fd == ERR || write(fd, "reboot", 6) == ERR) {
		fprintf(stderr, "reboot: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}
	return 0;
}
