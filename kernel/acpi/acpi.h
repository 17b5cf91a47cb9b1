// SPDX-License-Identifier: MIT
// ACPI static tables: what the boot code needs from the RSDP, XSDT/RSDT, MADT, FADT and HPET.
// Pure code: physical memory is reached only through a caller-supplied map function.
#ifndef QUILT_ACPI_ACPI_H
#define QUILT_ACPI_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#define ACPI_MAX_CPUS      256
#define ACPI_MAX_IOAPICS   16
#define ACPI_MAX_OVERRIDES 32

/*
 * Make [phys, phys + len) readable and return its address, or NULL when the
 * range cannot be mapped (the table is then treated as bad). There is no
 * unmap: every range returned must stay readable until acpi_parse() returns.
 * The kernel passes its direct-map translation; host tests pass a fake.
 */
typedef const void *(*acpi_map_fn)(uint64_t phys, uint64_t len, void *ctx);

/* One processor from a MADT local APIC (type 0) or local x2APIC (type 9) entry. */
struct acpi_cpu {
	uint32_t apic_id;
	uint32_t acpi_uid;     /* ACPI processor UID (type 0's 8-bit processor ID, widened) */
	bool enabled;          /* flags bit 0: usable now */
	bool online_capable;   /* flags bit 1 (MADT revision >= 5 only): may be brought up */
	bool x2apic_entry;     /* came from a type 9 entry */
};

struct acpi_ioapic {
	uint8_t id;
	uint32_t address;      /* MMIO base of its register window */
	uint32_t gsi_base;     /* first global system interrupt it serves */
};

/* An ISA IRQ that is not identity-mapped or not edge/active-high. */
struct acpi_override {
	uint8_t bus, source_irq;
	uint32_t gsi;
	uint16_t flags;        /* MPS INTI flags: bits 0-1 polarity, bits 2-3 trigger mode */
};

struct acpi_info {
	uint8_t revision;            /* RSDP revision (0 = ACPI 1.0, 2 = 2.0+) */
	bool used_xsdt;              /* false: the RSDT was used */
	uint32_t bad_tables;         /* root entries skipped: unmappable, bad length or checksum */

	/* MADT */
	uint64_t lapic_address;      /* MADT header, or its 64-bit override entry (type 5) */
	bool pcat_compat;            /* MADT flags bit 0: dual 8259s present, mask them */
	uint32_t ncpus;
	struct acpi_cpu cpus[ACPI_MAX_CPUS];
	uint32_t cpus_dropped;       /* CPU entries beyond ACPI_MAX_CPUS */
	uint32_t nioapics;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	uint32_t ioapics_dropped;
	uint32_t noverrides;
	struct acpi_override overrides[ACPI_MAX_OVERRIDES];
	uint32_t overrides_dropped;

	/* HPET */
	uint64_t hpet_address;       /* 0 if no HPET table */

	/* FADT ("FACP") */
	uint32_t pm_timer_port;      /* I/O port of the PM timer, 0 if none (or not in I/O space) */
	bool pm_timer_32bit;         /* flags TMR_VAL_EXT: the counter is 32 bits, else 24 */
	uint16_t century_reg;        /* CMOS index of the RTC century register, 0 if none */

	/* FADT: legacy devices, reset and sleep control (kernel/drivers/ps2, kernel/drivers/power) */
	bool have_fadt;
	bool no_i8042;               /* IA-PC boot flags (FADT revision >= 3) say there is no 8042 */
	uint16_t smi_cmd;            /* I/O port that takes acpi_enable (0: ACPI is always on) */
	uint8_t acpi_enable;
	uint16_t pm1a_cnt, pm1b_cnt; /* PM1 control register ports, 0 if absent */
	bool reset_supported;        /* flags RESET_REG_SUP: reset_reg/reset_value are valid */
	uint8_t reset_space;         /* GAS space of the reset register (ACPI_SPACE_*) */
	uint64_t reset_address;
	uint8_t reset_value;
	uint64_t dsdt_phys;          /* X_DSDT when set, else DSDT; 0 if none */

	/* DSDT: \_S5_ (soft off), from acpi_aml_find_s5() */
	bool have_s5;
	uint8_t s5_slp_typa, s5_slp_typb;
};

/* Generic Address Structure spaces Quilt can drive. */
#define ACPI_SPACE_MEMORY 0
#define ACPI_SPACE_IO     1
#define ACPI_SPACE_PCI    2

/* acpi_parse() results; every code but ACPI_ERR_RSDP/ROOT leaves usable data in *out. */
enum {
	ACPI_OK = 0,
	ACPI_ERR_RSDP = -1,          /* no valid RSDP: nothing parsed */
	ACPI_ERR_ROOT = -2,          /* neither XSDT nor RSDT valid: nothing parsed */
	ACPI_ERR_NO_MADT = -3,       /* no valid MADT: FADT/HPET results only, assume one CPU */
	ACPI_ERR_MADT_ENTRY = -4,    /* malformed MADT entry: entries before it are kept */
};

/*
 * acpi_parse - read the boot-relevant ACPI tables starting from the RSDP.
 * @rsdp_phys: physical address of the RSDP (from the EFI configuration table)
 * @map:       maps physical ranges for reading; see acpi_map_fn
 * @ctx:       passed to @map unchanged
 * @out:       zeroed, then filled with whatever could be parsed
 * @why:       set to a static reason on error, to NULL on success (may be NULL)
 *
 * Validates the RSDP (signature, 20-byte checksum and, for revision >= 2, the
 * 36-byte extended checksum), then the XSDT (revision >= 2, non-zero address)
 * or the RSDT; a bad XSDT falls back to the RSDT when one is given. Each
 * MADT, FADT and HPET table is checked for signature, length (header size up
 * to 1 MiB) and checksum; a bad one is skipped and counted in bad_tables, and
 * the first good table of each kind is used.
 *
 * Return: ACPI_OK, or a negative ACPI_ERR_* code with *why set. On
 * ACPI_ERR_MADT_ENTRY the MADT walk stopped (or skipped an entry) at a
 * malformed entry but everything else was parsed.
 * Context: any; pure, no allocation. @out is ~3.5 KiB: keep it off small stacks.
 */
int acpi_parse(uint64_t rsdp_phys, acpi_map_fn map, void *ctx, struct acpi_info *out,
	       const char **why);

/*
 * acpi_aml_find_s5 - find "Name (_S5_, Package () {a, b, ...})" in the AML
 * byte stream @aml of @len bytes (a DSDT without its header) and return the
 * SLP_TYP values for PM1a and PM1b (3 bits each). Not an interpreter: a
 * byte scan for NameOp "_S5_" followed by a package of integer constants,
 * which is how every DSDT Quilt has met declares it (see README "Power").
 * A one-element package is the old packed form: bits 0-7 for PM1a, 8-15 for
 * PM1b (as ACPICA reads it).
 * Returns true when found and well-formed. Context: any; pure.
 */
bool acpi_aml_find_s5(const uint8_t *aml, uint32_t len, uint8_t *slp_typa, uint8_t *slp_typb);

#endif
