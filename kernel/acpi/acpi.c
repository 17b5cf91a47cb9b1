// SPDX-License-Identifier: MIT
// ACPI table parsing: RSDP -> XSDT/RSDT -> MADT, FADT (-> DSDT's \_S5_), HPET, all validated before use.
// Firmware tables are untrusted input: every length is checked against its
// table before a field is read, and nothing is written outside *out.
#include "kernel/acpi/acpi.h"

#include <stddef.h>

#define PACKED __attribute__((packed))

/* Far beyond any real MADT/FADT/HPET/XSDT; stops a corrupt length mapping gigabytes. */
#define ACPI_TABLE_MAX (1u << 20)

struct acpi_rsdp {
	char signature[8];              /* "RSD PTR " */
	uint8_t checksum;               /* over the first 20 bytes */
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt_address;
	/* revision >= 2 only */
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t ext_checksum;           /* over all 36 bytes */
	uint8_t reserved[3];
} PACKED;

#define RSDP_V1_LEN 20u

struct acpi_sdt_header {
	char signature[4];
	uint32_t length;                /* of the whole table, header included */
	uint8_t revision;
	uint8_t checksum;               /* all bytes of the table sum to 0 */
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} PACKED;

/* Generic Address Structure */
struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} PACKED;

#define GAS_SPACE_IO 1

struct acpi_madt {
	struct acpi_sdt_header hdr;
	uint32_t lapic_address;
	uint32_t flags;
	/* variable-length entries follow */
} PACKED;

#define MADT_PCAT_COMPAT (1u << 0)
/* Online Capable was reserved (firmware may leave junk) before MADT revision 5 (ACPI 6.3). */
#define MADT_REV_ONLINE_CAPABLE 5

struct madt_entry {
	uint8_t type;
	uint8_t length;
} PACKED;

enum {
	MADT_LAPIC = 0,
	MADT_IOAPIC = 1,
	MADT_ISO = 2,
	MADT_LAPIC_OVERRIDE = 5,
	MADT_X2APIC = 9,
};

#define MADT_CPU_ENABLED        (1u << 0)
#define MADT_CPU_ONLINE_CAPABLE (1u << 1)

struct madt_lapic {
	struct madt_entry e;
	uint8_t processor_id;
	uint8_t apic_id;
	uint32_t flags;
} PACKED;

struct madt_ioapic {
	struct madt_entry e;
	uint8_t id;
	uint8_t reserved;
	uint32_t address;
	uint32_t gsi_base;
} PACKED;

struct madt_iso {
	struct madt_entry e;
	uint8_t bus;
	uint8_t source;
	uint32_t gsi;
	uint16_t flags;
} PACKED;

struct madt_lapic_override {
	struct madt_entry e;
	uint16_t reserved;
	uint64_t address;
} PACKED;

struct madt_x2apic {
	struct madt_entry e;
	uint16_t reserved;
	uint32_t x2apic_id;
	uint32_t flags;
	uint32_t acpi_uid;
} PACKED;

/* The FADT up to X_PM_TMR_BLK; later fields are not needed. */
struct acpi_fadt {
	struct acpi_sdt_header hdr;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
} PACKED;

#define FADT_TMR_VAL_EXT (1u << 8)
#define FADT_RESET_REG_SUP (1u << 10)
/* IAPC_BOOT_ARCH bit 1: an 8042 at ports 0x60/0x64. Reserved (zero) before FADT revision 3. */
#define FADT_BOOT_8042 (1u << 1)
#define FADT_REV_BOOT_ARCH 3
/* CMOS 0x00-0x0d are the RTC's time and status registers, never the century. */
#define CMOS_FIRST_FREE 0x0e

struct acpi_hpet {
	struct acpi_sdt_header hdr;
	uint32_t event_timer_block_id;
	struct acpi_gas base;
	uint8_t hpet_number;
	uint16_t min_tick;
	uint8_t page_protection;
} PACKED;

