// SPDX-License-Identifier: MIT
// PCI enumeration through configuration mechanism #1 (an address written to
// port 0xCF8, the data at 0xCFC), which every x86 PC and QEMU machine has;
// PCIe's memory-mapped configuration (ACPI MCFG) would add the extended
// 4 KiB space, which no driver here needs.
// Locks: config_lock (the address/data pair is one shared register window).
#include "kernel/drivers/pci/pci.h"

#include "arch/x86_64/arch.h"
#include "kernel/abi/errno.h"
#include "kernel/log/log.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/sync/spinlock.h"

#define CONFIG_ADDRESS 0xcf8
#define CONFIG_DATA    0xcfc
#define CONFIG_ENABLE  0x80000000u

#define PCI_VENDOR_NONE     0xffff /* an empty slot: the read floats */
#define PCI_HEADER_TYPE     0x0e
#define PCI_HEADER_MULTI_FN 0x80
#define PCI_BAR_IO          0x1
#define PCI_BAR_TYPE_64     0x4 /* bits 2:1 = 10 */
#define PCI_BAR_TYPE_MASK   0x6

#define MAX_DEVICES 256

static struct spinlock config_lock = SPINLOCK_INIT;
static struct pci_device *devices; /* Immutable after pci_init() */
static unsigned ndevices;

static uint32_t address(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t offset)
{
	return CONFIG_ENABLE | (uint32_t)bus << 16 | (uint32_t)dev << 11 | (uint32_t)fn << 8 | (offset & 0xfc);
}

static uint32_t read32_at(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t offset)
{
	irqflags_t f = spin_lock_irqsave(&config_lock);
	arch_io_out32(CONFIG_ADDRESS, address(bus, dev, fn, offset));
	uint32_t v = arch_io_in32(CONFIG_DATA);
	spin_unlock_irqrestore(&config_lock, f);
	return v;
}

uint32_t pci_read32(const struct pci_device *d, uint16_t offset)
{
	return read32_at(d->bus, d->dev, d->fn, offset);
}

uint16_t pci_read16(const struct pci_device *d, uint16_t offset)
{
	return (uint16_t)(pci_read32(d, offset & ~3u) >> ((offset & 2) * 8));
}

void pci_write32(const struct pci_device *d, uint16_t offset, uint32_t value)
{
	irqflags_t f = spin_lock_irqsave(&config_lock);
	arch_io_out32(CONFIG_ADDRESS, address(d->bus, d->dev, d->fn, offset));
	arch_io_out32(CONFIG_DATA, value);
	spin_unlock_irqrestore(&config_lock, f);
}

void pci_write16(const struct pci_device *d, uint16_t offset, uint16_t value)
{
	/* A 16-bit access at 0xCFC + 2 reaches the upper half of the dword. */
	irqflags_t f = spin_lock_irqsave(&config_lock);
	arch_io_out32(CONFIG_ADDRESS, address(d->bus, d->dev, d->fn, offset));
	arch_io_out16((uint16_t)(CONFIG_DATA + (offset & 2)), value);
	spin_unlock_irqrestore(&config_lock, f);
}

const struct pci_device *pci_devices(unsigned *n)
{
	*n = ndevices;
	return devices;
}

int pci_bar_memory(const struct pci_device *d, unsigned index, uint64_t *phys, uint64_t *size_bytes)
{
	if (d->header_type != 0 || index > 5)
		return -EINVAL;
	uint16_t off = (uint16_t)(PCI_BAR0 + 4 * index);
	uint32_t lo = pci_read32(d, off);
	if (lo & PCI_BAR_IO)
		return -ENODEV;
	bool wide = (lo & PCI_BAR_TYPE_MASK) == PCI_BAR_TYPE_64;
	if (wide && index == 5)
		return -EINVAL;
	uint32_t hi = wide ? pci_read32(d, off + 4) : 0;

	/* Decoding off while the BAR holds all ones, so it never claims a stray address range. */
	uint16_t cmd = pci_read16(d, PCI_COMMAND);
	pci_write16(d, PCI_COMMAND, cmd & ~(PCI_COMMAND_MEMORY | 0x1));
	pci_write32(d, off, 0xffffffffu);
	uint64_t mask = pci_read32(d, off) & ~0xfull;
	if (wide) {
		pci_write32(d, off + 4, 0xffffffffu);
		mask |= (uint64_t)pci_read32(d, off + 4) << 32;
		pci_write32(d, off + 4, hi);
	} else {
		mask |= 0xffffffff00000000ull;
	}
	pci_write32(d, off, lo);
	pci_write16(d, PCI_COMMAND, cmd);

	uint64_t base = ((uint64_t)hi << 32) | (lo & ~0xfu);
	uint64_t size = ~mask + 1;
	if (base == 0 || mask == 0 || (size & (size - 1)))
		return -ENODEV;
	*phys = base;
	*size_bytes = size;
	return 0;
}

