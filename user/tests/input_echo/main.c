// SPDX-License-Identifier: MIT
// input_echo: print every event of /dev/kbd/0/events and /dev/mouse/0/events
// on stdout, one line each, until a line ends on stdin. Not a KTAP test: the
// device checks (tests/tools/checks.py) start it from the shell, press keys
// and move the mouse through QEMU's monitor, then read what it printed.
// It waits with poll, so a check that sees events also sees POLLIN work; a
// second reader of the keyboard, opened at the start and read only at the
// end, shows that every open file gets every event. A machine without a
// mouse (the USB keyboard's check has no 8042) has no /dev/mouse/0: then
// only the keyboard is read.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kernel/abi/devices.h"

static void print_name(const char *what, const char *path)
{
	char name[64] = { 0 };
	fd_t fd = open(path);
	if (fd != ERR) {
		uint64_t n = read(fd, name, sizeof(name) - 1);
		if (n == ERR)
			name[0] = '\0';
		close(fd);
	}
	printf("input_echo: %s '%s'\n", what, name);
}

int main(void)
{
	fd_t kbd = open("/dev/kbd/0/events"), mouse = open("/dev/mouse/0/events");
	bool no_mouse = mouse == ERR && errno == ENOENT;
	fd_t second = open("/dev/kbd/0/events:nonblock");
	if (kbd == ERR || (mouse == ERR && !no_mouse) || second == ERR) {
		printf("input_echo: cannot open the events files (%s)\n", strerror(errno));
		return 1;
	}
	print_name("keyboard", "/dev/kbd/0/name");
	print_name("mouse", "/dev/mouse/0/name");
	printf("input_echo: ready\n");
	for (;;) {
		/* Without a mouse its slot polls the keyboard again, for nothing: fds[1] is never read then. */
		struct abi_pollfd fds[3] = { { kbd, POLLIN, 0 }, { no_mouse ? kbd : mouse, POLLIN, 0 },
					     { STDIN_FILENO, POLLIN, 0 } };
		if (poll(fds, 3, CLOCKS_NEVER) == ERR) {
			printf("input_echo: poll failed (%s)\n", strerror(errno));
			return 1;
		}
		if (fds[0].revents & POLLIN) {
			struct abi_kbd_event ev[4];
			uint64_t n = read(kbd, ev, sizeof(ev));
			for (uint64_t i = 0; n != ERR && i < n / sizeof(ev[0]); i++)
				printf("input_echo: kbd %s code=0x%x mods=0x%x\n", ev[i].type == KBD_PRESS ? "press" : "release",
				       ev[i].code, ev[i].mods);
		}
		if (!no_mouse && (fds[1].revents & POLLIN)) {
			struct abi_mouse_event ev;
			if (read(mouse, &ev, sizeof(ev)) == sizeof(ev))
				printf("input_echo: mouse buttons=%u dx=%lld dy=%lld\n", ev.buttons, (long long)ev.delta_x,
				       (long long)ev.delta_y);
		}
		if (fds[2].revents & POLLIN) {
			/* The keys pressed also reach the console: read them here, so the shell gets none. */
			char buf[64];
			uint64_t n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n == ERR || n == 0 || memchr(buf, '\r', n) || memchr(buf, '\n', n))
				break;
		}
	}
	struct abi_kbd_event ev;
	unsigned records = 0;
	while (read(second, &ev, sizeof(ev)) == sizeof(ev))
		records++;
	printf("input_echo: second reader got %u keyboard records (%s)\n", records,
	       errno == EAGAIN ? "then EAGAIN" : strerror(errno));
	printf("input_echo: done\n");
	return 0;
}