/* Offsets from the ACPI specification (6.5, sections 5.2.5-5.2.12) and the HPET spec 1.0a. */
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP layout");
_Static_assert(offsetof(struct acpi_rsdp, xsdt_address) == 24, "RSDP layout");
_Static_assert(sizeof(struct acpi_sdt_header) == 36, "SDT header layout");
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT layout");
_Static_assert(sizeof(struct madt_lapic) == 8, "MADT type 0 layout");
_Static_assert(sizeof(struct madt_ioapic) == 12, "MADT type 1 layout");
_Static_assert(sizeof(struct madt_iso) == 10, "MADT type 2 layout");
_Static_assert(sizeof(struct madt_lapic_override) == 12, "MADT type 5 layout");
_Static_assert(sizeof(struct madt_x2apic) == 16, "MADT type 9 layout");
_Static_assert(offsetof(struct acpi_fadt, pm_tmr_blk) == 76, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, century) == 108, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, x_pm_tmr_blk) == 208, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, reset_value) == 128, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, x_pm1a_cnt_blk) == 172, "FADT layout");
_Static_assert(offsetof(struct acpi_hpet, base) == 40, "HPET layout");
_Static_assert(sizeof(struct acpi_hpet) == 56, "HPET layout");

/*
 * True when @field of the table at @t lies inside its first @len bytes. The
 * FADT grew with every ACPI revision (116 bytes in 1.0, 276 in 6.x), so a
 * field past the table's length is simply absent.
 */
#define HAS_FIELD(t, len, field) \
	(offsetof(__typeof__(*(t)), field) + sizeof((t)->field) <= (len))

struct parser {
	acpi_map_fn map;
	void *ctx;
	struct acpi_info *out;
};

/* Why a table failed validation; indexes the *_why[] message arrays. */
enum table_err {
	TE_ZERO,
	TE_MAP,
	TE_SIG,
	TE_LEN,
	TE_SUM,
	TE_COUNT
};

static const char *const xsdt_why[TE_COUNT] = {
	[TE_ZERO] = "XSDT address is zero",
	[TE_MAP] = "XSDT cannot be mapped",
	[TE_SIG] = "XSDT signature is not \"XSDT\"",
	[TE_LEN] = "XSDT length out of range",
	[TE_SUM] = "XSDT checksum mismatch",
};

static const char *const rsdt_why[TE_COUNT] = {
	[TE_ZERO] = "RSDT address is zero",
	[TE_MAP] = "RSDT cannot be mapped",
	[TE_SIG] = "RSDT signature is not \"RSDT\"",
	[TE_LEN] = "RSDT length out of range",
	[TE_SUM] = "RSDT checksum mismatch",
};

static bool sig_eq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static uint8_t sum8(const void *p, uint32_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;
	for (uint32_t i = 0; i < len; i++)
		s += b[i];
	return s;
}

/* Root-table entries are only 4-byte aligned (XSDT entries sit at offset 36). */
static uint64_t rd_le(const uint8_t *p, unsigned int bytes)
{
	uint64_t v = 0;
	while (bytes--)
		v = v << 8 | p[bytes];
	return v;
}

static const void *map_range(struct parser *p, uint64_t phys, uint64_t len)
{
	if (phys == 0 || phys > UINT64_MAX - len)
		return NULL;
	return p->map(phys, len, p->ctx);
}

/* Map just the header at @phys, to learn the signature and length. */
static const struct acpi_sdt_header *peek_header(struct parser *p, uint64_t phys)
{
	return map_range(p, phys, sizeof(struct acpi_sdt_header));
}

/*
 * Validate the length and checksum of the table whose header @h was mapped
 * from @phys, and map it whole. Returns the table or NULL with *err set.
 */
static const void *load_table(struct parser *p, uint64_t phys, const struct acpi_sdt_header *h,
			      uint32_t min_len, enum table_err *err)
{
	uint32_t len = h->length;
	if (len < min_len || len > ACPI_TABLE_MAX) {
		*err = TE_LEN;
		return NULL;
	}
	const struct acpi_sdt_header *t = map_range(p, phys, len);
	if (!t) {
		*err = TE_MAP;
		return NULL;
	}
	/* The parsers trust t->length, so it must be the length that was mapped. */
	if (t->length != len) {
		*err = TE_LEN;
		return NULL;
	}
	if (sum8(t, len) != 0) {
		*err = TE_SUM;
		return NULL;
	}
	return t;
}

