// SPDX-License-Identifier: MIT
// The COM1 serial port (16550 UART at 0x3F8): the kernel console's output,
// polled so that it works from any context (a panic included), and its input,
// interrupt-driven once the console asks for it.
#include "arch/x86_64/arch.h"
#include "arch/x86_64/io.h"
#include "arch/x86_64/vectors.h"
#include "kernel/log/console.h"

#define COM1 0x3f8

void arch_console_init(void)
{
	outb(COM1 + 1, 0x00); /* no UART interrupts while polled */
	outb(COM1 + 3, 0x80); /* DLAB: divisor 1 = 115200 baud */
	outb(COM1 + 0, 0x01);
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1 */
	outb(COM1 + 2, 0xc7); /* FIFOs on and cleared */
	outb(COM1 + 4, 0x03); /* DTR, RTS */
}

void arch_console_putc(char c)
{
	/* Bounded wait: a missing UART must not hang a panic. */
	for (int spin = 0; spin < 100000 && !(inb(COM1 + 5) & 0x20); spin++)
		__asm__ volatile("pause");
	outb(COM1, (uint8_t)c);
}

/* COM1 receive interrupt: hand every waiting byte to the console input ring. */
static void com1_interrupt(unsigned vector, void *frame)
{
	while (inb(COM1 + 5) & 1)
		console_input_push((char)inb(COM1));
	arch_lapic_eoi();
}

void arch_console_enable_input(void)
{
	arch_irq_register(VEC_COM1, com1_interrupt);
	arch_route_isa_irq(4, VEC_COM1);
	outb(COM1 + 1, 0x01); /* interrupt on received data */
}
