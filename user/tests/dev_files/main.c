// SPDX-License-Identifier: MIT
// dev_files: the device files of spec §8.7 as kernel/abi/devices.h describes
// them (PatchworkOS's formats): /dev/kbd/0 and /dev/mouse/0 (record sizes,
// short reads, nonblock, poll, EINTR by a note, bad buffers), /dev/fb/0
// (info against the boot log's framebuffer line, a shared mapping of the
// screen, refused read/write and oversized maps), /dev/perf/cpu and
// /dev/perf/mem parsed as PatchworkOS's top parses them. Events themselves
// need someone at the keyboard: tests/tools/checks.py drives QEMU's and
// /bin/tests/input_echo prints them. Run with an argument this program is
// one of its own helper children.
#include <errno.h>
#include <fcntl.h>
#include <ktap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/proc.h>
#include <time.h>
#include <unistd.h>

#include "kernel/abi/devices.h"
#include "tu.h"

#define MS (1000 * 1000ULL)

static bool exists(const char *path)
{
	fd_t fd = open(path);
	if (fd == ERR)
		return false;
	close(fd);
	return true;
}

KTAP_TEST(events_reads_are_whole_records)
{
	static const struct {
		const char *path;
		uint64_t size;
	} dev[] = { { "/dev/kbd/0/events:nonblock", sizeof(struct abi_kbd_event) },
		    { "/dev/mouse/0/events:nonblock", sizeof(struct abi_mouse_event) } };
	TEXPECT_EQ(sizeof(struct abi_kbd_event), 24);
	TEXPECT_EQ(sizeof(struct abi_mouse_event), 32);
	for (int i = 0; i < 2; i++) {
		fd_t fd = open(dev[i].path);
		TASSERT(fd != ERR);
		uint8_t buf[64];
		/* Less than a record reads nothing, without waiting (PatchworkOS rounds down). */
		TEXPECT_EQ(read(fd, buf, dev[i].size - 1), 0);
		TEXPECT_EQ(read(fd, buf, 1), 0);
		/* Nothing queued (no one types in this boot) and nonblock: EAGAIN. */
		TEXPECT_ERR(read(fd, buf, dev[i].size), EAGAIN);
		TEXPECT_ERR(read(fd, buf, sizeof(buf)), EAGAIN);
		/* Events files have no position and nothing to write. */
		TEXPECT_ERR(seek(fd, 0, SEEK_SET), ESPIPE);
		TEXPECT_ERR(write(fd, buf, dev[i].size), ENOSYS);
		close(fd);
	}
}

KTAP_TEST(events_bad_buffers_fail)
{
	fd_t fd = open("/dev/mouse/0/events:nonblock");
	TASSERT(fd != ERR);
	TEXPECT_ERR(read(fd, NULL, 32), EINVAL); /* spec §4.2: NULL with a count */
	TEXPECT_ERR(read(fd, (void *)0xffff800000000000ULL, 32), EFAULT);
	TEXPECT_ERR(read(fd, (void *)0x0000800000000000ULL, 32), EFAULT);
	uint8_t buf[32];
	TEXPECT_ERR(read(fd, buf, ~0ULL), EOVERFLOW); /* the range wraps (spec §4.2) */
	TEXPECT_ERR(read(fd, buf, 1ULL << 40), EFAULT); /* huge: runs past what is mapped */
	close(fd);
}

KTAP_TEST(events_poll_waits_and_times_out_when_empty)
{
	fd_t k = open("/dev/kbd/0/events"), m = open("/dev/mouse/0/events");
	TASSERT(k != ERR && m != ERR);
	struct abi_pollfd fds[2] = { { k, POLLIN, 0 }, { m, POLLIN, 0 } };
	TEXPECT_EQ(poll(fds, 2, 0), 0);
	TEXPECT_EQ(fds[0].revents, 0);
	TEXPECT_EQ(fds[1].revents, 0);
	/* A real wait that ends by its timeout: the files joined the poll's wait queues and left them. */
	clock_t start = uptime();
	TEXPECT_EQ(poll(fds, 2, 30 * MS), 0);
	TEXPECT(uptime() - start >= 30 * MS);
	close(k);
	close(m);
}