/* The XSDT or RSDT at @phys, or NULL with *err set. */
static const struct acpi_sdt_header *load_root(struct parser *p, uint64_t phys, const char *sig,
					       enum table_err *err)
{
	if (phys == 0) {
		*err = TE_ZERO;
		return NULL;
	}
	const struct acpi_sdt_header *h = peek_header(p, phys);
	if (!h) {
		*err = TE_MAP;
		return NULL;
	}
	if (!sig_eq(h->signature, sig, 4)) {
		*err = TE_SIG;
		return NULL;
	}
	return load_table(p, phys, h, sizeof(*h), err);
}

/*
 * Record one processor. The spec gives APIC IDs below 255 type 0 entries and
 * the rest type 9, but some firmware lists a CPU in both: merge duplicates so
 * the caller never starts one CPU twice.
 */
static void add_cpu(struct acpi_info *out, uint32_t apic_id, uint32_t uid, uint32_t flags,
		    bool oc_valid, bool x2apic)
{
	bool enabled = flags & MADT_CPU_ENABLED;
	bool online_capable = oc_valid && (flags & MADT_CPU_ONLINE_CAPABLE);

	for (uint32_t i = 0; i < out->ncpus; i++) {
		if (out->cpus[i].apic_id == apic_id) {
			out->cpus[i].enabled |= enabled;
			out->cpus[i].online_capable |= online_capable;
			return;
		}
	}
	if (out->ncpus == ACPI_MAX_CPUS) {
		out->cpus_dropped++;
		return;
	}
	out->cpus[out->ncpus++] = (struct acpi_cpu){
		.apic_id = apic_id,
		.acpi_uid = uid,
		.enabled = enabled,
		.online_capable = online_capable,
		.x2apic_entry = x2apic,
	};
}

/* Smallest valid length of a MADT entry of @type; unknown types need only their header. */
static uint8_t madt_entry_min(uint8_t type)
{
	switch (type) {
	case MADT_LAPIC:
		return sizeof(struct madt_lapic);
	case MADT_IOAPIC:
		return sizeof(struct madt_ioapic);
	case MADT_ISO:
		return sizeof(struct madt_iso);
	case MADT_LAPIC_OVERRIDE:
		return sizeof(struct madt_lapic_override);
	case MADT_X2APIC:
		return sizeof(struct madt_x2apic);
	default:
		return sizeof(struct madt_entry);
	}
}

static void madt_entry(struct acpi_info *out, const struct madt_entry *e, bool oc_valid)
{
	switch (e->type) {
	case MADT_LAPIC: {
		const struct madt_lapic *l = (const void *)e;
		/* 0xff is the xAPIC broadcast ID, never a real CPU. */
		if (l->apic_id != 0xff)
			add_cpu(out, l->apic_id, l->processor_id, l->flags, oc_valid, false);
		break;
	}
	case MADT_X2APIC: {
		const struct madt_x2apic *x = (const void *)e;
		if (x->x2apic_id != 0xffffffffu)
			add_cpu(out, x->x2apic_id, x->acpi_uid, x->flags, oc_valid, true);
		break;
	}
	case MADT_IOAPIC: {
		const struct madt_ioapic *io = (const void *)e;
		if (out->nioapics == ACPI_MAX_IOAPICS) {
			out->ioapics_dropped++;
			break;
		}
		out->ioapics[out->nioapics++] = (struct acpi_ioapic){
			.id = io->id,
			.address = io->address,
			.gsi_base = io->gsi_base,
		};
		break;
	}
	case MADT_ISO: {
		const struct madt_iso *iso = (const void *)e;
		if (out->noverrides == ACPI_MAX_OVERRIDES) {
			out->overrides_dropped++;
			break;
		}
		out->overrides[out->noverrides++] = (struct acpi_override){
			.bus = iso->bus,
			.source_irq = iso->source,
			.gsi = iso->gsi,
			.flags = iso->flags,
		};
		break;
	}
	case MADT_LAPIC_OVERRIDE:
		out->lapic_address = ((const struct madt_lapic_override *)e)->address;
		break;
	default:
		/* NMI sources, GIC entries etc.: not needed to boot. */
		break;
	}
}