#define PCI_STATUS          0x06
#define PCI_STATUS_CAPS     0x0010 /* a capability list starts at PCI_CAPS_PTR */
#define PCI_CAPS_PTR        0x34
#define PCI_CAP_MSI         0x05
#define PCI_CAP_MSIX        0x11
#define MSIX_CTRL_ENABLE    0x8000 /* MSI-X on: MSI would be ignored */
#define MSIX_CTRL_MASK_ALL  0x4000
#define MSIX_ENTRY_BYTES    16     /* address low, high, data, vector control */
#define MSI_CTRL_ENABLE     0x0001
#define MSI_CTRL_MME        0x0070 /* messages enabled, log2: 0 = one */
#define MSI_CTRL_64BIT      0x0080

/* Offset of capability @id in @d's list, or 0. The walk is bounded: a looped list ends too. */
static uint16_t find_capability(const struct pci_device *d, uint8_t id)
{
	if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAPS))
		return 0;
	uint16_t at = pci_read32(d, PCI_CAPS_PTR) & 0xfc;
	for (int guard = 0; at >= 0x40 && guard < 48; guard++) {
		uint32_t v = pci_read32(d, at);
		if ((v & 0xff) == id)
			return at;
		at = (v >> 8) & 0xfc;
	}
	return 0;
}

/* MSI-X: one message in entry 0 of the vector table, which lives in one of the function's BARs. */
static int msix_enable(const struct pci_device *d, uint16_t cap, uint64_t address, uint32_t data)
{
	uint32_t where = pci_read32(d, cap + 4);
	unsigned bir = where & 7;
	if (bir > 5 || d->header_type != 0)
		return -ENODEV;
	/* The BAR's address only: sizing it would stop its decoding under a running device. */
	uint32_t lo = pci_read32(d, PCI_BAR0 + 4 * bir);
	if (lo & PCI_BAR_IO)
		return -ENODEV;
	uint64_t base = lo & ~0xfull;
	if ((lo & PCI_BAR_TYPE_MASK) == PCI_BAR_TYPE_64 && bir < 5)
		base |= (uint64_t)pci_read32(d, PCI_BAR0 + 4 * bir + 4) << 32;
	if (!base)
		return -ENODEV;
	volatile uint8_t *entry = arch_mmio_map(base + (where & ~7u), MSIX_ENTRY_BYTES);
	if (!entry)
		return -ENOMEM;
	uint16_t ctrl = pci_read16(d, cap + 2);
	/* On with the whole function masked while entry 0 is written, then unmasked. */
	pci_write16(d, cap + 2, ctrl | MSIX_CTRL_ENABLE | MSIX_CTRL_MASK_ALL);
	arch_mmio_write32(entry + 0, (uint32_t)address);
	arch_mmio_write32(entry + 4, (uint32_t)(address >> 32));
	arch_mmio_write32(entry + 8, data);
	arch_mmio_write32(entry + 12, 0); /* vector control: unmasked */
	pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) | PCI_COMMAND_INTX_OFF);
	pci_write16(d, cap + 2, (uint16_t)((ctrl | MSIX_CTRL_ENABLE) & ~MSIX_CTRL_MASK_ALL));
	return 0;
}

