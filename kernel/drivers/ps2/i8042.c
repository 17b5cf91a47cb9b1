// SPDX-License-Identifier: MIT
// The i8042 keyboard controller (ports 0x60/0x64): bring-up, the keyboard on
// its first port (IRQ 1) and a mouse on its second, auxiliary port (IRQ 12).
// Keys go to the console input as terminal bytes and to /dev/kbd/0 as key
// events; mouse packets to /dev/mouse/0 (kernel/drivers/input). Every wait
// for the controller is bounded by the clock, so a machine without one (an
// open bus reads 0xFF), with a dead one or without an aux port boots on.
// Locks: none. The controller is touched only by ps2_init (boot, before its
// IRQs are routed) and then only by the two IRQ handlers, which both run on
// the bootstrap CPU with IRQs off, so never at once; so does decoder state.
#include "kernel/drivers/ps2/ps2.h"

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/arch.h"
#include "kernel/acpi/acpi.h"
#include "kernel/drivers/input/input.h"
#include "kernel/drivers/ps2/scancode.h"
#include "kernel/log/log.h"
#include "kernel/time/time.h"

#define I8042_DATA   0x60
#define I8042_STATUS 0x64 /* read */
#define I8042_CMD    0x64 /* write */

#define ST_OUT_FULL 0x01 /* a byte waits at I8042_DATA */
#define ST_IN_FULL  0x02 /* the controller has not taken the last byte written */
#define ST_AUX      0x20 /* the waiting byte came from the second port */

#define CMD_READ_CONFIG   0x20
#define CMD_WRITE_CONFIG  0x60
#define CMD_DISABLE_AUX   0xa7
#define CMD_ENABLE_AUX    0xa8
#define CMD_TEST_AUX      0xa9
#define CMD_SELF_TEST     0xaa
#define CMD_TEST_PORT1    0xab
#define CMD_DISABLE_KBD   0xad
#define CMD_ENABLE_KBD    0xae
#define CMD_WRITE_AUX     0xd4 /* the next data byte goes to the aux device */

#define CFG_KBD_IRQ       0x01
#define CFG_AUX_IRQ       0x02
#define CFG_KBD_CLOCK_OFF 0x10
#define CFG_AUX_CLOCK_OFF 0x20
#define CFG_TRANSLATE     0x40 /* set 2 from the keyboard arrives as set 1 */

#define SELF_TEST_OK  0x55
#define KBD_ENABLE    0xf4 /* start sending scan codes */
#define KBD_ACK       0xfa
#define DEV_RESET     0xff /* answered by ACK, then BAT_OK and the device id */
#define DEV_BAT_OK    0xaa
#define MOUSE_DEFAULTS 0xf6 /* 100 samples/s, 4 counts/mm, stream mode, reporting off */
#define MOUSE_ENABLE  0xf4 /* start sending movement packets */

/*
 * Names as PatchworkOS gives them: it looks up the ACPI _HID of each PS/2
 * device in a table of PNP ids. We read no AML, so the devices get the names
 * of PNP0303 and PNP0F13, which QEMU's DSDT and most PCs' declare.
 */
#define KBD_NAME   "IBM Enhanced (101/102-key, PS/2 mouse support)"
#define MOUSE_NAME "PS/2 Port for PS/2-style Mice"

/* Generous for real controllers (microseconds), short enough not to stall a boot without one. */
#define WAIT_NS (20 * 1000 * 1000ULL)
/* A mouse's self-test after reset takes up to 500 ms on real ones. */
#define RESET_WAIT_NS (750 * 1000 * 1000ULL)

/* Owner: the IRQ handlers (one CPU, IRQs off) */
static struct ps2_kbd kbd;
static struct ps2_keys keys;
static struct ps2_mouse mouse;

static bool wait_status(uint8_t mask, bool set)
{
	uint64_t deadline = time_now_ns() + WAIT_NS;
	do {
		if (((arch_io_in8(I8042_STATUS) & mask) != 0) == set)
			return true;
		arch_cpu_relax();
	} while (time_now_ns() < deadline);
	return false;
}

static bool write_port(uint16_t port, uint8_t value)
{
	if (!wait_status(ST_IN_FULL, false))
		return false;
	arch_io_out8(port, value);
	return true;
}

static bool command(uint8_t cmd)
{
	return write_port(I8042_CMD, cmd);
}

/* The controller's (or the keyboard's) answer, or -1 after the timeout. */
static int read_data(void)
{
	if (!wait_status(ST_OUT_FULL, true))
		return -1;
	return arch_io_in8(I8042_DATA);
}

static bool write_config(uint8_t config)
{
	return command(CMD_WRITE_CONFIG) && write_port(I8042_DATA, config);
}

/* Drop whatever the firmware's driver or a typist left in the output buffer. */
static void flush(void)
{
	for (int i = 0; i < 64 && (arch_io_in8(I8042_STATUS) & ST_OUT_FULL); i++)
		(void)arch_io_in8(I8042_DATA);
}

static void kbd_byte(uint8_t code)
{
	char out[PS2_KBD_OUT_MAX];
	unsigned n = ps2_kbd_decode(&kbd, code, out);
	for (unsigned j = 0; j < n; j++)
		console_input_push(out[j]);
	uint32_t key;
	bool pressed;
	if (ps2_key_decode(&keys, code, &key, &pressed))
		input_kbd_event(key, pressed);
}

static void mouse_byte(uint8_t byte)
{
	uint32_t buttons;
	int32_t dx, dy;
	if (ps2_mouse_feed(&mouse, byte, time_now_ns(), &buttons, &dx, &dy))
		input_mouse_event(buttons, dx, dy);
}