/*
 * Walk the MADT's entries. A zero or overlong length breaks the chain, so the
 * walk stops there; an entry merely too short for its type is skipped, since
 * the next entry can still be found. Either way what was parsed is kept and
 * ACPI_ERR_MADT_ENTRY is returned, so the caller can warn and carry on.
 */
static int parse_madt(const void *table, struct acpi_info *out, const char **why)
{
	const struct acpi_madt *madt = table;
	const uint8_t *base = (const uint8_t *)madt;
	uint32_t len = madt->hdr.length;
	bool oc_valid = madt->hdr.revision >= MADT_REV_ONLINE_CAPABLE;
	int rc = ACPI_OK;

	out->lapic_address = madt->lapic_address;
	out->pcat_compat = madt->flags & MADT_PCAT_COMPAT;

	uint32_t off = sizeof(*madt);
	while (off < len) {
		const struct madt_entry *e = (const void *)(base + off);
		if (len - off < sizeof(*e)) {
			*why = "MADT ends inside an entry header";
			return ACPI_ERR_MADT_ENTRY;
		}
		if (e->length < sizeof(*e)) {
			*why = "MADT entry with length below 2";
			return ACPI_ERR_MADT_ENTRY;
		}
		if (e->length > len - off) {
			*why = "MADT entry runs past the end of the table";
			return ACPI_ERR_MADT_ENTRY;
		}
		if (e->length < madt_entry_min(e->type)) {
			*why = "MADT entry too short for its type (skipped)";
			rc = ACPI_ERR_MADT_ENTRY;
		} else {
			madt_entry(out, e, oc_valid);
		}
		off += e->length;
	}
	return rc;
}

/* An I/O port from a 32-bit block field and its 64-bit GAS successor (preferred when set). */
static uint16_t fadt_port(const struct acpi_gas *x, bool has_x, uint32_t legacy)
{
	uint64_t port = legacy;
	if (has_x && x->address)
		port = x->space_id == GAS_SPACE_IO ? x->address : 0;
	return port > 0xffff ? 0 : (uint16_t)port;
}

/*
 * What power-off, reset and the keyboard driver need. The FADT grew by
 * revision, so every field is read only when the table is long enough for it.
 */
static void parse_fadt_power(const struct acpi_fadt *f, uint32_t len, struct acpi_info *out)
{
	out->have_fadt = true;
	/* Like Linux: before revision 3 the boot flags are reserved, so an 8042 is assumed. */
	if (f->hdr.revision >= FADT_REV_BOOT_ARCH && HAS_FIELD(f, len, iapc_boot_arch))
		out->no_i8042 = !(f->iapc_boot_arch & FADT_BOOT_8042);
	if (HAS_FIELD(f, len, acpi_enable) && f->smi_cmd <= 0xffff) {
		out->smi_cmd = (uint16_t)f->smi_cmd;
		out->acpi_enable = f->acpi_enable;
	}
	if (HAS_FIELD(f, len, pm1b_cnt_blk)) {
		out->pm1a_cnt = fadt_port(&f->x_pm1a_cnt_blk, HAS_FIELD(f, len, x_pm1a_cnt_blk), f->pm1a_cnt_blk);
		out->pm1b_cnt = fadt_port(&f->x_pm1b_cnt_blk, HAS_FIELD(f, len, x_pm1b_cnt_blk), f->pm1b_cnt_blk);
	}
	if (HAS_FIELD(f, len, reset_value) && HAS_FIELD(f, len, flags) && (f->flags & FADT_RESET_REG_SUP) &&
	    f->reset_reg.address && f->reset_reg.space_id <= ACPI_SPACE_PCI) {
		out->reset_supported = true;
		out->reset_space = f->reset_reg.space_id;
		out->reset_address = f->reset_reg.address;
		out->reset_value = f->reset_value;
	}
	if (HAS_FIELD(f, len, x_dsdt) && f->x_dsdt)
		out->dsdt_phys = f->x_dsdt;
	else if (HAS_FIELD(f, len, dsdt))
		out->dsdt_phys = f->dsdt;
}

