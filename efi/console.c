// SPDX-License-Identifier: MIT
// Loader messages: always on COM1 (polled, so they work after
// ExitBootServices), and on ConOut while the firmware still runs it.
#include "efi/loader.h"

#define COM1 0x3f8

int loader_fail_fast;

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

void *memcpy(void *dst, const void *src, uint64_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	while (n--)
		*d++ = *s++;
	return dst;
}

void *memset(void *dst, int c, uint64_t n)
{
	uint8_t *d = dst;
	while (n--)
		*d++ = (uint8_t)c;
	return dst;
}

void serial_init(void)
{
	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x80); /* DLAB on: divisor 1 = 115200 baud */
	outb(COM1 + 0, 0x01);
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1 */
	outb(COM1 + 2, 0xc7); /* FIFO on, cleared */
}

static void serial_putc(char c)
{
	for (int spin = 0; spin < 100000 && !(inb(COM1 + 5) & 0x20); spin++)
		;
	outb(COM1, (uint8_t)c);
}

/*
 * While boot services run, ConOut reaches the screen and (on OVMF and most
 * servers) the serial console too, so writing COM1 as well would print every
 * line twice. After ExitBootServices only COM1 is left.
 */
static void emit(const char *s)
{
	/* ConOut wants UCS-2; convert in small chunks on the stack. */
	CHAR16 buf[64];
	int n = 0;
	for (const char *p = s; *p; p++) {
		if (!ST || !ST->ConOut) {
			if (*p == '\n')
				serial_putc('\r');
			serial_putc(*p);
		} else {
			if (*p == '\n')
				buf[n++] = L'\r';
			buf[n++] = (CHAR16)(unsigned char)*p;
			if (n >= 62) {
				buf[n] = 0;
				ST->ConOut->OutputString(ST->ConOut, buf);
				n = 0;
			}
		}
	}
	if (n && ST && ST->ConOut) {
		buf[n] = 0;
		ST->ConOut->OutputString(ST->ConOut, buf);
	}
}

void log_line(const char *msg)
{
	emit(msg);
	emit("\n");
}

void warn(const char *msg)
{
	emit("quilt-efi: warning: ");
	log_line(msg);
}

static void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

__attribute__((noreturn)) void die(const char *what, const char *detail)
{
	emit("quilt-efi: error: ");
	emit(what);
	emit(" ");
	log_line(detail);
	/*
	 * Give a person at the screen time to read it, then power off: returning
	 * to the firmware would leave an unattended machine (or CI) in its menu.
	 */
	if (ST) {
		log_line("quilt-efi: powering off in 10 seconds");
		if (!loader_fail_fast)
			BS->Stall(10 * 1000 * 1000);
		ST->RuntimeServices->ResetSystem(EfiResetShutdown, EFI_LOAD_ERROR, 0, NULL);
	}
	halt_forever();
	__builtin_unreachable();
}

static const char *status_name(EFI_STATUS st)
{
	switch (st) {
	case EFI_LOAD_ERROR: return "EFI_LOAD_ERROR";
	case EFI_INVALID_PARAMETER: return "EFI_INVALID_PARAMETER";
	case EFI_UNSUPPORTED: return "EFI_UNSUPPORTED";
	case EFI_BUFFER_TOO_SMALL: return "EFI_BUFFER_TOO_SMALL";
	case EFI_DEVICE_ERROR: return "EFI_DEVICE_ERROR";
	case EFI_VOLUME_CORRUPTED: return "EFI_VOLUME_CORRUPTED";
	case EFI_OUT_OF_RESOURCES: return "EFI_OUT_OF_RESOURCES";
	case EFI_NOT_FOUND: return "EFI_NOT_FOUND";
	case EFI_ACCESS_DENIED: return "EFI_ACCESS_DENIED";
	case EFI_NO_MEDIA: return "EFI_NO_MEDIA";
	default: return "EFI error";
	}
}

__attribute__((noreturn)) void die_status(const char *what, const char *detail, EFI_STATUS st)
{
	emit("quilt-efi: ");
	emit(status_name(st));
	emit(": ");
	die(what, detail);
}

void log_hex(const char *label, uint64_t v)
{
	char buf[19] = "0x";
	for (int i = 0; i < 16; i++)
		buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
	buf[18] = 0;
	emit(label);
	emit(buf);
	emit("\n");
}
