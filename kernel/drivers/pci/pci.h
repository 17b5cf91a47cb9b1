// SPDX-License-Identifier: MIT
// PCI: the functions on every bus, found once at boot through the legacy
// configuration mechanism (ports 0xCF8/0xCFC), and their configuration space.
#ifndef QUILT_DRIVERS_PCI_PCI_H
#define QUILT_DRIVERS_PCI_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/compiler.h"

/* One function. Immutable after pci_init(). */
struct pci_device {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint8_t class_code, subclass, prog_if;
	uint8_t header_type; /* without the multi-function bit */
};

/* Configuration space registers used by more than one driver. */
#define PCI_COMMAND          0x04
#define PCI_COMMAND_MEMORY   0x0002 /* decode memory BARs */
#define PCI_COMMAND_MASTER   0x0004 /* may start DMA */
#define PCI_COMMAND_INTX_OFF 0x0400 /* no legacy INTx interrupt */
#define PCI_BAR0             0x10

/*
 * pci_init - find every function on buses 0-255 (all of them are probed:
 * simpler than following bridges, and a bridge the firmware numbered oddly
 * cannot hide a device) and print one line for each USB controller.
 * Context: boot, one CPU.
 */
void pci_init(void);

/* The functions found, in bus/device/function order; @n gets their count. */
const struct pci_device *pci_devices(unsigned *n);

/* Configuration space of @d; @offset below 256, aligned to the width. Context: any thread. */
uint32_t pci_read32(const struct pci_device *d, uint16_t offset);
uint16_t pci_read16(const struct pci_device *d, uint16_t offset);
void pci_write32(const struct pci_device *d, uint16_t offset, uint32_t value);
void pci_write16(const struct pci_device *d, uint16_t offset, uint16_t value);

/*
 * pci_bar_memory - the physical address and size of memory BAR @index (a
 * 64-bit BAR takes @index and @index + 1), sized by the write-ones probe
 * with decoding off for its duration. Returns 0, -ENODEV (unused, I/O or
 * unassigned BAR) or -EINVAL (@index out of range).
 * Context: boot, before the driver enables the function.
 */
int __must_check pci_bar_memory(const struct pci_device *d, unsigned index, uint64_t *phys, uint64_t *size_bytes);

/*
 * pci_msi_enable - give @d one message-signalled interrupt (@address, @data
 * from arch_msi_alloc) and turn it on: through its MSI capability, else
 * entry 0 of its MSI-X table (mapped from the BAR it names); legacy INTx
 * goes off. Returns 0, -ENODEV (neither capability, or an unusable table
 * BAR) or -ENOMEM (the table could not be mapped). Context: boot.
 */
int __must_check pci_msi_enable(const struct pci_device *d, uint64_t address, uint32_t data);

#endif
