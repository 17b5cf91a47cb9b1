// SPDX-License-Identifier: MIT
// Host tests of kernel/acpi/acpi.c on synthetic firmware tables in a fake physical memory.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "kernel/acpi/acpi.h"
#include "tests/host/htest.h"

/*
 * Tables are laid out with raw byte offsets from the ACPI spec rather than
 * the parser's structs, so a wrong offset in acpi.c cannot hide in both.
 */
#define MEM_SIZE  0x8000u
#define RSDP_AT   0x0040u
#define XSDT_AT   0x0100u
#define RSDT_AT   0x0200u
#define MADT_AT   0x1000u /* room for 300 x2APIC entries */
#define FADT_AT   0x4000u
#define HPET_AT   0x4200u
#define EXTRA_AT  0x4400u /* a spare spot for a second table */
#define DSDT_AT   0x5000u
#define HDR_LEN   36u
#define MAX_ROOT  16

struct fw {
	uint8_t mem[MEM_SIZE];
	uint8_t rsdp_rev;
	uint32_t madt_len, fadt_len;
	uint64_t xsdt_ents[MAX_ROOT], rsdt_ents[MAX_ROOT];
	int nxsdt, nrsdt;
	uint64_t xsdt_at, rsdt_at;  /* RSDP fields; 0 to leave a root out */
};

static struct fw fw;
static struct acpi_info info;

static void put8(uint64_t at, uint8_t v)
{
	fw.mem[at] = v;
}