/* Child: a blocking read of mouse records; exits with its errno (EINTR = 4), or 99 if it returned. */
static int child_read_events(void)
{
	fd_t fd = open("/dev/mouse/0/events");
	if (fd == ERR)
		return 98;
	struct abi_mouse_event ev;
	if (read(fd, &ev, sizeof(ev)) == ERR)
		return (int)errno;
	return 99;
}

KTAP_TEST(blocked_events_read_ends_with_eintr_on_note)
{
	/* Noted until it ends: a note that comes before the read has blocked is dropped (tu.h). */
	const char *argv[] = { "/bin/tests/dev_files", "child-read-events", NULL };
	fd_t wait_fd;
	pid_t pid = tu_spawn_watched(argv, 0, &wait_fd);
	TASSERT(pid != ERR);
	int status = -1;
	TEXPECT_EQ(tu_note_until_exit(pid, wait_fd, "wake up", 60 * TU_SEC, &status), 0);
	TEXPECT_EQ(status, EINTR);
}

KTAP_TEST(name_files_name_the_ps2_devices)
{
	char name[128];
	TEXPECT_EQ(tu_slurp("/dev/kbd/0/name", name, sizeof(name)),
		   (int64_t)strlen("IBM Enhanced (101/102-key, PS/2 mouse support)"));
	TEXPECT_STREQ(name, "IBM Enhanced (101/102-key, PS/2 mouse support)");
	TEXPECT(tu_slurp("/dev/mouse/0/name", name, sizeof(name)) > 0);
	TEXPECT_STREQ(name, "PS/2 Port for PS/2-style Mice");
	/* Only device 0 exists, and the files are not directories. */
	TEXPECT(!exists("/dev/kbd/1"));
	TEXPECT(!exists("/dev/mouse/1/events"));
	TEXPECT_ERR(open("/dev/kbd/0/events/x"), ENOENT);
}

/* The framebuffer the kernel log names: "fbcon: 160x50 text on the WxH framebuffer". */
static bool boot_log_fb(uint64_t *w, uint64_t *h)
{
	static char log[16384];
	if (tu_slurp("/dev/klog", log, sizeof(log)) < 0)
		return false;
	const char *at = strstr(log, " text on the ");
	if (!at)
		return false;
	char *end;
	*w = strtoul(at + strlen(" text on the "), &end, 10);
	if (*end != 'x')
		return false;
	*h = strtoul(end + 1, &end, 10);
	return strncmp(end, " framebuffer", 12) == 0;
}

static bool fb_info(struct abi_fb_info *info)
{
	fd_t fd = open("/dev/fb/0/info");
	if (fd == ERR)
		return false;
	uint64_t n = read(fd, info, sizeof(*info));
	close(fd);
	return n == sizeof(*info);
}

KTAP_TEST(fb_info_matches_the_boot_framebuffer)
{
	TEXPECT_EQ(sizeof(struct abi_fb_info), 64);
	struct abi_fb_info info;
	TASSERT(fb_info(&info));
	uint64_t w = 0, h = 0;
	TASSERT(boot_log_fb(&w, &h));
	TEXPECT_EQ(info.width, w);
	TEXPECT_EQ(info.height, h);
	TEXPECT(info.stride >= info.width && info.stride < info.width + 1024);
	TEXPECT_EQ(info.format, FB_ARGB32); /* OVMF's GOP is BGRX */
	TEXPECT_STREQ(info.name, "GOP Framebuffer");
	/* The position moves: a second read returns 0; a larger count still reads 64 bytes. */
	fd_t fd = open("/dev/fb/0/info");
	TASSERT(fd != ERR);
	uint8_t buf[200];
	TEXPECT_EQ(read(fd, buf, sizeof(buf)), 64);
	TEXPECT_EQ(read(fd, buf, sizeof(buf)), 0);
	TEXPECT_ERR(write(fd, buf, 1), ENOSYS);
	close(fd);
}