/*
 * The PM timer's I/O port. X_PM_TMR_BLK supersedes PM_TMR_BLK when non-zero;
 * a timer in memory space is reported as absent (the caller drives ports).
 */
static int parse_fadt(const void *table, struct acpi_info *out, const char **why)
{
	const struct acpi_fadt *f = table;
	uint32_t len = f->hdr.length;
	uint64_t port = 0;

	if (HAS_FIELD(f, len, x_pm_tmr_blk) && f->x_pm_tmr_blk.address) {
		if (f->x_pm_tmr_blk.space_id == GAS_SPACE_IO)
			port = f->x_pm_tmr_blk.address;
	} else if (HAS_FIELD(f, len, pm_tmr_blk)) {
		port = f->pm_tmr_blk;
	}
	/* x86 I/O space is 64 KiB; anything above is a firmware bug. */
	if (port > 0xffff)
		port = 0;
	out->pm_timer_port = (uint32_t)port;
	if (port && HAS_FIELD(f, len, flags))
		out->pm_timer_32bit = f->flags & FADT_TMR_VAL_EXT;

	if (HAS_FIELD(f, len, century) && f->century >= CMOS_FIRST_FREE)
		out->century_reg = f->century;
	parse_fadt_power(f, len, out);
	return ACPI_OK;
}

static int parse_hpet(const void *table, struct acpi_info *out, const char **why)
{
	const struct acpi_hpet *h = table;
	/* Like Linux, trust the address and ignore the GAS space ID: HPETs are always MMIO. */
	out->hpet_address = h->base.address;
	return ACPI_OK;
}

/* Validate the RSDP and return its root-table addresses. */
static int parse_rsdp(struct parser *p, uint64_t phys, uint64_t *rsdt, uint64_t *xsdt,
		      const char **why)
{
	if (phys == 0) {
		*why = "RSDP address is zero";
		return ACPI_ERR_RSDP;
	}
	const struct acpi_rsdp *r = map_range(p, phys, RSDP_V1_LEN);
	if (!r) {
		*why = "RSDP cannot be mapped";
		return ACPI_ERR_RSDP;
	}
	if (!sig_eq(r->signature, "RSD PTR ", 8)) {
		*why = "RSDP signature is not \"RSD PTR \"";
		return ACPI_ERR_RSDP;
	}
	if (sum8(r, RSDP_V1_LEN) != 0) {
		*why = "RSDP checksum mismatch";
		return ACPI_ERR_RSDP;
	}
	p->out->revision = r->revision;
	*rsdt = r->rsdt_address;
	*xsdt = 0;
	if (r->revision < 2)
		return ACPI_OK;

	/*
	 * Like ACPICA, checksum a fixed 36 bytes rather than trusting the
	 * Length field, which would otherwise need validating itself.
	 */
	r = map_range(p, phys, sizeof(*r));
	if (!r) {
		*why = "RSDP cannot be mapped";
		return ACPI_ERR_RSDP;
	}
	if (sum8(r, sizeof(*r)) != 0) {
		*why = "RSDP extended checksum mismatch";
		return ACPI_ERR_RSDP;
	}
	*xsdt = r->xsdt_address;
	return ACPI_OK;
}

/*
 * The tables Quilt reads: each is validated (signature, length of at least
 * min_len, checksum) before its parser sees it. Only these are validated: a
 * bad SSDT is not our business. The first good table of each kind is used.
 */
static const struct table_kind {
	char sig[4];
	uint32_t min_len;
	int (*parse)(const void *table, struct acpi_info *out, const char **why);
} table_kinds[] = {
	{ "APIC", sizeof(struct acpi_madt), parse_madt },
	{ "FACP", sizeof(struct acpi_sdt_header), parse_fadt },
	{ "HPET", offsetof(struct acpi_hpet, hpet_number), parse_hpet },
};
enum { KIND_MADT = 0, NKINDS = sizeof(table_kinds) / sizeof(table_kinds[0]) };