int pci_msi_enable(const struct pci_device *d, uint64_t address, uint32_t data)
{
	uint16_t cap = find_capability(d, PCI_CAP_MSI);
	if (!cap) {
		uint16_t msix = find_capability(d, PCI_CAP_MSIX);
		return msix ? msix_enable(d, msix, address, data) : -ENODEV;
	}
	uint16_t ctrl = pci_read16(d, cap + 2);
	pci_write32(d, cap + 4, (uint32_t)address);
	if (ctrl & MSI_CTRL_64BIT) {
		pci_write32(d, cap + 8, (uint32_t)(address >> 32));
		pci_write16(d, cap + 12, (uint16_t)data);
	} else {
		pci_write16(d, cap + 8, (uint16_t)data);
	}
	/* MSI-X, if the firmware turned it on, would take precedence. */
	uint16_t msix = find_capability(d, PCI_CAP_MSIX);
	if (msix)
		pci_write16(d, msix + 2, pci_read16(d, msix + 2) & ~MSIX_CTRL_ENABLE);
	pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) | PCI_COMMAND_INTX_OFF);
	pci_write16(d, cap + 2, (uint16_t)((ctrl & ~MSI_CTRL_MME) | MSI_CTRL_ENABLE));
	return 0;
}

static const char *usb_kind(const struct pci_device *d)
{
	if (d->class_code != 0x0c || d->subclass != 0x03)
		return NULL;
	switch (d->prog_if) {
	case 0x00: return "UHCI";
	case 0x10: return "OHCI";
	case 0x20: return "EHCI";
	case 0x30: return "xHCI";
	default: return "USB";
	}
}

static void add(uint8_t bus, uint8_t dev, uint8_t fn, uint32_t id)
{
	if (ndevices == MAX_DEVICES)
		return;
	struct pci_device *d = &devices[ndevices++];
	d->bus = bus;
	d->dev = dev;
	d->fn = fn;
	d->vendor = (uint16_t)id;
	d->device = (uint16_t)(id >> 16);
	uint32_t class = read32_at(bus, dev, fn, 0x08);
	d->class_code = (uint8_t)(class >> 24);
	d->subclass = (uint8_t)(class >> 16);
	d->prog_if = (uint8_t)(class >> 8);
	d->header_type = (uint8_t)(read32_at(bus, dev, fn, PCI_HEADER_TYPE & ~3u) >> 16) & 0x7f;
	const char *usb = usb_kind(d);
	if (usb)
		kprintf("pci: %02x:%02x.%u %s controller %04x:%04x\n", bus, dev, fn, usb, d->vendor, d->device);
}

void pci_init(void)
{
	devices = kzalloc(MAX_DEVICES * sizeof(*devices));
	if (!devices) {
		kprintf("pci: no memory for the device table\n");
		return;
	}
	/* No configuration mechanism #1 at all: the address register does not keep what is written. */
	irqflags_t f = spin_lock_irqsave(&config_lock);
	arch_io_out32(CONFIG_ADDRESS, CONFIG_ENABLE);
	bool present = arch_io_in32(CONFIG_ADDRESS) == CONFIG_ENABLE;
	spin_unlock_irqrestore(&config_lock, f);
	if (!present) {
		kprintf("pci: no configuration mechanism at 0xcf8\n");
		return;
	}
	unsigned buses = 0;
	for (unsigned bus = 0; bus < 256; bus++) {
		bool any = false;
		for (uint8_t dev = 0; dev < 32; dev++) {
			uint32_t id = read32_at((uint8_t)bus, dev, 0, 0);
			if ((uint16_t)id == PCI_VENDOR_NONE || (uint16_t)id == 0)
				continue;
			any = true;
			add((uint8_t)bus, dev, 0, id);
			uint8_t header = (uint8_t)(read32_at((uint8_t)bus, dev, 0, PCI_HEADER_TYPE & ~3u) >> 16);
			for (uint8_t fn = 1; (header & PCI_HEADER_MULTI_FN) && fn < 8; fn++) {
				id = read32_at((uint8_t)bus, dev, fn, 0);
				if ((uint16_t)id != PCI_VENDOR_NONE && (uint16_t)id != 0)
					add((uint8_t)bus, dev, fn, id);
			}
		}
		buses += any;
	}
	kprintf("pci: %u functions on %u buses%s\n", ndevices, buses,
		ndevices == MAX_DEVICES ? " (table full, the rest ignored)" : "");
}