static void put32(uint64_t at, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		fw.mem[at + i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint64_t at, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		fw.mem[at + i] = (uint8_t)(v >> (8 * i));
}

static void put16(uint64_t at, uint16_t v)
{
	fw.mem[at] = (uint8_t)v;
	fw.mem[at + 1] = (uint8_t)(v >> 8);
}

static uint32_t get32(uint64_t at)
{
	return fw.mem[at] | fw.mem[at + 1] << 8 | fw.mem[at + 2] << 16 | (uint32_t)fw.mem[at + 3] << 24;
}

/* Set the byte at @at so that the @len bytes from @base sum to zero. */
static void fix_sum(uint64_t base, uint32_t len, uint64_t at)
{
	uint8_t s = 0;
	fw.mem[at] = 0;
	for (uint32_t i = 0; i < len; i++)
		s += fw.mem[base + i];
	fw.mem[at] = (uint8_t)-s;
}

static void header(uint64_t at, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(&fw.mem[at], sig, 4);
	put32(at + 4, len);
	put8(at + 8, rev);
	memcpy(&fw.mem[at + 10], "QUILT ", 6);
}

/* Recompute a table's checksum from its own length field. */
static void fix_table(uint64_t at)
{
	fix_sum(at, get32(at + 4), at + 9);
}

static void add_table(uint64_t at)
{
	fw.xsdt_ents[fw.nxsdt++] = at;
	fw.rsdt_ents[fw.nrsdt++] = at;
}

/*
 * A typical machine: RSDP of revision @rev, an empty MADT (revision 5,
 * LAPIC at 0xfee00000, PC-AT compatible), an ACPI 1.0 FADT without a PM
 * timer and an HPET, listed in that order by both XSDT (rev >= 2) and RSDT.
 */
static void fw_init(uint8_t rev)
{
	memset(&fw, 0, sizeof(fw));
	fw.rsdp_rev = rev;
	fw.xsdt_at = rev >= 2 ? XSDT_AT : 0;
	fw.rsdt_at = RSDT_AT;
	fw.madt_len = 44;
	header(MADT_AT, "APIC", 0, 5);
	put32(MADT_AT + 36, 0xfee00000);
	put32(MADT_AT + 40, 1);
	fw.fadt_len = 116;
	header(FADT_AT, "FACP", 0, 1);
	header(HPET_AT, "HPET", 56, 1);
	put8(HPET_AT + 40, 0);                  /* system memory */
	put64(HPET_AT + 44, 0xfed00000);
	add_table(MADT_AT);
	add_table(FADT_AT);
	add_table(HPET_AT);
}

static void madt_add(const uint8_t *e)
{
	memcpy(&fw.mem[MADT_AT + fw.madt_len], e, e[1] ? e[1] : 2);
	fw.madt_len += e[1] ? e[1] : 2;
}

static void madt_lapic(uint8_t uid, uint8_t apic_id, uint32_t flags)
{
	uint8_t e[8] = { 0, 8, uid, apic_id };
	memcpy(&e[4], &flags, 4);
	madt_add(e);
}

static void madt_x2apic(uint32_t apic_id, uint32_t uid, uint32_t flags)
{
	uint8_t e[16] = { 9, 16 };
	memcpy(&e[4], &apic_id, 4);
	memcpy(&e[8], &flags, 4);
	memcpy(&e[12], &uid, 4);
	madt_add(e);
}

static void madt_ioapic(uint8_t id, uint32_t addr, uint32_t gsi_base)
{
	uint8_t e[12] = { 1, 12, id };
	memcpy(&e[4], &addr, 4);
	memcpy(&e[8], &gsi_base, 4);
	madt_add(e);
}

static void madt_iso(uint8_t bus, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	uint8_t e[10] = { 2, 10, bus, irq };
	memcpy(&e[4], &gsi, 4);
	memcpy(&e[8], &flags, 2);
	madt_add(e);
}

/* Lay out the roots and RSDP and make every checksum right. */
static void fw_finish(void)
{
	put32(MADT_AT + 4, fw.madt_len);
	fix_table(MADT_AT);
	put32(FADT_AT + 4, fw.fadt_len);
	fix_table(FADT_AT);
	fix_table(HPET_AT);

	header(XSDT_AT, "XSDT", HDR_LEN + 8 * fw.nxsdt, 1);
	for (int i = 0; i < fw.nxsdt; i++)
		put64(XSDT_AT + HDR_LEN + 8 * i, fw.xsdt_ents[i]);
	fix_table(XSDT_AT);
	header(RSDT_AT, "RSDT", HDR_LEN + 4 * fw.nrsdt, 1);
	for (int i = 0; i < fw.nrsdt; i++)
		put32(RSDT_AT + HDR_LEN + 4 * i, (uint32_t)fw.rsdt_ents[i]);
	fix_table(RSDT_AT);

	memcpy(&fw.mem[RSDP_AT], "RSD PTR ", 8);
	memcpy(&fw.mem[RSDP_AT + 9], "QUILT ", 6);
	put8(RSDP_AT + 15, fw.rsdp_rev);
	put32(RSDP_AT + 16, (uint32_t)fw.rsdt_at);
	if (fw.rsdp_rev >= 2) {
		put32(RSDP_AT + 20, 36);
		put64(RSDP_AT + 24, fw.xsdt_at);
	}
	fix_sum(RSDP_AT, 20, RSDP_AT + 8);
	if (fw.rsdp_rev >= 2)
		fix_sum(RSDP_AT, 36, RSDP_AT + 32);
}

/*
 * Each mapping is a fresh heap copy of exactly the requested range, so
 * AddressSanitizer flags any read past what the parser asked to map.
 */
struct fake_mem {
	void *copies[1024];
	int n;
};

static const void *fake_map(uint64_t phys, uint64_t len, void *ctx)
{
	struct fake_mem *f = ctx;
	if (phys >= MEM_SIZE || len > MEM_SIZE - phys || f->n == 1024)
		return NULL;
	void *c = malloc(len ? len : 1);
	memcpy(c, &fw.mem[phys], len);
	f->copies[f->n++] = c;
	return c;
}

static int parse_at(uint64_t rsdp, const char **why)
{
	static struct fake_mem f;
	f.n = 0;
	int rc = acpi_parse(rsdp, fake_map, &f, &info, why);
	for (int i = 0; i < f.n; i++)
		free(f.copies[i]);
	return rc;
}

static int parse(const char **why)
{
	return parse_at(RSDP_AT, why);
}

HTEST(acpi, rsdp_v0_rsdt)
{
	const char *why = "unset";
	fw_init(0);
	madt_lapic(0, 0, 1);
	madt_lapic(1, 1, 1);
	fw_finish();
	HEXPECT_EQ(parse(&why), ACPI_OK);
	HEXPECT(why == NULL);
	HEXPECT_EQ(info.revision, 0);
	HEXPECT(!info.used_xsdt);
	HEXPECT_EQ(info.ncpus, 2);
	HEXPECT_EQ(info.lapic_address, 0xfee00000);
	HEXPECT(info.pcat_compat);
	HEXPECT_EQ(info.hpet_address, 0xfed00000);
	HEXPECT_EQ(info.bad_tables, 0);
}

HTEST(acpi, rsdp_v2_uses_xsdt)
{
	const char *why;
	fw_init(2);
	madt_lapic(0, 0, 1);
	fw.nrsdt = 0;                   /* parsing the RSDT would find no MADT */
	fw_finish();
	HEXPECT_EQ(parse(&why), ACPI_OK);
	HEXPECT_EQ(info.revision, 2);
	HEXPECT(info.used_xsdt);
	HEXPECT_EQ(info.ncpus, 1);

	/* Revision 2 with a zero XSDT address falls back to the RSDT. */
	fw_init(2);
	madt_lapic(0, 0, 1);
	fw.xsdt_at = 0;
	fw_finish();
	HEXPECT_EQ(parse(&why), ACPI_OK);
	HEXPECT(!info.used_xsdt);
	HEXPECT_EQ(info.ncpus, 1);
}

HTEST(acpi, bad_rsdp)
{
	const char *why;
	fw_init(0);
	fw_finish();
	fw.mem[RSDP_AT + 3] = 'p';
	HEXPECT_EQ(parse(&why), ACPI_ERR_RSDP);
	HEXPECT_STREQ(why, "RSDP signature is not \"RSD PTR \"");

	fw_init(0);
	fw_finish();
	fw.mem[RSDP_AT + 8] ^= 1;
	HEXPECT_EQ(parse(&why), ACPI_ERR_RSDP);
	HEXPECT_STREQ(why, "RSDP checksum mismatch");
	HEXPECT_EQ(info.ncpus, 0);

	HEXPECT_EQ(parse_at(0, &why), ACPI_ERR_RSDP);
	HEXPECT_STREQ(why, "RSDP address is zero");
	HEXPECT_EQ(parse_at(MEM_SIZE - 10, &why), ACPI_ERR_RSDP);
	HEXPECT_STREQ(why, "RSDP cannot be mapped");
}

HTEST(acpi, bad_rsdp_extended_checksum)
{
	const char *why;
	fw_init(2);
	fw_finish();
	fw.mem[RSDP_AT + 33]++;         /* a reserved byte: only the extended checksum covers it */
	HEXPECT_EQ(parse(&why), ACPI_ERR_RSDP);
	HEXPECT_STREQ(why, "RSDP extended checksum mismatch");

	/* A revision 0 RSDP has no extended part to check. */
	fw_init(0);
	fw_finish();
	fw.mem[RSDP_AT + 33]++;
	HEXPECT_EQ(parse(&why), ACPI_OK);
}

HTEST(acpi, bad_root_table)
{
	const char *why;
	fw_init(0);
	fw_finish();
	fw.mem[RSDT_AT + 9] ^= 0x80;
	HEXPECT_EQ(parse(&why), ACPI_ERR_ROOT);
	HEXPECT_STREQ(why, "RSDT checksum mismatch");
	HEXPECT_EQ(info.ncpus, 0);

	fw_init(0);
	fw_finish();
	fw.mem[RSDT_AT] = 'X';
	HEXPECT_EQ(parse(&why), ACPI_ERR_ROOT);
	HEXPECT_STREQ(why, "RSDT signature is not \"RSDT\"");

	/* A length below the header size must not underflow the entry count. */
	fw_init(0);
	fw_finish();
	put32(RSDT_AT + 4, 20);
	fix_sum(RSDT_AT, 20, RSDT_AT + 9);
	HEXPECT_EQ(parse(&why), ACPI_ERR_ROOT);
	HEXPECT_STREQ(why, "RSDT length out of range");

	fw_init(0);
	fw.rsdt_at = MEM_SIZE + 0x1000;
	fw_finish();
	HEXPECT_EQ(parse(&why), ACPI_ERR_ROOT);
	HEXPECT_STREQ(why, "RSDT cannot be mapped");
}

HTEST(acpi, bad_xsdt_falls_back_to_rsdt)
{
	const char *why;
	fw_init(2);
	madt_lapic(0, 0, 1);
	fw_finish();
	fw.mem[XSDT_AT + 9]++;
	HEXPECT_EQ(parse(&why), ACPI_OK);
	HEXPECT(!info.used_xsdt);
	HEXPECT_EQ(info.ncpus, 1);

	/* With no RSDT to fall back on, the XSDT's failure is reported. */
	fw_init(2);
	fw.rsdt_at = 0;
	fw_finish();
	fw.mem[XSDT_AT + 9]++;
	HEXPECT_EQ(parse(&why), ACPI_ERR_ROOT);
	HEXPECT_STREQ(why, "XSDT checksum mismatch");
}

HTEST(acpi, bad_madt_checksum)
{
	const char *why;
	fw_init(2);
	madt_lapic(0, 0, 1);
	fw_finish();
	fw.mem[MADT_AT + 44 + 3] ^= 1;  /* flip an APIC ID bit */
	HEXPECT_EQ(parse(&why), ACPI_ERR_NO_MADT);
	HEXPECT_STREQ(why, "MADT failed validation (length or checksum)");
	HEXPECT_EQ(info.ncpus, 0);
	HEXPECT_EQ(info.bad_tables, 1);
	/* The other tables are still parsed. */
	HEXPECT_EQ(info.hpet_address, 0xfed00000);
}

HTEST(acpi, bad_madt_then_good_one)
{
	const char *why;
	fw_init(2);
	madt_lapic(0, 0, 1);
	fw_finish();
	/* A good copy listed after the original, which is then corrupted. */
	memcpy(&fw.mem[EXTRA_AT], &fw.mem[MADT_AT], fw.madt_len);
	fw.xsdt_ents[fw.nxsdt++] = EXTRA_AT;
	fw_finish();
	fw.mem[MADT_AT + 20]++;
	HEXPECT_EQ(parse(&why), ACPI_OK);
	HEXPECT_EQ(info.ncpus, 1);
	HEXPECT_EQ(info.bad_tables, 1);
}

HTEST(acpi, missing_madt_and_odd_entries)
{
	const char *why;
	fw_init(2);
	fw.nxsdt = 0;
	fw.xsdt_ents[fw.nxsdt++] = 0;                     /* null entry: ignored */
	fw.xsdt_ents[fw.nxsdt++] = MEM_SIZE + 0x100;      /* unmappable: counted */
	fw.xsdt_ents[fw.nxsdt++] = FADT_AT;
	fw_finish();
	HEXPECT_EQ(parse(&why), ACPI_ERR_NO_MADT);
	HEXPECT_STREQ(why, "no MADT (APIC) table");
	HEXPECT_EQ(info.bad_tables, 1);
	HEXPECT_EQ(info.ncpus, 0);
}

HTEST(acpi, madt_oversized_length)
{
	const char *why;
	fw_init(2);
	madt_lapic(0, 0, 1);
	fw_finish();
	/* 2 MiB: rejected before the parser tries to map (or sum) it. */
	put32(MADT_AT + 4, 2u << 20);
	HEXPECT_EQ(parse(&why), ACPI_ERR_NO_MADT);
	HEXPECT_EQ(info.bad_tables, 1);

	fw_init(2);
	fw_finish();
	put32(MADT_AT + 4, 40);         /* shorter than the MADT's fixed part */
	fix_table(MADT_AT);
	HEXPECT_EQ(parse(&why), ACPI_ERR_NO_MADT);
	HEXPECT_EQ(info.bad_tables, 1);
}

HTEST(acpi, madt_xapic_and_x2apic)
{
	const char *why;
	fw_init(2);
	put32(MADT_AT + 40, 0);         /* no 8259s */
	madt_lapic(0, 0, 1);
	madt_lapic(7, 2, 1);
	madt_x2apic(300, 42, 1);
	madt_lapic(9, 0xff, 1);         /* broadcast ID: not a CPU */
	madt_x2apic(0xffffffff, 43, 1);
	fw_finish();
	HEXPECT_EQ(parse(&why), ACPI_OK);
	HEXPECT(!info.pcat_compat);
	HEXPECT_EQ(info.ncpus, 3);
	HEXPECT_EQ(info.cpus[0].apic_id, 0);
	HEXPECT_EQ(info.cpus[1].apic_id, 2);
	HEXPECT_EQ(info.cpus[1].acpi_uid, 7);
	HEXPECT(!info.cpus[1].x2apic_entry);
	HEXPECT_EQ(info.cpus[2].apic_id, 300);
	HEXPECT_EQ(info.cpus[2].acpi_uid, 42);
	HEXPECT(info.cpus[2].x2apic_entry);
	HEXPECT(info.cpus[2].enabled);
}

HTEST(acpi, madt_duplicate_apic_ids_merge)
{
	const char *why;
	fw_init(2);
	madt_lapic(1, 3, 0);            /* listed disabled as xAPIC ... */
	madt_x2apic(3, 1, 1);           /* ... and enabled as x2APIC */
	fw_finish();
	HEXPECT_EQ(parse(&why), ACPI_OK);
	HEXPECT_EQ(info.ncpus, 1);
	HEXPECT(info.cpus[0].enabled);
	HEXPECT(!info.cpus[0].x2apic_entry);
}

HTEST(acpi, madt_disabled_and_online_capable)
{
	const char *why;
	fw_init(2);
	madt_lapic(0, 0, 1);
	madt_lapic(1, 1, 0);            /* absent: recorded, not usable */
	madt_lapic(2, 2, 2);            /* online capable */
	madt_x2apic(3, 3, 2);
	fw_finish();
	HEXPECT_EQ(parse(&why), ACPI_OK);
	HEXPECT_EQ(info.ncpus, 4);
	HEXPECT(info.cpus[0].enabled && !info.cpus[0].online_capable);
	HEXPECT(!info.cpus[1].enabled && !info.cpus[1].online_capable);
	HEXPECT(!info.cpus[2].enabled && info.cpus[2].online_capable);
	HEXPECT(!info.cpus[3].enabled && info.cpus[3].online_capable);

	/* Before MADT revision 5 bit 1 was reserved and is ignored. */
	fw_init(2);
	put8(MADT_AT + 8, 4);
	madt_lapic(2, 2, 2);
	fw_finish();
	HEXPECT_EQ(parse(&why), ACPI_OK);
	HEXPECT_EQ(info.ncpus, 1);
	HEXPECT(!info.cpus[0].enabled && !info.cpus[0].online_capable);
}

HTEST(acpi, madt_ioapics_and_overrides)
{
	const char *why;
	fw_init(2);
	madt_lapic(0, 0, 1);
	madt_ioapic(2, 0xfec00000, 0);
	madt_ioapic(3, 0xfec01000, 24);
	madt_iso(0, 0, 2, 0);
	madt_iso(0, 9, 9, 0x000d);      /* SCI: level, active high */
	for (int i = 0; i < 20; i++)    /* 22 I/O APICs: 6 over the cap */
		madt_ioapic((uint8_t)(10 + i), 0xfec10000 + 0x1000 * i, 48 + 24 * i);
	fw_finish();
	HEXPECT_EQ(parse(&why), ACPI_OK);
	HEXPECT_EQ(info.nioapics, ACPI_MAX_IOAPICS);
	HEXPECT_EQ(info.ioapics_dropped, 22 - ACPI_MAX_IOAPICS);
	HEXPECT_EQ(info.ioapics[0].id, 2);
	HEXPECT_EQ(info.ioapics[0].address, 0xfec00000);
	HEXPECT_EQ(info.ioapics[1].id, 3);
	HEXPECT_EQ(info.ioapics[1].gsi_base, 24);
	HEXPECT_EQ(info.noverrides, 2);
	HEXPECT_EQ(info.overrides[0].source_irq, 0);
	HEXPECT_EQ(info.overrides[0].gsi, 2);
	HEXPECT_EQ(info.overrides[1].bus, 0);
	HEXPECT_EQ(info.overrides[1].source_irq, 9);
	HEXPECT_EQ(info.overrides[1].gsi, 9);
	HEXPECT_EQ(info.overrides[1].flags, 0x000d);
}

HTEST(acpi, madt_lapic_address_override)
{
	const char *why;
	uint8_t e[12] = { 5, 12 };
	uint64_t addr = 0x1234fee00000ull;
	fw_init(2);
	madt_lapic(0, 0, 1);
	memcpy(&e[4], &addr, 8);
	madt_add(e);
	fw_finish();
	HEXPECT_EQ(parse(&why), ACPI_OK);
	HEXPECT_EQ(info.lapic_address, addr);
}

HTEST(acpi, madt_zero_length_entry)
{
	const char *why;
	uint8_t zero[2] = { 0, 0 };
	fw_init(2);
	madt_lapic(0, 0, 1);
	madt_add(zero);
	madt_lapic(1, 1, 1);            /* unreachable after the broken link */
	fw_finish();
	HEXPECT_EQ(parse(&why), ACPI_ERR_MADT_ENTRY);
	HEXPECT_STREQ(why, "MADT entry with length below 2");
	HEXPECT_EQ(info.ncpus, 1);
	HEXPECT_EQ(info.cpus[0].apic_id, 0);
	/* The HPET comes after the MADT in the XSDT and is still parsed. */
	HEXPECT_EQ(info.hpet_address, 0xfed00000);
}

HTEST(acpi, madt_entry_past_end)
{
	const char *why;
	fw_init(2);
	madt_lapic(0, 0, 1);
	madt_lapic(1, 1, 1);
	fw.madt_len -= 2;               /* the table now ends inside the last entry */
	fw_finish();
	HEXPECT_EQ(parse(&why), ACPI_ERR_MADT_ENTRY);
	HEXPECT_STREQ(why, "MADT entry runs past the end of the table");
	HEXPECT_EQ(info.ncpus, 1);

	/* A single trailing byte cannot even hold an entry header. */
	fw_init(2);
	madt_lapic(0, 0, 1);
	fw.madt_len += 1;
	fw_finish();
	HEXPECT_EQ(parse(&why), ACPI_ERR_MADT_ENTRY);
	HEXPECT_STREQ(why, "MADT ends inside an entry header");
	HEXPECT_EQ(info.ncpus, 1);
}

HTEST(acpi, madt_short_entry_skipped)
{
	const char *why;
	uint8_t short_lapic[6] = { 0, 6, 5, 5, 1, 0 };
	fw_init(2);
	madt_add(short_lapic);
	madt_lapic(1, 1, 1);            /* still found: the length chain is intact */
	fw_finish();
	HEXPECT_EQ(parse(&why), ACPI_ERR_MADT_ENTRY);
	HEXPECT_STREQ(why, "MADT entry too short for its type (skipped)");
	HEXPECT_EQ(info.ncpus, 1);
	HEXPECT_EQ(info.cpus[0].apic_id, 1);
}

HTEST(acpi, madt_cpu_cap)
{
	const char *why;
	fw_init(2);
	for (uint32_t i = 0; i < 300; i++)
		madt_x2apic(i, i, 1);
	fw_finish();
	HEXPECT_EQ(parse(&why), ACPI_OK);
	HEXPECT_EQ(info.ncpus, ACPI_MAX_CPUS);
	HEXPECT_EQ(info.cpus_dropped, 300 - ACPI_MAX_CPUS);
	HEXPECT_EQ(info.cpus[ACPI_MAX_CPUS - 1].apic_id, ACPI_MAX_CPUS - 1);
}

HTEST(acpi, fadt_legacy_pm_timer_24bit)
{
	const char *why;
	fw_init(0);                     /* ACPI 1.0: 116-byte FADT */
	madt_lapic(0, 0, 1);
	put32(FADT_AT + 76, 0x608);     /* PM_TMR_BLK */
	put8(FADT_AT + 91, 4);          /* PM_TMR_LEN */
	put8(FADT_AT + 108, 0x32);      /* CENTURY */
	put32(FADT_AT + 112, 0);        /* no TMR_VAL_EXT */
	fw_finish();
	HEXPECT_EQ(parse(&why), ACPI_OK);
	HEXPECT_EQ(info.pm_timer_port, 0x608);
	HEXPECT(!info.pm_timer_32bit);
	HEXPECT_EQ(info.century_reg, 0x32);

	/* Flags and CENTURY beyond a truncated FADT are absent; a bogus CMOS index is dropped. */
	fw_init(0);
	madt_lapic(0, 0, 1);
	put32(FADT_AT + 76, 0x608);
	put8(FADT_AT + 108, 0x32);
	put32(FADT_AT + 112, 1u << 8);
	fw.fadt_len = 108;
	fw_finish();
	HEXPECT_EQ(parse(&why), ACPI_OK);
	HEXPECT_EQ(info.pm_timer_port, 0x608);
	HEXPECT(!info.pm_timer_32bit);
	HEXPECT_EQ(info.century_reg, 0);

	fw_init(0);
	madt_lapic(0, 0, 1);
	put8(FADT_AT + 108, 0x09);      /* the RTC's year register */
	fw_finish();
	HEXPECT_EQ(parse(&why), ACPI_OK);
	HEXPECT_EQ(info.century_reg, 0);
	HEXPECT_EQ(info.pm_timer_port, 0);
}

HTEST(acpi, fadt_x_pm_timer_32bit)
{
	const char *why;
	fw_init(2);
	madt_lapic(0, 0, 1);
	fw.fadt_len = 276;              /* ACPI 6.x FADT */
	put8(FADT_AT + 8, 6);
	put32(FADT_AT + 76, 0x608);     /* superseded by the X_ field */
	put32(FADT_AT + 112, 1u << 8);  /* TMR_VAL_EXT */
	put8(FADT_AT + 208, 1);         /* X_PM_TMR_BLK: system I/O ... */
	put8(FADT_AT + 209, 32);
	put64(FADT_AT + 212, 0xb008);   /* ... port 0xb008 */
	fw_finish();
	HEXPECT_EQ(parse(&why), ACPI_OK);
	HEXPECT_EQ(info.pm_timer_port, 0xb008);
	HEXPECT(info.pm_timer_32bit);

	/* An X_ block in memory space: no usable port-based timer. */
	put8(FADT_AT + 208, 0);
	put64(FADT_AT + 212, 0xfed80000);
	fix_table(FADT_AT);
	HEXPECT_EQ(parse(&why), ACPI_OK);
	HEXPECT_EQ(info.pm_timer_port, 0);
	HEXPECT(!info.pm_timer_32bit);

	/* A zero X_ address leaves the legacy field in charge. */
	put64(FADT_AT + 212, 0);
	fix_table(FADT_AT);
	HEXPECT_EQ(parse(&why), ACPI_OK);
	HEXPECT_EQ(info.pm_timer_port, 0x608);
	HEXPECT(info.pm_timer_32bit);
}

HTEST(acpi, hpet_address)
{
	const char *why;
	fw_init(2);
	madt_lapic(0, 0, 1);
	put64(HPET_AT + 44, 0xfed01000);
	fw_finish();
	HEXPECT_EQ(parse(&why), ACPI_OK);
	HEXPECT_EQ(info.hpet_address, 0xfed01000);

	/* Too short to hold the base address: skipped. */
	put32(HPET_AT + 4, 48);
	fix_table(HPET_AT);
	HEXPECT_EQ(parse(&why), ACPI_OK);
	HEXPECT_EQ(info.hpet_address, 0);
	HEXPECT_EQ(info.bad_tables, 1);

	/* No HPET table at all. */
	fw_init(2);
	madt_lapic(0, 0, 1);
	fw.nxsdt = 2;
	fw_finish();
	HEXPECT_EQ(parse(&why), ACPI_OK);
	HEXPECT_EQ(info.hpet_address, 0);
	HEXPECT_EQ(info.bad_tables, 0);
}

/* A DSDT whose body is @aml (@len bytes), named by the FADT's 32-bit DSDT field. */
static void dsdt(const uint8_t *aml, uint32_t len)
{
	header(DSDT_AT, "DSDT", HDR_LEN + len, 2);
	memcpy(&fw.mem[DSDT_AT + HDR_LEN], aml, len);
	fix_table(DSDT_AT);
	put32(FADT_AT + 40, DSDT_AT);
}

HTEST(acpi, fadt_power_fields)
{
	const char *why;
	fw_init(2);
	madt_lapic(0, 0, 1);
	fw.fadt_len = 244;              /* ACPI 2.0 FADT, revision 3 */
	put8(FADT_AT + 8, 3);
	put32(FADT_AT + 48, 0xb2);      /* SMI_CMD */
	put8(FADT_AT + 52, 0xf1);       /* ACPI_ENABLE */
	put32(FADT_AT + 64, 0x604);     /* PM1a_CNT_BLK */
	put16(FADT_AT + 109, 1u << 1); /* IAPC_BOOT_ARCH: 8042 */
	put32(FADT_AT + 112, 1u << 10); /* RESET_REG_SUP */
	put8(FADT_AT + 116, 1);         /* RESET_REG: system I/O ... */
	put8(FADT_AT + 117, 8);
	put64(FADT_AT + 120, 0xcf9);    /* ... port 0xcf9 */
	put8(FADT_AT + 128, 0x06);      /* RESET_VALUE */
	fw_finish();
	HEXPECT_EQ(parse(&why), ACPI_OK);
	HEXPECT(info.have_fadt);
	HEXPECT(!info.no_i8042);
	HEXPECT_EQ(info.smi_cmd, 0xb2);
	HEXPECT_EQ(info.acpi_enable, 0xf1);
	HEXPECT_EQ(info.pm1a_cnt, 0x604);
	HEXPECT_EQ(info.pm1b_cnt, 0);
	HEXPECT(info.reset_supported);
	HEXPECT_EQ(info.reset_space, ACPI_SPACE_IO);
	HEXPECT_EQ(info.reset_address, 0xcf9);
	HEXPECT_EQ(info.reset_value, 6);
	HEXPECT(!info.have_s5);          /* no DSDT */

	/* The 8042 bit clear: no controller. RESET_REG_SUP clear: no reset register. */
	put16(FADT_AT + 109, 0);
	put32(FADT_AT + 112, 0);
	fix_table(FADT_AT);
	HEXPECT_EQ(parse(&why), ACPI_OK);
	HEXPECT(info.no_i8042);
	HEXPECT(!info.reset_supported);

	/* Before revision 3 the boot flags are reserved: an 8042 is assumed. */
	put8(FADT_AT + 8, 2);
	fix_table(FADT_AT);
	HEXPECT_EQ(parse(&why), ACPI_OK);
	HEXPECT(!info.no_i8042);

	/* X_PM1a_CNT_BLK supersedes the 32-bit field. */
	put8(FADT_AT + 172, 1);
	put64(FADT_AT + 176, 0xb004);
	fix_table(FADT_AT);
	HEXPECT_EQ(parse(&why), ACPI_OK);
	HEXPECT_EQ(info.pm1a_cnt, 0xb004);
}

HTEST(acpi, dsdt_s5_found)
{
	const char *why;
	/* Scope (\) { Name (_S5_, Package (4) { 5, Zero, Zero, Zero }) } as iasl emits it, after noise. */
	static const uint8_t aml[] = { 0x10, 0x05, '_', 'S', '5', '_', /* a Scope named _S5_: not a Name */
				       0x08, '_', 'S', '4', '_', 0x12, 0x06, 0x04, 0x0a, 0x06, 0x00, 0x00, 0x00,
				       0x08, '\\', '_', 'S', '5', '_', 0x12, 0x07, 0x04, 0x0a, 0x05, 0x00, 0x00,
				       0x00 };
	fw_init(2);
	madt_lapic(0, 0, 1);
	dsdt(aml, sizeof(aml));
	fw_finish();
	HEXPECT_EQ(parse(&why), ACPI_OK);
	HEXPECT_EQ(info.dsdt_phys, DSDT_AT);
	HEXPECT(info.have_s5);
	HEXPECT_EQ(info.s5_slp_typa, 5);
	HEXPECT_EQ(info.s5_slp_typb, 0);

	/* A bad DSDT checksum: no _S5_, one bad table, nothing else lost. */
	fw.mem[DSDT_AT + HDR_LEN + 1] ^= 1;
	HEXPECT_EQ(parse(&why), ACPI_OK);
	HEXPECT(!info.have_s5);
	HEXPECT_EQ(info.bad_tables, 1);
	HEXPECT_EQ(info.ncpus, 1);
}

HTEST(acpi, aml_s5_forms)
{
	uint8_t a = 9, b = 9;
	/* Words, One, and a multi-byte PkgLength (2 bytes: 0x40 | low nibble, then << 4). */
	static const uint8_t words[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x42, 0x01, 0x02, 0x0b, 0x07, 0x00, 0x01,
					 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	HEXPECT(acpi_aml_find_s5(words, sizeof(words), &a, &b));
	HEXPECT_EQ(a, 7);
	HEXPECT_EQ(b, 1);
	/* The packed one-element form: PM1a in bits 0-7, PM1b in 8-15. */
	static const uint8_t packed[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x01, 0x0b, 0x05, 0x06 };
	HEXPECT(acpi_aml_find_s5(packed, sizeof(packed), &a, &b));
	HEXPECT_EQ(a, 5);
	HEXPECT_EQ(b, 6);
	/* Truncated: the package runs past the stream, or its length past the element. */
	HEXPECT(!acpi_aml_find_s5(packed, sizeof(packed) - 2, &a, &b));
	static const uint8_t short_len[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x03, 0x02, 0x0a, 0x05, 0x0a, 0x05 };
	HEXPECT(!acpi_aml_find_s5(short_len, sizeof(short_len), &a, &b));
	/* A method call or string where an integer belongs. */
	static const uint8_t string[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0d, 'x', 0x00 };
	HEXPECT(!acpi_aml_find_s5(string, sizeof(string), &a, &b));
	/* The name at the very start (no room for NameOp) or end of the stream. */
	HEXPECT(!acpi_aml_find_s5((const uint8_t *)"_S5_", 4, &a, &b));
	HEXPECT(!acpi_aml_find_s5((const uint8_t *)"\x08_S5_", 5, &a, &b));
	HEXPECT(!acpi_aml_find_s5(NULL, 0, &a, &b));
}