/*
 * The root table and the size of its entries. The XSDT is preferred; if it is
 * bad but an RSDT exists, fall back as ACPICA does: the RSDT lists the same
 * tables below 4 GiB on real firmware.
 */
static const struct acpi_sdt_header *find_root(struct parser *p, uint64_t rsdt_phys, uint64_t xsdt_phys,
					       unsigned int *entry_size, const char **why)
{
	const struct acpi_sdt_header *root = NULL;
	enum table_err err;
	if (xsdt_phys) {
		root = load_root(p, xsdt_phys, "XSDT", &err);
		if (root) {
			p->out->used_xsdt = true;
			*entry_size = 8;
			return root;
		}
		*why = xsdt_why[err];
	}
	if (rsdt_phys || !xsdt_phys) {
		root = load_root(p, rsdt_phys, "RSDT", &err);
		/* After a failed XSDT, its reason is the more useful one. */
		if (!root && !*why)
			*why = rsdt_why[err];
		*entry_size = 4;
	}
	return root;
}

/* The kind of table @h is, if Quilt reads it and has no good one yet; else -1. */
static int wanted_kind(const struct acpi_sdt_header *h, const bool *have)
{
	for (int k = 0; k < NKINDS; k++)
		if (!have[k] && sig_eq(h->signature, table_kinds[k].sig, 4))
			return k;
	return -1;
}

/* AML opcodes (ACPI 6.5, section 20.3) the _S5_ scan understands. */
enum {
	AML_ZERO = 0x00,
	AML_ONE = 0x01,
	AML_NAME = 0x08,
	AML_BYTE_PREFIX = 0x0a,
	AML_WORD_PREFIX = 0x0b,
	AML_DWORD_PREFIX = 0x0c,
	AML_QWORD_PREFIX = 0x0e,
	AML_PACKAGE = 0x12,
	AML_ROOT_CHAR = '\\',
};

/* One integer constant at aml[*at] (before @end). Returns false for anything else. */
static bool aml_integer(const uint8_t *aml, uint32_t end, uint32_t *at, uint64_t *value)
{
	static const uint8_t sizes[] = { [AML_BYTE_PREFIX] = 1, [AML_WORD_PREFIX] = 2,
					 [AML_DWORD_PREFIX] = 4, [AML_QWORD_PREFIX] = 8 };
	if (*at >= end)
		return false;
	uint8_t op = aml[(*at)++];
	if (op == AML_ZERO || op == AML_ONE) {
		*value = op;
		return true;
	}
	if (op >= sizeof(sizes) || !sizes[op] || end - *at < sizes[op])
		return false;
	*value = rd_le(aml + *at, sizes[op]);
	*at += sizes[op];
	return true;
}

/* The package at aml[at] (just after "_S5_"): PackageOp PkgLength NumElements elements... */
static bool aml_s5_package(const uint8_t *aml, uint32_t len, uint32_t at, uint8_t *a, uint8_t *b)
{
	if (at >= len || aml[at++] != AML_PACKAGE || at >= len)
		return false;
	/* PkgLength: bits 6-7 of the lead byte count the bytes that follow it; it covers itself. */
	uint32_t start = at, follow = aml[at] >> 6, pkg_len = aml[at] & (follow ? 0x0f : 0x3f);
	if (len - at <= follow)
		return false;
	for (uint32_t i = 1; i <= follow; i++)
		pkg_len |= (uint32_t)aml[at + i] << (8 * i - 4);
	at += 1 + follow;
	if (pkg_len > len - start || start + pkg_len <= at)
		return false;
	uint32_t end = start + pkg_len;
	uint8_t count = aml[at++];
	uint64_t va, vb;
	if (count == 0 || !aml_integer(aml, end, &at, &va))
		return false;
	if (count == 1) {
		vb = va >> 8;
	} else if (!aml_integer(aml, end, &at, &vb)) {
		return false;
	}
	*a = va & 7;
	*b = vb & 7;
	return true;
}

