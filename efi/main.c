// SPDX-License-Identifier: MIT
// Quilt's EFI loader: reads the kernel, the root archive and the command line
// from the ESP, records the ACPI RSDP and framebuffer, builds the kernel's page
// tables, exits boot services and jumps to the kernel with a struct boot_info.
// This is the only directory where UEFI types appear.
#include <efi.h>

#include "efi/loader.h"
#include "kernel/boot_info.h"
#include "kernel/lib/elf.h"

#define KERNEL_PATH  L"\\quilt\\kernel.elf"
#define ARCHIVE_PATH L"\\quilt\\root.cpio"
#define CMDLINE_PATH L"\\quilt\\cmdline"

EFI_SYSTEM_TABLE *ST;
EFI_BOOT_SERVICES *BS;

static EFI_GUID loaded_image_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
static EFI_GUID fs_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
static EFI_GUID file_info_guid = EFI_FILE_INFO_ID;
static EFI_GUID gop_guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;
static EFI_GUID acpi20_guid = ACPI_20_TABLE_GUID;
static EFI_GUID acpi10_guid = ACPI_TABLE_GUID;

static int guid_eq(const EFI_GUID *a, const EFI_GUID *b)
{
	const uint8_t *x = (const void *)a, *y = (const void *)b;
	for (int i = 0; i < 16; i++)
		if (x[i] != y[i])
			return 0;
	return 1;
}

/* Allocate zeroed pages of one of our OS-loader memory types. */
static void *alloc_pages(uint64_t npages, uint32_t type, const char *what)
{
	EFI_PHYSICAL_ADDRESS addr = 0;
	EFI_STATUS st = BS->AllocatePages(AllocateAnyPages, (EFI_MEMORY_TYPE)type, npages, &addr);
	if (EFI_ERROR(st))
		die_status("cannot allocate memory for", what, st);
	memset((void *)addr, 0, npages * PAGE_SIZE);
	return (void *)addr;
}

/*
 * Read a whole file from the boot volume into fresh BOOT_EFI_TYPE_DATA pages
 * (or kernel-typed pages). Returns NULL with *status set when the file is
 * missing; any other failure is fatal.
 */
static void *read_file(EFI_FILE_PROTOCOL *root, CHAR16 *path, const char *name,
		       uint64_t *size_out, EFI_STATUS *status)
{
	EFI_FILE_PROTOCOL *file;
	EFI_STATUS st = root->Open(root, &file, path, EFI_FILE_MODE_READ, 0);
	*status = st;
	if (EFI_ERROR(st))
		return NULL;

	uint8_t info_buf[512];
	UINTN info_size = sizeof(info_buf);
	st = file->GetInfo(file, &file_info_guid, &info_size, info_buf);
	if (EFI_ERROR(st))
		die_status("cannot stat", name, st);
	uint64_t size = ((EFI_FILE_INFO *)info_buf)->FileSize;

	void *data = alloc_pages(size / PAGE_SIZE + 1, BOOT_EFI_TYPE_DATA, name);
	UINTN got = size;
	st = file->Read(file, &got, data);
	if (EFI_ERROR(st))
		die_status("cannot read", name, st);
	if (got != size)
		die("short read of", name);
	file->Close(file);
	*size_out = size;
	return data;
}

/* Copy the kernel's PT_LOAD segments into one physically contiguous block. */
static void load_kernel(struct boot_info *bi, const void *file, uint64_t size, struct elf_image *img)
{
	const char *why;
	if (elf_parse(file, size, BOOT_KERNEL_BASE, UINT64_MAX, img, &why) != 0)
		die("bad kernel image \\quilt\\kernel.elf:", why);

	uint64_t span = img->vaddr_max - img->vaddr_min;
	uint8_t *phys = alloc_pages(span / PAGE_SIZE, BOOT_EFI_TYPE_KERNEL, "the kernel image");
	for (uint16_t i = 0; i < img->ehdr->phnum; i++) {
		const struct elf64_phdr *p = &img->phdrs[i];
		if (p->type != ELF_PT_LOAD || p->memsz == 0)
			continue;
		/* alloc_pages zeroed the block, so .bss and page slack are already 0 */
		memcpy(phys + (p->vaddr - img->vaddr_min), (const uint8_t *)file + p->offset, p->filesz);
	}
	bi->kernel_phys = (uint64_t)phys;
	bi->kernel_size = span;
	bi->kernel_virt = img->vaddr_min;

	/* Symbols for the kernel's backtraces travel as loader data. */
	if (img->symtab_size && img->strtab_size) {
		uint8_t *sym = alloc_pages(img->symtab_size / PAGE_SIZE + 1, BOOT_EFI_TYPE_DATA, "symbols");
		uint8_t *str = alloc_pages(img->strtab_size / PAGE_SIZE + 1, BOOT_EFI_TYPE_DATA, "symbols");
		memcpy(sym, (const uint8_t *)file + img->symtab_off, img->symtab_size);
		memcpy(str, (const uint8_t *)file + img->strtab_off, img->strtab_size);
		bi->symtab = (uint64_t)sym;
		bi->symtab_size = img->symtab_size;
		bi->strtab = (uint64_t)str;
		bi->strtab_size = img->strtab_size;
	}
}

