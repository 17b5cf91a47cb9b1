// SPDX-License-Identifier: MIT
// poweroff and reboot, one program installed under both names (user/user.mk):
// the name it was started as is the word it writes to /dev/power.
//   poweroff: turn the machine off (ACPI S5); returns only when the kernel
//             could not: no ACPI S5 here (ENODEV), or the machine stayed on (EIO).
//   reboot:   reset the machine (the kernel tries the ACPI reset register,
//             the 8042, then a triple fault).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *name = argc > 0 && argv[0] ? argv[0] : "poweroff";
	const char *slash = strrchr(name, '/');
	const char *word = strcmp(slash ? slash + 1 : name, "reboot") ? "poweroff" : "reboot";
	fd_t fd = open("/dev/power");
	if (fd == ERR || write(fd, word, strlen(word)) == ERR) {
		fprintf(stderr, "%s: %s\n", word, strerror(errno));
		return EXIT_FAILURE;
	}
	return 0;
}
