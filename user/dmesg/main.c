// SPDX-License-Identifier: MIT
// dmesg: print the kernel log (/dev/klog from its oldest byte still kept).
//
// The whole log is read before any of it is written: standard output is
// often /dev/klog itself (the shell's), and copying piece by piece would
// keep finding its own output at the end and never stop.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	fd_t fd = open("/dev/klog:r");
	if (fd == ERR) {
		fprintf(stderr, "dmesg: /dev/klog: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}
	size_t len = 0, cap = 0;
	char *buf = NULL;
	for (;;) {
		if (cap - len < 4096) {
			char *grown = realloc(buf, cap * 2 + 4096);
			if (!grown) {
				fprintf(stderr, "dmesg: %s\n", strerror(ENOMEM));
				return EXIT_FAILURE;
			}
			buf = grown;
			cap = cap * 2 + 4096;
		}
		uint64_t n = read(fd, buf + len, cap - len);
		if (n == ERR) {
			fprintf(stderr, "dmesg: reading /dev/klog: %s\n", strerror(errno));
			return EXIT_FAILURE;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	for (size_t done = 0; done < len;) {
		uint64_t n = write(STDOUT_FILENO, buf + done, len - done);
		if (n == ERR) {
			fprintf(stderr, "dmesg: %s\n", strerror(errno));
			return EXIT_FAILURE;
		}
		done += n;
	}
	return 0;
}