static void find_rsdp(struct boot_info *bi)
{
	uint64_t acpi1 = 0;
	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];
		if (guid_eq(&t->VendorGuid, &acpi20_guid)) {
			bi->rsdp = (uint64_t)t->VendorTable;
			return;
		}
		if (guid_eq(&t->VendorGuid, &acpi10_guid))
			acpi1 = (uint64_t)t->VendorTable;
	}
	/* An ACPI 1.0 RSDP still leads to an RSDT; the kernel copes with either. */
	bi->rsdp = acpi1;
	if (!acpi1)
		warn("no ACPI RSDP in the configuration table; the kernel will run on one CPU");
}

static void find_framebuffer(struct boot_info *bi)
{
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop;
	if (EFI_ERROR(BS->LocateProtocol(&gop_guid, NULL, (void **)&gop)) || !gop->Mode || !gop->Mode->Info)
		return; /* headless machines are fine */
	EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info = gop->Mode->Info;
	uint32_t format = 0;
	if (info->PixelFormat == PixelBlueGreenRedReserved8BitPerColor)
		format = 1;
	else if (info->PixelFormat == PixelRedGreenBlueReserved8BitPerColor)
		format = 2;
	if (!format)
		return; /* blt-only or bitmask modes: no linear framebuffer we can use */
	bi->fb.phys = gop->Mode->FrameBufferBase;
	bi->fb.size_bytes = gop->Mode->FrameBufferSize;
	bi->fb.width = info->HorizontalResolution;
	bi->fb.height = info->VerticalResolution;
	bi->fb.stride_pixels = info->PixelsPerScanLine;
	bi->fb.format = format;
}