/*
 * Both IRQs drain the one output buffer: the status byte says which port
 * each byte came from, whichever interrupt happens to read it.
 */
static void ps2_interrupt(unsigned vector, void *frame)
{
	/* Bounded: a broken controller that always reports data must not hold the CPU. */
	for (int i = 0; i < 16; i++) {
		uint8_t status = arch_io_in8(I8042_STATUS);
		if (!(status & ST_OUT_FULL))
			break;
		uint8_t byte = arch_io_in8(I8042_DATA);
		if (status & ST_AUX)
			mouse_byte(byte);
		else
			kbd_byte(byte);
	}
	arch_lapic_eoi();
}

/* Send @byte to the aux device; true when it acknowledged. */
static bool aux_command(uint8_t byte)
{
	return command(CMD_WRITE_AUX) && write_port(I8042_DATA, byte) && read_data() == KBD_ACK;
}

/* The reset's self-test result, which may take far longer than a register access. */
static int read_data_slow(void)
{
	uint64_t deadline = time_now_ns() + RESET_WAIT_NS;
	do {
		int r = read_data();
		if (r >= 0)
			return r;
	} while (time_now_ns() < deadline);
	return -1;
}

/*
 * Find and start a mouse on the aux port (the keyboard port is still off,
 * so every byte read here is the mouse's). Returns NULL when it runs, else
 * why not, for the one line the boot log gets.
 */
static const char *mouse_init(void)
{
	int r;
	if (!command(CMD_TEST_AUX) || (r = read_data()) < 0)
		return "no aux port (no answer)";
	if (r != 0)
		return "no aux port (port test failed)";
	if (!command(CMD_ENABLE_AUX))
		return "aux port does not answer";
	if (!aux_command(DEV_RESET))
		return "no mouse answered";
	if (read_data_slow() != DEV_BAT_OK)
		return "mouse self-test failed";
	(void)read_data(); /* the device id (0: a standard mouse) */
	if (!aux_command(MOUSE_DEFAULTS) || !aux_command(MOUSE_ENABLE))
		return "mouse refused its settings";
	return NULL;
}

/* Bring the controller up with both ports quiet; returns the config byte to run with, or -1. */
static int controller_init(const char **why)
{
	*why = "no answer";
	if (!command(CMD_DISABLE_KBD) || !command(CMD_DISABLE_AUX))
		return -1;
	flush();
	int config;
	if (!command(CMD_READ_CONFIG) || (config = read_data()) < 0)
		return -1;
	/* No interrupts while testing; translation on (see scancode.c). */
	config = (config & ~(CFG_KBD_IRQ | CFG_AUX_IRQ)) | CFG_TRANSLATE;
	if (!write_config((uint8_t)config))
		return -1;
	/*
	 * The self-test resets some controllers (the config byte included),
	 * so the config is written again after it.
	 */
	int r;
	if (!command(CMD_SELF_TEST) || (r = read_data()) < 0)
		return -1;
	if (r != SELF_TEST_OK) {
		*why = "self-test failed";
		return -1;
	}
	if (!write_config((uint8_t)config) || !command(CMD_TEST_PORT1) || (r = read_data()) < 0)
		return -1;
	if (r != 0) {
		*why = "keyboard port test failed";
		return -1;
	}
	return config;
}

void ps2_init(void)
{
	const struct acpi_info *acpi = arch_acpi_info();
	if (acpi->no_i8042) {
		kprintf("ps2: no 8042 (ACPI IA-PC boot flags)\n");
		return;
	}
	/* An absent controller leaves the bus floating: every bit reads 1. */
	if (arch_io_in8(I8042_STATUS) == 0xff) {
		kprintf("ps2: no 8042 (status port reads 0xff)\n");
		return;
	}
	const char *why;
	int config = controller_init(&why);
	if (config < 0) {
		kprintf("ps2: 8042 not usable: %s\n", why);
		return;
	}
	const char *no_mouse = mouse_init();
	flush();
	if (!command(CMD_ENABLE_KBD)) {
		kprintf("ps2: 8042 not usable: no answer\n");
		return;
	}
	/*
	 * Scanning is on after a keyboard's power-on reset, but firmware may
	 * have turned it off. No keyboard plugged in is no error: the ACK
	 * simply never comes.
	 */
	bool keyboard = write_port(I8042_DATA, KBD_ENABLE) && read_data() == KBD_ACK;
	flush();
	arch_isa_irq_install(1, ps2_interrupt);
	config = (config | CFG_KBD_IRQ) & ~CFG_KBD_CLOCK_OFF;
	if (!no_mouse) {
		arch_isa_irq_install(12, ps2_interrupt);
		config = (config | CFG_AUX_IRQ) & ~CFG_AUX_CLOCK_OFF;
	} else {
		(void)command(CMD_DISABLE_AUX); /* left alone: no stray bytes from a half-started port */
	}
	if (!write_config((uint8_t)config)) {
		kprintf("ps2: 8042 not usable: no answer\n");
		return;
	}
	if (keyboard)
		input_register(INPUT_KBD, KBD_NAME);
	kprintf("ps2: 8042 keyboard port on IRQ 1%s\n", keyboard ? "" : " (no keyboard answered)");
	if (no_mouse) {
		kprintf("ps2: no mouse: %s\n", no_mouse);
	} else {
		input_register(INPUT_MOUSE, MOUSE_NAME);
		kprintf("ps2: mouse on IRQ 12\n");
	}
}