KTAP_TEST(fb_buffer_maps_the_screen_shared)
{
	struct abi_fb_info info;
	TASSERT(fb_info(&info));
	uint64_t bytes = info.stride * info.height * 4; /* what PatchworkOS's dwm maps */
	fd_t fd = open("/dev/fb/0/buffer");
	TASSERT(fd != ERR);
	uint8_t b[4];
	TEXPECT_ERR(read(fd, b, sizeof(b)), ENOSYS);
	TEXPECT_ERR(write(fd, b, sizeof(b)), ENOSYS);
	/* Past the end of the buffer: EINVAL, as PatchworkOS's gop_mmap. */
	uint64_t pages = (bytes + 4095) / 4096 * 4096;
	TEXPECT_NULL_ERR(mmap(fd, NULL, pages + 4096, PROT_READ | PROT_WRITE), EINVAL);
	TEXPECT_NULL_ERR(mmap(fd, NULL, ~0ULL - 4096, PROT_READ), EINVAL);
	uint32_t *one = mmap(fd, NULL, bytes, PROT_READ | PROT_WRITE);
	uint32_t *two = mmap(fd, NULL, bytes, PROT_READ);
	TASSERT(one != NULL && two != NULL && one != two);
	/* Both are the screen: a pixel written through one reads back through the other. */
	uint64_t last = info.stride * (info.height - 1) + info.width - 1;
	one[0] = 0x00ff8040;
	one[last] = 0x00123456;
	TEXPECT_EQ(two[0], 0x00ff8040);
	TEXPECT_EQ(two[last], 0x00123456);
	/* A read-only mapping stays read-only (a write would end the process: not tried here). */
	TEXPECT(munmap(two, bytes) != NULL);
	TEXPECT(munmap(one, bytes) != NULL);
	close(fd);
	/* A read-only open cannot map it writable. */
	fd = open("/dev/fb/0/buffer:r");
	TASSERT(fd != ERR);
	TEXPECT_NULL_ERR(mmap(fd, NULL, 4096, PROT_READ | PROT_WRITE), EACCES);
	close(fd);
}

KTAP_TEST(perf_cpu_parses_as_top_reads_it)
{
	static char text[8192];
	TASSERT(tu_slurp("/dev/perf/cpu", text, sizeof(text)) > 0);
	const char *header = "cpu idle_clocks active_clocks interrupt_clocks";
	TEXPECT(strncmp(text, header, strlen(header)) == 0);
	TEXPECT(text[strlen(text) - 1] != '\n'); /* no newline at the end, as PatchworkOS */
	/* Then per CPU "id idle active interrupt", ids from 0 in order. */
	const char *p = text + strlen(header);
	uint64_t cpus = 0, sum[2] = { 0, 0 };
	while (*p == '\n') {
		char *end;
		uint64_t id = strtoul(p + 1, &end, 10);
		TEXPECT_EQ(id, cpus);
		uint64_t idle = strtoul(end, &end, 10), active = strtoul(end, &end, 10);
		(void)strtoul(end, &end, 10);
		TEXPECT(*end == '\n' || *end == '\0');
		TEXPECT(idle + active > 0);
		sum[0] += idle;
		sum[1] += active;
		p = end;
		cpus++;
	}
	TEXPECT_EQ(*p, '\0');
	TEXPECT(cpus >= 1 && cpus <= 64);
	/* Time goes on: a second reading is larger. */
	nanosleep(20 * MS);
	TASSERT(tu_slurp("/dev/perf/cpu", text, sizeof(text)) > 0);
	uint64_t later = 0;
	for (p = strchr(text, '\n'); p; p = strchr(p + 1, '\n')) {
		char *end;
		(void)strtoul(p + 1, &end, 10);
		later += strtoul(end, &end, 10);
		later += strtoul(end, &end, 10);
	}
	TEXPECT(later > sum[0] + sum[1]);
}

KTAP_TEST(perf_mem_parses_as_top_reads_it)
{
	char text[512];
	TASSERT(tu_slurp("/dev/perf/mem", text, sizeof(text)) > 0);
	/* top: fscanf(file, "total_pages %lu\nfree_pages %lu\nused_pages %lu", ...) == 3 */
	TEXPECT(strncmp(text, "total_pages ", 12) == 0);
	char *end;
	uint64_t total = strtoul(text + 12, &end, 10);
	TASSERT(strncmp(end, "\nfree_pages ", 12) == 0);
	uint64_t free = strtoul(end + 12, &end, 10);
	TASSERT(strncmp(end, "\nused_pages ", 12) == 0);
	uint64_t used = strtoul(end + 12, &end, 10);
	TEXPECT_EQ(total, free + used);
	/* Pages the kernel manages: more than the 8 MiB the kernel and root take, below 64 GiB (make test runs 128M-16G). */
	TEXPECT(total >= 2048 && total <= (64ULL << 30) / 4096);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child-read-events") == 0)
		return child_read_events();
	return ktap_main();
}