static void copy_cmdline(struct boot_info *bi, const char *text, uint64_t size)
{
	uint64_t n = 0;
	for (uint64_t i = 0; i < size && n + 1 < BOOT_CMDLINE_MAX; i++) {
		char c = text[i];
		if (c == '\0')
			break;
		bi->cmdline[n++] = (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
	}
	while (n > 0 && bi->cmdline[n - 1] == ' ')
		n--;
	bi->cmdline[n] = '\0';
}

static int has_word(const char *line, const char *word)
{
	for (const char *p = line; *p;) {
		while (*p == ' ')
			p++;
		const char *w = word;
		const char *q = p;
		while (*w && *q == *w) {
			q++;
			w++;
		}
		if (!*w && (*q == ' ' || *q == '\0'))
			return 1;
		while (*p && *p != ' ')
			p++;
	}
	return 0;
}

static uint32_t convert_type(uint32_t efi_type)
{
	switch (efi_type) {
	case EfiConventionalMemory:
		return BOOT_MEM_USABLE;
	case EfiLoaderCode:
	case EfiBootServicesCode:
		return BOOT_MEM_BOOT_CODE; /* the kernel uses it last (kernel/mm/pmm.c: late ranges) */
	case EfiLoaderData: /* our own image and stack; nothing we hand over lives here */
	case EfiBootServicesData:
		return BOOT_MEM_BOOT_RECLAIM;
	case BOOT_EFI_TYPE_KERNEL:
		return BOOT_MEM_KERNEL;
	case BOOT_EFI_TYPE_DATA:
		return BOOT_MEM_LOADER_DATA;
	case EfiACPIReclaimMemory:
		return BOOT_MEM_ACPI_RECLAIM;
	case EfiACPIMemoryNVS:
		return BOOT_MEM_ACPI_NVS;
	case EfiRuntimeServicesCode:
	case EfiRuntimeServicesData:
		return BOOT_MEM_RUNTIME;
	case EfiMemoryMappedIO:
	case EfiMemoryMappedIOPortSpace:
		return BOOT_MEM_MMIO;
	case EfiUnusableMemory:
		return BOOT_MEM_BAD;
	default:
		return BOOT_MEM_RESERVED;
	}
}

/*
 * Get the final memory map and exit boot services. The map key goes stale
 * whenever anything allocates (even the firmware's own timers), so retry with
 * a fresh map a few times. No allocation happens between the GetMemoryMap
 * that succeeds and ExitBootServices.
 */
static void exit_boot_services(EFI_HANDLE image, uint8_t *map, UINTN map_cap, UINTN *map_size,
			       UINTN *desc_size)
{
	for (int attempt = 0; attempt < 8; attempt++) {
		UINTN key;
		UINT32 desc_version;
		*map_size = map_cap;
		EFI_STATUS st = BS->GetMemoryMap(map_size, (EFI_MEMORY_DESCRIPTOR *)map, &key, desc_size,
						 &desc_version);
		if (EFI_ERROR(st))
			die_status("cannot read the memory map:", "GetMemoryMap", st);
		st = BS->ExitBootServices(image, key);
		if (st == EFI_SUCCESS)
			return;
		if (st != EFI_INVALID_PARAMETER)
			die_status("cannot exit boot services:", "ExitBootServices", st);
	}
	die("cannot exit boot services:", "the memory map kept changing");
}

/* Convert and sort the EFI map into the kernel's format, merging neighbours. */
static uint64_t convert_map(const uint8_t *map, UINTN map_size, UINTN desc_size, struct boot_mem_entry *out,
			    uint64_t cap)
{
	uint64_t n = 0;
	for (UINTN off = 0; off + desc_size <= map_size && n < cap; off += desc_size) {
		const EFI_MEMORY_DESCRIPTOR *d = (const void *)(map + off);
		if (d->NumberOfPages == 0)
			continue;
		struct boot_mem_entry e = { d->PhysicalStart, d->NumberOfPages, convert_type(d->Type), 0 };
		/* insertion sort: the map is short and usually sorted already */
		uint64_t i = n;
		while (i > 0 && out[i - 1].base > e.base) {
			out[i] = out[i - 1];
			i--;
		}
		out[i] = e;
		n++;
	}
	uint64_t m = 0;
	for (uint64_t i = 0; i < n; i++) {
		if (m > 0 && out[m - 1].type == out[i].type &&
		    out[m - 1].base + out[m - 1].npages * PAGE_SIZE == out[i].base)
			out[m - 1].npages += out[i].npages;
		else
			out[m++] = out[i];
	}
	return m;
}

/* A fresh boot_info with what the system table tells about the firmware. */
static struct boot_info *new_boot_info(void)
{
	struct boot_info *bi = alloc_pages(1, BOOT_EFI_TYPE_DATA, "boot_info");
	_Static_assert(sizeof(struct boot_info) <= PAGE_SIZE, "boot_info fits a page");
	bi->magic = BOOT_INFO_MAGIC;
	bi->version = BOOT_INFO_VERSION;
	bi->size = sizeof(*bi);
	bi->runtime_services = (uint64_t)ST->RuntimeServices;
	bi->firmware_revision = ST->FirmwareRevision;
	if (ST->FirmwareVendor) {
		/* UCS-2 to ASCII: the kernel prints it, so anything else becomes '?'. */
		int i = 0;
		for (; ST->FirmwareVendor[i] && i < BOOT_VENDOR_MAX - 1; i++)
			bi->firmware_vendor[i] = ST->FirmwareVendor[i] < 0x80 ? (char)ST->FirmwareVendor[i] : '?';
		bi->firmware_vendor[i] = '\0';
	}
	return bi;
}

/* The root directory of the volume this loader was started from: its files live there. */
static EFI_FILE_PROTOCOL *open_boot_volume(EFI_HANDLE image)
{
	EFI_LOADED_IMAGE *li;
	EFI_STATUS st = BS->HandleProtocol(image, &loaded_image_guid, (void **)&li);
	if (EFI_ERROR(st))
		die_status("cannot find the boot volume:", "LoadedImage", st);
	EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *fs;
	st = BS->HandleProtocol(li->DeviceHandle, &fs_guid, (void **)&fs);
	if (EFI_ERROR(st))
		die_status("cannot open the boot volume:", "SimpleFileSystem", st);
	EFI_FILE_PROTOCOL *root;
	st = fs->OpenVolume(fs, &root);
	if (EFI_ERROR(st))
		die_status("cannot open the boot volume:", "OpenVolume", st);
	return root;
}

/*
 * Read \quilt\{cmdline,kernel.elf,root.cpio} into @bi and @kernel_file.
 * The command line comes first: it can ask for fast failure (the test harness
 * does), which must hold for the errors of the other two files.
 */
static void read_boot_files(EFI_FILE_PROTOCOL *root, struct boot_info *bi, void **kernel_file,
			    uint64_t *kernel_size)
{
	EFI_STATUS st;
	uint64_t cmdline_size, archive_size;
	void *cmdline = read_file(root, CMDLINE_PATH, "\\quilt\\cmdline", &cmdline_size, &st);
	if (cmdline)
		copy_cmdline(bi, cmdline, cmdline_size);
	else if (st != EFI_NOT_FOUND)
		die_status("cannot open", "\\quilt\\cmdline", st);
	loader_fail_fast = has_word(bi->cmdline, "loader_fail_fast");

	*kernel_file = read_file(root, KERNEL_PATH, "\\quilt\\kernel.elf", kernel_size, &st);
	if (!*kernel_file)
		die_status("cannot open", "\\quilt\\kernel.elf", st);
	void *archive = read_file(root, ARCHIVE_PATH, "\\quilt\\root.cpio", &archive_size, &st);
	if (!archive)
		die_status("cannot open the root archive", "\\quilt\\root.cpio", st);
	bi->archive = (uint64_t)archive;
	bi->archive_size = archive_size;
}

/* Where the firmware's map says memory (not MMIO) ends, at least 4 GiB. */
static uint64_t memory_end(const uint8_t *efi_map, UINTN map_size, UINTN desc_size)
{
	uint64_t phys_end = 0;
	for (UINTN off = 0; off + desc_size <= map_size; off += desc_size) {
		const EFI_MEMORY_DESCRIPTOR *d = (const void *)(efi_map + off);
		/* MMIO apertures can sit far above RAM; the kernel maps devices itself. */
		if (d->Type == EfiMemoryMappedIO || d->Type == EfiMemoryMappedIOPortSpace)
			continue;
		uint64_t end = d->PhysicalStart + d->NumberOfPages * PAGE_SIZE;
		if (end > phys_end)
			phys_end = end;
	}
	/* Local APIC, IOAPIC and HPET sit just below 4 GiB and are rarely in the map. */
	return phys_end < (4ULL << 30) ? 4ULL << 30 : phys_end;
}

/* Buffers for the firmware's memory map and for its conversion, sized before the last reading. */
struct map_buffers {
	uint8_t *efi_map;
	UINTN cap, size, desc_size;
	struct boot_mem_entry *entries;
	uint64_t entries_cap;
};

/*
 * Size the map buffers from a first look, with room for the entries our own
 * allocations add (these two and the page tables), then read the map once.
 */
static void read_memory_map(struct map_buffers *m)
{
	UINTN key;
	UINT32 desc_version;
	m->size = 0;
	BS->GetMemoryMap(&m->size, NULL, &key, &m->desc_size, &desc_version);
	m->cap = m->size + 64 * m->desc_size;
	m->efi_map = alloc_pages(m->cap / PAGE_SIZE + 1, BOOT_EFI_TYPE_DATA, "the memory map");
	m->entries_cap = m->cap / m->desc_size;
	m->entries = alloc_pages(m->entries_cap * sizeof(*m->entries) / PAGE_SIZE + 1, BOOT_EFI_TYPE_DATA,
				 "the memory map");
	m->size = m->cap;
	EFI_STATUS st = BS->GetMemoryMap(&m->size, (EFI_MEMORY_DESCRIPTOR *)m->efi_map, &key, &m->desc_size,
					 &desc_version);
	if (EFI_ERROR(st))
		die_status("cannot read the memory map:", "GetMemoryMap", st);
}

/* The loader's steps, in order; each reports its own failure and powers off. */
EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *system_table)
{
	ST = system_table;
	BS = system_table->BootServices;
	serial_init();
	BS->SetWatchdogTimer(0, 0, 0, NULL);

	struct boot_info *bi = new_boot_info();
	void *kernel_file;
	uint64_t kernel_size;
	read_boot_files(open_boot_volume(image), bi, &kernel_file, &kernel_size);

	struct elf_image img;
	load_kernel(bi, kernel_file, kernel_size, &img);
	find_rsdp(bi);
	find_framebuffer(bi);

	struct map_buffers map;
	read_memory_map(&map);
	uint64_t pml4 = paging_build(bi, &img, memory_end(map.efi_map, map.size, map.desc_size));
	/* img points into the file copy, so it is freed only now. */
	BS->FreePages((EFI_PHYSICAL_ADDRESS)kernel_file, kernel_size / PAGE_SIZE + 1);

	log_line("quilt-efi: kernel, archive and tables ready; exiting boot services");
	exit_boot_services(image, map.efi_map, map.cap, &map.size, &map.desc_size);
	/* From here on no boot service may be called: no allocation, no ConOut. */
	ST = NULL;

	bi->mem_map = (uint64_t)map.entries;
	bi->mem_map_count = convert_map(map.efi_map, map.size, map.desc_size, map.entries, map.entries_cap);
	bi->pml4 = pml4;

	enter_kernel(pml4, img.entry, BOOT_DIRECT_MAP_BASE + (uint64_t)bi);
	return EFI_LOAD_ERROR; /* not reached */
}