bool acpi_aml_find_s5(const uint8_t *aml, uint32_t len, uint8_t *slp_typa, uint8_t *slp_typb)
{
	for (uint32_t i = 1; len >= 4 && i <= len - 4; i++) {
		if (!sig_eq((const char *)aml + i, "_S5_", 4))
			continue;
		/* Only a declaration counts: NameOp, optionally the root prefix, then the name. */
		uint32_t op = i - 1;
		if (aml[op] == AML_ROOT_CHAR && op > 0)
			op--;
		if (aml[op] != AML_NAME)
			continue;
		if (aml_s5_package(aml, len, i + 4, slp_typa, slp_typb))
			return true;
	}
	return false;
}

/* \_S5_ from the DSDT, when the FADT named a valid one. A bad DSDT leaves power-off unavailable. */
static void parse_dsdt(struct parser *p)
{
	struct acpi_info *out = p->out;
	const struct acpi_sdt_header *h = out->dsdt_phys ? peek_header(p, out->dsdt_phys) : NULL;
	if (!h || !sig_eq(h->signature, "DSDT", 4))
		return;
	enum table_err err;
	const uint8_t *t = load_table(p, out->dsdt_phys, h, sizeof(*h), &err);
	if (!t) {
		out->bad_tables++;
		return;
	}
	uint32_t len = ((const struct acpi_sdt_header *)t)->length - sizeof(*h);
	out->have_s5 = acpi_aml_find_s5(t + sizeof(*h), len, &out->s5_slp_typa, &out->s5_slp_typb);
}

int acpi_parse(uint64_t rsdp_phys, acpi_map_fn map, void *ctx, struct acpi_info *out,
	       const char **why)
{
	struct parser p = { .map = map, .ctx = ctx, .out = out };
	const char *ignored;
	uint64_t rsdt_phys, xsdt_phys;

	if (!why)
		why = &ignored;
	*why = NULL;
	*out = (struct acpi_info){ 0 };

	int rc = parse_rsdp(&p, rsdp_phys, &rsdt_phys, &xsdt_phys, why);
	if (rc)
		return rc;
	unsigned int entry_size;
	const struct acpi_sdt_header *root = find_root(&p, rsdt_phys, xsdt_phys, &entry_size, why);
	if (!root)
		return ACPI_ERR_ROOT;
	*why = NULL;

	const uint8_t *ent = (const uint8_t *)root + sizeof(*root);
	uint32_t nent = (root->length - sizeof(*root)) / entry_size;
	bool have[NKINDS] = { false }, bad_madt = false;
	/* The first parser's complaint is kept; parsing goes on past it. */
	int parse_rc = ACPI_OK;
	const char *parse_why = NULL;

	for (uint32_t i = 0; i < nent; i++) {
		uint64_t phys = rd_le(ent + (size_t)i * entry_size, entry_size);
		if (phys == 0)
			continue;       /* seen on real firmware; harmless */
		const struct acpi_sdt_header *h = peek_header(&p, phys);
		if (!h) {
			out->bad_tables++;
			continue;
		}
		int k = wanted_kind(h, have);
		if (k < 0)
			continue;
		enum table_err err;
		const void *t = load_table(&p, phys, h, table_kinds[k].min_len, &err);
		if (!t) {
			bad_madt |= k == KIND_MADT;
			out->bad_tables++;
			continue;
		}
		have[k] = true;
		const char *kind_why = NULL;
		int kind_rc = table_kinds[k].parse(t, out, &kind_why);
		if (kind_rc && !parse_rc) {
			parse_rc = kind_rc;
			parse_why = kind_why;
		}
	}

	parse_dsdt(&p);

	if (!have[KIND_MADT]) {
		*why = bad_madt ? "MADT failed validation (length or checksum)" : "no MADT (APIC) table";
		return ACPI_ERR_NO_MADT;
	}
	if (parse_rc)
		*why = parse_why;
	return parse_rc;
}
