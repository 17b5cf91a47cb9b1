// SPDX-License-Identifier: MIT
// xHCI host controller driver, as much of it as USB keyboards and mice need
// (xHCI specification 1.2): ownership from the firmware, reset, the command
// ring, one event ring, device slots for the devices on the root ports and on
// USB 2 hubs plugged into them (one tier), control transfers on endpoint 0
// and one interrupt IN endpoint per keyboard or mouse (and per hub, for its
// port changes). Keyboards and mice share one path (struct keyboard, a
// "mouse" flag): both are HID boot devices that differ only in what their
// reports mean.
//
// Completions: at boot every step polls for its own event. After boot one
// kernel thread, the USB thread, is the only consumer of the event rings:
// each controller's MSI handler only acknowledges the interrupt and wakes
// it, so no ring is ever touched from interrupt context and no lock is
// needed. The thread sleeps until an interrupt, so an idle controller costs
// nothing, and it also enumerates devices plugged in later and releases
// those unplugged (a port change is an event like any other). A controller
// without MSI (or a machine out of MSI vectors) falls back to polling every
// 10 ms, and only while a keyboard or mouse is attached, ending with the
// last one: none, no cost; hot-plug then works only while one is there.
//
// Robustness on real PCs' odd hardware: every wait on the controller has a
// time limit; a controller that fails a step is reported in one line and
// stopped, a device that fails one is reported and left alone. Memory the
// controller may still write (a device's contexts and rings after a failed
// command) is never freed.
//
// Locks: none. xhci_init() runs on the boot thread before the USB thread
// exists, and after that the USB thread alone touches controllers, devices
// and rings; the interrupt handler writes two acknowledge registers only.
#include "kernel/drivers/usb/xhci.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/arch.h"
#include "kernel/abi/errno.h"
#include "kernel/boot.h"
#include "kernel/drivers/input/input.h"
#include "kernel/drivers/pci/pci.h"
#include "kernel/drivers/usb/hid_kbd.h"
#include "kernel/drivers/usb/hid_mouse.h"
#include "kernel/drivers/usb/usb.h"
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"
#include "kernel/log/log.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/wait.h"
#include "kernel/time/time.h"

/* ---------------------------------------------------------------- registers (spec chapter 5) */

/* Capability registers, from the BAR's start. */
#define CAP_CAPLENGTH  0x00
#define CAP_HCSPARAMS1 0x04 /* MaxSlots 7:0, MaxPorts 31:24 */
#define CAP_HCSPARAMS2 0x08 /* scratchpad buffer count: 31:27 low bits, 25:21 high bits */
#define CAP_HCCPARAMS1 0x10 /* AC64 bit 0, CSZ bit 2, PPC bit 3, xECP 31:16 */
#define CAP_DBOFF      0x14
#define CAP_RTSOFF     0x18

#define HCC_AC64 (1u << 0) /* 64-bit DMA addresses */
#define HCC_CSZ  (1u << 2) /* contexts are 64 bytes, not 32 */
#define HCC_PPC  (1u << 3) /* ports have power switches */

/* Operational registers, from CAPLENGTH. */
#define OP_USBCMD   0x00
#define OP_USBSTS   0x04
#define OP_PAGESIZE 0x08
#define OP_CRCR     0x18
#define OP_DCBAAP   0x30
#define OP_CONFIG   0x38
#define OP_PORTSC(port) (0x400 + 0x10 * ((port) - 1)) /* ports count from 1 */

#define CMD_RUN   (1u << 0)
#define CMD_RESET (1u << 1)
#define CMD_INTE  (1u << 2) /* interrupters may interrupt */
#define STS_HALTED    (1u << 0)
#define STS_HOST_ERR  (1u << 2)
#define STS_EINT      (1u << 3) /* an interrupter fired; write 1 to clear */
#define STS_NOT_READY (1u << 11)
#define STS_HC_ERR    (1u << 12)

#define PORT_CCS   (1u << 0)  /* a device is connected */
#define PORT_PED   (1u << 1)  /* enabled; writing 1 disables it */
#define PORT_PR    (1u << 4)  /* reset */
#define PORT_PP    (1u << 9)  /* powered */
#define PORT_SPEED(v) (((v) >> 10) & 0xf)
#define PORT_CSC   (1u << 17)
#define PORT_PRC   (1u << 21)
#define PORT_WPR   (1u << 31)
/* The bits a write must carry over; every other writable bit is write-1-to-clear or an action. */
#define PORT_KEEP  (PORT_PP | (3u << 14) | (7u << 25))
#define PORT_CHANGES (0x7fu << 17) /* CSC PEC WRC OCC PRC PLC CEC */

/* Interrupter 0, in the runtime registers. */
#define RT_IMAN   0x20
#define IMAN_IP   (1u << 0) /* interrupt pending, write 1 to clear */
#define IMAN_IE   (1u << 1)
#define RT_ERSTSZ 0x28
#define RT_ERSTBA 0x30
#define RT_ERDP   0x38
#define ERDP_BUSY (1u << 3) /* event handler busy, write 1 to clear */

/* Extended capabilities (spec 7). */
#define XCAP_LEGACY   1
#define XCAP_PROTOCOL 2
#define LEGACY_BIOS_OWNED (1u << 16)
#define LEGACY_OS_OWNED   (1u << 24)
#define LEGACY_CTLSTS     4
#define LEGACY_SMI_ENABLES 0x0000e011u /* USB SMI, host error SMI, and the three on-change SMIs */
#define LEGACY_SMI_EVENTS  0xe0000000u /* write 1 to clear */

/* Port speeds (PORTSC, slot context), the default protocol speed IDs. */
#define SPEED_FULL  1
#define SPEED_LOW   2
#define SPEED_HIGH  3
#define SPEED_SUPER 4

/* ---------------------------------------------------------------- rings and TRBs (spec 6.4) */

struct trb {
	uint64_t param;
	uint32_t status;
	uint32_t control; /* bit 0: cycle; 15:10 type */
};
_Static_assert(sizeof(struct trb) == 16, "a TRB is 16 bytes");

#define TRB_CYCLE      (1u << 0)
#define TRB_TOGGLE     (1u << 1) /* Link: flip the cycle bit when following it */
#define TRB_ISP        (1u << 2) /* event on a short packet */
#define TRB_IOC        (1u << 5) /* event on completion */
#define TRB_IDT        (1u << 6) /* the parameter is the data (setup packet) */
#define TRB_DIR_IN     (1u << 16)
#define TRB_TYPE(t)    ((uint32_t)(t) << 10)
#define TRB_GET_TYPE(c) (((c) >> 10) & 0x3f)
#define TRB_SLOT(s)    ((uint32_t)(s) << 24)

enum {
	TRB_NORMAL = 1, TRB_SETUP = 2, TRB_DATA = 3, TRB_STATUS = 4, TRB_LINK = 6,
	TRB_ENABLE_SLOT = 9, TRB_DISABLE_SLOT = 10, TRB_ADDRESS_DEVICE = 11,
	TRB_CONFIGURE_EP = 12, TRB_EVALUATE_CONTEXT = 13,
	TRB_EV_TRANSFER = 32, TRB_EV_COMMAND = 33, TRB_EV_PORT = 34,
};

/* Completion codes (spec 6.4.5). */
#define CC_SUCCESS 1
#define CC_SHORT   13
#define EV_CC(ev)  ((ev)->status >> 24)

/* Every ring is one page: 256 TRBs, the last one a Link back to the first. */
#define RING_TRBS  (PAGE_SIZE / sizeof(struct trb))
#define EVENT_TRBS RING_TRBS

/* A ring the driver produces into (command, transfer). */
struct ring {
	struct trb *trbs;
	uint64_t phys;
	unsigned enqueue;
	uint32_t cycle; /* the producer cycle state: TRBs written now carry it */
};

/* ---------------------------------------------------------------- time limits */

#define MS 1000000ULL
#define HALT_TIMEOUT_NS     (100 * MS)  /* the spec promises 16 ms */
#define RESET_TIMEOUT_NS    (1000 * MS)
#define HANDOFF_TIMEOUT_NS  (1000 * MS) /* what other systems give firmware too */
#define COMMAND_TIMEOUT_NS  (500 * MS)
#define CONTROL_TIMEOUT_NS  (1000 * MS) /* USB 2.0 §9.2.6.4 allows requests 500 ms */
#define PORT_RESET_TIMEOUT_NS (500 * MS)
#define RESET_RECOVERY_NS   (10 * MS)   /* USB 2.0 TRSTRCY, before the first request */
#define POWER_GOOD_NS       (20 * MS)
#define DEBOUNCE_NS         (100 * MS)  /* a hot-plugged device, before its port reset */
#define POLL_PERIOD_NS      (10 * MS)
/* Key repeat: the typematic delay and rate PC firmware commonly sets on PS/2 keyboards. */
#define REPEAT_DELAY_NS     (500 * MS)
#define REPEAT_PERIOD_NS    (33 * MS)

#define MAX_CONTROLLERS 4
#define MAX_KEYBOARDS   8
#define KBD_TRBS_QUEUED 8 /* reports the keyboard may deliver between two polls */
#define REPORT_AREA     2048 /* offset in a device's buffer page of the report buffers */
/*
 * Each report transfer may take a whole packet, up to 64 bytes: a keyboard
 * whose endpoint allows more than the 8-byte boot report must not babble
 * into a shorter buffer. 32 buffers, used in turn with the ring's TRBs
 * (only KBD_TRBS_QUEUED of them are in flight at once).
 */
#define REPORT_MAX      64
#define REPORT_BUFFERS  ((PAGE_SIZE - REPORT_AREA) / REPORT_MAX)
_Static_assert(REPORT_BUFFERS > KBD_TRBS_QUEUED, "report buffers in flight must be distinct");
#define DESC_MAX        REPORT_AREA

struct xhci {
	int index;                      /* xhciN in messages */
	const struct pci_device *pci;
	unsigned vector;                /* its MSI vector, 0 = none (polled) */
	volatile uint8_t *cap, *op, *rt, *db;
	unsigned max_slots, max_ports, ctx_bytes;
	bool ac64;
	uint64_t *dcbaa;                /* device context base addresses, [0] = scratchpad array */
	struct ring cmd;
	struct trb *events;
	uint64_t events_phys;
	unsigned ev_dequeue;
	uint32_t ev_cycle;              /* the consumer cycle state */
	uint8_t port_major[256];        /* USB major revision per port, from the protocol capabilities */
	bool port_taken[256];           /* a device there was probed (whatever came of it) */
	bool port_plugged[256];         /* connected since, not probed yet: the USB thread's work */
	bool dead;                      /* stopped after a failure: touch no more */
};

/* One addressed device: its slot, contexts and endpoint 0. */
struct usb_dev {
	struct xhci *hc;
	unsigned slot, port, speed, mps0; /* port: the root port, for a device behind a hub too */
	unsigned hub_port;              /* its port on the hub, 0 = on the root port itself */
	unsigned tt_slot, tt_port;      /* the high-speed hub translating for a low/full-speed device */
	unsigned hub_ports, hub_ttt;    /* a hub: its port count and TT think time (slot context) */
	uint16_t vendor, product;       /* from the device descriptor */
	uint8_t class_code;
	void *in_ctx, *out_ctx;         /* input context (what we ask), output (the controller's) */
	uint64_t in_phys, out_phys;
	struct ring ep0;
	uint8_t *buf;                   /* one page: descriptors, then the keyboard's reports */
	uint64_t buf_phys;
};

/* A keyboard, or a mouse (mouse set): a HID boot device and its report endpoint. */
struct keyboard {
	struct usb_dev dev;
	bool mouse;                     /* a boot mouse: reports go to /dev/mouse/0 through mstate */
	unsigned dci;                   /* device context index of the interrupt IN endpoint */
	unsigned report_bytes;          /* per transfer: max packet, at least a report (8; hub 1), at most 64 */
	struct ring ring;
	struct hid_kbd state;
	struct hid_mouse mstate;
	bool active;                    /* reports flow */
	bool gone;                      /* unplugged: its slot is to be given back */
	uint32_t repeat_gen;            /* state.repeat_gen when repeat_at was set */
	uint64_t repeat_at;             /* when the held key types again */
	/* A hub uses this struct too: its status endpoint is the "report" endpoint. */
	uint16_t hub_changed;           /* ports its status endpoint reported changed, not yet looked at */
	uint16_t hub_children;          /* ports with a device probed */
};

static struct xhci controllers[MAX_CONTROLLERS];
static unsigned ncontrollers;
static struct keyboard *keyboards[MAX_KEYBOARDS];
static unsigned nkeyboards;
/* Hubs on root ports, kept as their children's parents. */
#define MAX_HUBS 8
static struct keyboard *hubs[MAX_HUBS];
static bool hub_gone[MAX_HUBS];   /* unplugged: its slot is to be given back */
static unsigned nhubs;
static struct thread *usb_thread; /* atomic: set once, read by the interrupt handler */
static bool use_irq;              /* every live controller has its MSI: the thread sleeps until one fires */

/* ---------------------------------------------------------------- memory */

/* A zeroed page the controller can reach; 0 when there is none. */
static uint64_t dma_page(const struct xhci *hc)
{
	uint64_t p = pmm_alloc_zeroed_page();
	/* Without AC64 the controller drives only 32 address bits. */
	if (p && !hc->ac64 && p >= (1ULL << 32)) {
		pmm_free_page(p);
		return 0;
	}
	return p;
}

static uint32_t rd32(volatile uint8_t *base, unsigned off)
{
	return arch_mmio_read32(base + off);
}

static void wr32(volatile uint8_t *base, unsigned off, uint32_t v)
{
	arch_mmio_write32(base + off, v);
}

static void wr64(volatile uint8_t *base, unsigned off, uint64_t v)
{
	arch_mmio_write64(base + off, v);
}

/*
 * Pauses of milliseconds (USB's settle and recovery times) sleep rather
 * than spin: the boot thread and the USB thread may both sleep, and the
 * USB thread's priority is above programs'.
 */
static void pause_ns(uint64_t ns)
{
	(void)sleep_until(time_now_ns() + ns);
}

/* Wait until (register & mask) == want. Returns 0 or -ETIMEDOUT. */
static int wait_reg(volatile uint8_t *base, unsigned off, uint32_t mask, uint32_t want, uint64_t timeout_ns)
{
	uint64_t deadline = time_now_ns() + timeout_ns;
	for (;;) {
		if ((rd32(base, off) & mask) == want)
			return 0;
		if (time_now_ns() >= deadline)
			return -ETIMEDOUT;
		arch_cpu_relax();
	}
}

static int ring_init(const struct xhci *hc, struct ring *r)
{
	r->phys = dma_page(hc);
	if (!r->phys)
		return -ENOMEM;
	r->trbs = phys_to_virt(r->phys);
	r->enqueue = 0;
	r->cycle = 1;
	struct trb *link = &r->trbs[RING_TRBS - 1];
	link->param = r->phys;
	link->control = TRB_TYPE(TRB_LINK) | TRB_TOGGLE; /* cycle 0: not the controller's yet */
	return 0;
}

/*
 * Append one TRB; returns its physical address (what events name it by).
 * The control word, which holds the cycle bit that hands the TRB over, is
 * stored last, after the rest is visible.
 */
static uint64_t ring_push(struct ring *r, uint64_t param, uint32_t status, uint32_t control)
{
	struct trb *t = &r->trbs[r->enqueue];
	uint64_t phys = r->phys + r->enqueue * sizeof(struct trb);
	t->param = param;
	t->status = status;
	__atomic_store_n(&t->control, (control & ~TRB_CYCLE) | r->cycle, __ATOMIC_RELEASE);
	if (++r->enqueue == RING_TRBS - 1) {
		/* Hand the Link over too, then continue at the start with the other cycle. */
		struct trb *link = &r->trbs[RING_TRBS - 1];
		__atomic_store_n(&link->control, TRB_TYPE(TRB_LINK) | TRB_TOGGLE | r->cycle, __ATOMIC_RELEASE);
		r->enqueue = 0;
		r->cycle ^= 1;
	}
	return phys;
}

static void doorbell(struct xhci *hc, unsigned slot, unsigned target)
{
	/* TRBs in memory before the controller looks: a full fence before the uncached store. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wr32(hc->db, 4 * slot, target);
}

/* ---------------------------------------------------------------- events */

static void keyboard_event(struct keyboard *k, const struct trb *ev);
static void keyboard_input_events(struct keyboard *k, const uint8_t *report, unsigned len);
static void keyboard_gone(struct keyboard *k);
static void input_devices_unplugged(struct xhci *hc, unsigned port, unsigned hub_port);
#define ANY_HUB_PORT (~0u) /* input_devices_unplugged: the root port and everything behind it */
static void hub_event(struct keyboard *h, const struct trb *ev);

/* Take the next event off the ring into @ev. Returns false when there is none. */
static bool next_event(struct xhci *hc, struct trb *ev)
{
	struct trb *e = &hc->events[hc->ev_dequeue];
	uint32_t control = __atomic_load_n(&e->control, __ATOMIC_ACQUIRE);
	if ((control & TRB_CYCLE) != hc->ev_cycle)
		return false;
	ev->param = e->param;
	ev->status = e->status;
	ev->control = control;
	if (++hc->ev_dequeue == EVENT_TRBS) {
		hc->ev_dequeue = 0;
		hc->ev_cycle ^= 1;
	}
	/* Tell the controller the slot is free again (a full ring stops it). */
	wr64(hc->rt, RT_ERDP, (hc->events_phys + hc->ev_dequeue * sizeof(struct trb)) | ERDP_BUSY);
	return true;
}

/* Where @d is, for messages: "xhci0 port 5 (USB2)", "xhci0 port 5.2 (USB2)" behind a hub. */
static void where(char *out, size_t len, const struct usb_dev *d)
{
	const char *usb = d->hc->port_major[d->port] >= 3 ? "USB3" : "USB2";
	if (d->hub_port)
		ksnprintf(out, len, "xhci%d port %u.%u (%s)", d->hc->index, d->port, d->hub_port, usb);
	else
		ksnprintf(out, len, "xhci%d port %u (%s)", d->hc->index, d->port, usb);
}

/* An event nobody waits for: a keyboard's report, a port change; anything else is dropped. */
static void dispatch_event(struct xhci *hc, const struct trb *ev)
{
	uint32_t type = TRB_GET_TYPE(ev->control);
	if (type == TRB_EV_TRANSFER) {
		unsigned slot = ev->control >> 24, dci = (ev->control >> 16) & 0x1f;
		for (unsigned i = 0; i < nkeyboards; i++)
			if (keyboards[i]->active && keyboards[i]->dev.hc == hc && keyboards[i]->dev.slot == slot &&
			    keyboards[i]->dci == dci)
				keyboard_event(keyboards[i], ev);
		for (unsigned i = 0; i < nhubs; i++)
			if (hubs[i]->active && hubs[i]->dev.hc == hc && hubs[i]->dev.slot == slot && hubs[i]->dci == dci)
				hub_event(hubs[i], ev);
	} else if (type == TRB_EV_PORT) {
		unsigned port = (unsigned)(ev->param >> 24) & 0xff;
		if (port < 1 || port > hc->max_ports)
			return;
		uint32_t sc = rd32(hc->op, OP_PORTSC(port));
		/* Acknowledge the change, or the port reports no further ones. */
		wr32(hc->op, OP_PORTSC(port), (sc & PORT_KEEP) | (sc & PORT_CHANGES));
		if (sc & PORT_CCS) {
			/* Probed by the USB thread, outside this event's dispatch. */
			if (!hc->port_taken[port])
				hc->port_plugged[port] = true;
			return;
		}
		hc->port_taken[port] = hc->port_plugged[port] = false;
		input_devices_unplugged(hc, port, ANY_HUB_PORT);
		for (unsigned i = 0; i < nhubs; i++)
			if (hubs[i]->dev.hc == hc && hubs[i]->dev.port == port) {
				hubs[i]->active = false;
				hub_gone[i] = true;
			}
	}
}

/*
 * Wait for the event of type @type that names TRB @trb (a command
 * completion) or, with @trb 0, any event of that type for @slot's endpoint
 * @dci (a transfer). Other events go to dispatch_event() meanwhile.
 * Returns 0 with @ev filled, or -ETIMEDOUT.
 */
static int wait_event(struct xhci *hc, uint32_t type, uint64_t trb, unsigned slot, unsigned dci, struct trb *ev,
		      uint64_t timeout_ns)
{
	uint64_t deadline = time_now_ns() + timeout_ns;
	for (;;) {
		/* The deadline holds even against a controller that never stops posting other events. */
		if (next_event(hc, ev)) {
			if (TRB_GET_TYPE(ev->control) == type &&
			    (trb ? ev->param == trb
				 : (ev->control >> 24) == slot && ((ev->control >> 16) & 0x1f) == dci))
				return 0;
			dispatch_event(hc, ev);
		} else {
			arch_cpu_relax();
		}
		if (time_now_ns() >= deadline)
			return -ETIMEDOUT;
	}
}

/*
 * Run one command; @ev gets its completion event. Returns 0, -EIO (the
 * controller refused it: @ev says why) or -ETIMEDOUT, after which the
 * command ring's state is unknown and the controller is given up.
 */
static int command(struct xhci *hc, uint64_t param, uint32_t control, struct trb *ev)
{
	if (hc->dead)
		return -EIO;
	uint64_t at = ring_push(&hc->cmd, param, 0, control);
	doorbell(hc, 0, 0);
	int err = wait_event(hc, TRB_EV_COMMAND, at, 0, 0, ev, COMMAND_TIMEOUT_NS);
	if (err) {
		kprintf("xhci%d: command %u timed out; controller stopped\n", hc->index, TRB_GET_TYPE(control));
		wr32(hc->op, OP_USBCMD, rd32(hc->op, OP_USBCMD) & ~CMD_RUN);
		hc->dead = true;
		return err;
	}
	return EV_CC(ev) == CC_SUCCESS ? 0 : -EIO;
}

/* ---------------------------------------------------------------- controller bring-up */

/*
 * The firmware may own the controller (it drove it for its own USB
 * keyboard, and its SMI handler may emulate PS/2 from it): ask for it
 * through the USB Legacy Support capability, and turn its SMIs off.
 */
static void take_ownership(struct xhci *hc, uint64_t bar_bytes)
{
	uint32_t off = (rd32(hc->cap, CAP_HCCPARAMS1) >> 16) << 2;
	for (int guard = 0; off && off + 8 <= bar_bytes && guard < 64; guard++) {
		uint32_t v = rd32(hc->cap, off);
		if ((v & 0xff) == XCAP_LEGACY) {
			if (v & LEGACY_BIOS_OWNED) {
				wr32(hc->cap, off, v | LEGACY_OS_OWNED);
				if (wait_reg(hc->cap, off, LEGACY_BIOS_OWNED, 0, HANDOFF_TIMEOUT_NS)) {
					/* What other systems do too: take it anyway, the SMIs go off below. */
					kprintf("xhci%d: firmware did not release the controller; taking it\n", hc->index);
					wr32(hc->cap, off, (rd32(hc->cap, off) & ~LEGACY_BIOS_OWNED) | LEGACY_OS_OWNED);
				}
			}
			uint32_t ctl = rd32(hc->cap, off + LEGACY_CTLSTS);
			wr32(hc->cap, off + LEGACY_CTLSTS, (ctl & ~LEGACY_SMI_ENABLES) | LEGACY_SMI_EVENTS);
		}
		unsigned next = (v >> 8) & 0xff;
		off = next ? off + next * 4 : 0;
	}
}

/*
 * Intel's 7- and 8-series chipsets (Panther Point, Lynx Point) wire each
 * USB 2 port to either their EHCI or their xHCI controller, and firmware
 * often leaves them on EHCI, where this driver cannot see a keyboard. The
 * PCI registers below say which ports may switch (the *PRM masks) and
 * switch them; other chips do not have them, hence the device list.
 */
#define INTEL_XUSB2PR    0xd0 /* USB 2 ports routed to xHCI */
#define INTEL_USB2PRM    0xd4
#define INTEL_USB3_PSSEN 0xd8 /* SuperSpeed terminations on */
#define INTEL_USB3PRM    0xdc

static void intel_route_ports(const struct pci_device *p)
{
	if (p->vendor != 0x8086 || (p->device != 0x1e31 && p->device != 0x8c31 && p->device != 0x9c31))
		return;
	pci_write32(p, INTEL_USB3_PSSEN, pci_read32(p, INTEL_USB3PRM));
	pci_write32(p, INTEL_XUSB2PR, pci_read32(p, INTEL_USB2PRM));
}

/* Which ports are USB 2 and which USB 3 (Supported Protocol capabilities). */
static void read_port_protocols(struct xhci *hc, uint64_t bar_bytes)
{
	uint32_t off = (rd32(hc->cap, CAP_HCCPARAMS1) >> 16) << 2;
	for (int guard = 0; off && off + 16 <= bar_bytes && guard < 64; guard++) {
		uint32_t v = rd32(hc->cap, off);
		if ((v & 0xff) == XCAP_PROTOCOL) {
			uint8_t major = (uint8_t)(v >> 24);
			uint32_t ports = rd32(hc->cap, off + 8);
			unsigned first = ports & 0xff, count = (ports >> 8) & 0xff;
			for (unsigned p = first; p < first + count && p <= hc->max_ports && p < 256; p++)
				hc->port_major[p] = major;
		}
		unsigned next = (v >> 8) & 0xff;
		off = next ? off + next * 4 : 0;
	}
}

/* Halt and reset the controller, then give it our structures and start it. Returns 0 or -errno with @why. */
static int controller_start(struct xhci *hc, const char **why)
{
	*why = "did not halt";
	wr32(hc->op, OP_USBCMD, rd32(hc->op, OP_USBCMD) & ~CMD_RUN);
	if (wait_reg(hc->op, OP_USBSTS, STS_HALTED, STS_HALTED, HALT_TIMEOUT_NS))
		return -ETIMEDOUT;
	*why = "reset did not complete";
	wr32(hc->op, OP_USBCMD, CMD_RESET);
	/* Some controllers must not be read in the first millisecond after a reset. */
	time_delay_ns(1 * MS);
	if (wait_reg(hc->op, OP_USBCMD, CMD_RESET, 0, RESET_TIMEOUT_NS) ||
	    wait_reg(hc->op, OP_USBSTS, STS_NOT_READY, 0, RESET_TIMEOUT_NS))
		return -ETIMEDOUT;
	*why = "no 4 KiB page size";
	if (!(rd32(hc->op, OP_PAGESIZE) & 1))
		return -ENODEV;

	*why = "out of memory";
	uint64_t dcbaa = dma_page(hc), events = dma_page(hc), erst = dma_page(hc);
	if (!dcbaa || !events || !erst || ring_init(hc, &hc->cmd))
		return -ENOMEM; /* the pages stay: the controller is not started, they are few */
	hc->dcbaa = phys_to_virt(dcbaa);
	hc->events = phys_to_virt(events);
	hc->events_phys = events;
	hc->ev_dequeue = 0;
	hc->ev_cycle = 1;

	/* Scratchpad buffers: pages the controller keeps its own state in. */
	uint32_t sp2 = rd32(hc->cap, CAP_HCSPARAMS2);
	unsigned nscratch = ((sp2 >> 21) & 0x1f) << 5 | ((sp2 >> 27) & 0x1f);
	if (nscratch) {
		/* Up to 1023 entries: the array may need two pages, contiguous. */
		uint64_t array = nscratch > PAGE_SIZE / 8 ? pmm_alloc_pages(1) : dma_page(hc);
		if (!array || (!hc->ac64 && array >= (1ULL << 32)))
			return -ENOMEM;
		uint64_t *a = phys_to_virt(array);
		memset(a, 0, nscratch > PAGE_SIZE / 8 ? 2 * PAGE_SIZE : PAGE_SIZE);
		for (unsigned i = 0; i < nscratch; i++)
			if (!(a[i] = dma_page(hc)))
				return -ENOMEM;
		hc->dcbaa[0] = array;
	}

	uint64_t *seg = phys_to_virt(erst); /* one Event Ring Segment Table entry: base, size */
	seg[0] = events;
	seg[1] = EVENT_TRBS;
	wr32(hc->op, OP_CONFIG, (rd32(hc->op, OP_CONFIG) & ~0xffu) | hc->max_slots);
	wr64(hc->op, OP_DCBAAP, dcbaa);
	wr64(hc->op, OP_CRCR, hc->cmd.phys | TRB_CYCLE);
	wr32(hc->rt, RT_ERSTSZ, 1);
	wr64(hc->rt, RT_ERDP, events);
	wr64(hc->rt, RT_ERSTBA, erst); /* last: writing it starts the event ring */
	wr32(hc->rt, RT_IMAN, IMAN_IP); /* pending cleared, off until the USB thread exists (enable_msi) */

	*why = "did not start";
	wr32(hc->op, OP_USBCMD, CMD_RUN);
	if (wait_reg(hc->op, OP_USBSTS, STS_HALTED, 0, HALT_TIMEOUT_NS))
		return -ETIMEDOUT;
	if (rd32(hc->cap, CAP_HCCPARAMS1) & HCC_PPC) {
		bool powered = false;
		for (unsigned p = 1; p <= hc->max_ports; p++) {
			uint32_t sc = rd32(hc->op, OP_PORTSC(p));
			if (!(sc & PORT_PP)) {
				wr32(hc->op, OP_PORTSC(p), (sc & PORT_KEEP) | PORT_PP);
				powered = true;
			}
		}
		if (powered)
			pause_ns(POWER_GOOD_NS);
	}
	return 0;
}

/* ---------------------------------------------------------------- devices */

static void *ctx(const struct usb_dev *d, void *base, unsigned index)
{
	return (uint8_t *)base + index * d->hc->ctx_bytes;
}

/* The input context's slot context and endpoint 0 context, as Address Device and Evaluate Context want them. */
static void fill_slot_ep0(struct usb_dev *d, unsigned context_entries)
{
	uint32_t *slot = ctx(d, d->in_ctx, 1), *ep0 = ctx(d, d->in_ctx, 2);
	/* The route string names the hub port below the root port (one tier of hubs). */
	slot[0] = d->hub_port | (uint32_t)d->speed << 20 | (uint32_t)context_entries << 27 |
		  (d->hub_ports ? 1u << 26 : 0);
	slot[1] = (uint32_t)d->port << 16 | (uint32_t)d->hub_ports << 24;
	slot[2] = d->tt_slot | d->tt_port << 8 | d->hub_ttt << 16;
	ep0[1] = 3u << 1 | 4u << 3 | (uint32_t)d->mps0 << 16; /* 3 retries, control endpoint */
	ep0[2] = (uint32_t)d->ep0.phys | 1;                    /* dequeue pointer, cycle 1 */
	ep0[3] = (uint32_t)(d->ep0.phys >> 32);
	ep0[4] = 8; /* average TRB length: setup packets */
}

/*
 * One control transfer on endpoint 0: setup, optional data stage into or
 * from @d->buf, status. @actual (may be NULL) gets the bytes moved.
 * Returns 0, -EIO (the device stalled or the transfer failed) or -ETIMEDOUT.
 */
static int control(struct usb_dev *d, uint8_t type, uint8_t req, uint16_t value, uint16_t index, uint16_t length,
		   unsigned *actual)
{
	struct xhci *hc = d->hc;
	bool in = type & USB_DIR_IN;
	uint64_t setup = type | (uint64_t)req << 8 | (uint64_t)value << 16 | (uint64_t)index << 32 |
			 (uint64_t)length << 48;
	uint32_t trt = length == 0 ? 0 : in ? 3 : 2; /* transfer type: none, OUT, IN data stage */
	ring_push(&d->ep0, setup, 8, TRB_TYPE(TRB_SETUP) | TRB_IDT | trt << 16);
	uint64_t data = 0;
	if (length)
		data = ring_push(&d->ep0, d->buf_phys, length, TRB_TYPE(TRB_DATA) | TRB_ISP | (in ? TRB_DIR_IN : 0));
	/* The status stage goes the other way from the data (IN when there is none). */
	uint64_t status = ring_push(&d->ep0, 0, 0, TRB_TYPE(TRB_STATUS) | TRB_IOC | (length && in ? 0 : TRB_DIR_IN));
	doorbell(hc, d->slot, 1);
	unsigned moved = length;
	uint64_t deadline = time_now_ns() + CONTROL_TIMEOUT_NS;
	for (;;) {
		struct trb ev;
		uint64_t now = time_now_ns();
		int err = now < deadline ? wait_event(hc, TRB_EV_TRANSFER, 0, d->slot, 1, &ev, deadline - now)
					 : -ETIMEDOUT;
		if (err)
			return err;
		if (ev.param == data && EV_CC(&ev) == CC_SHORT) {
			/* A short data stage (ISP) has its own event; the status stage's follows. */
			unsigned left = ev.status & 0xffffff;
			moved = left < length ? length - left : 0;
			continue;
		}
		if (EV_CC(&ev) != CC_SUCCESS)
			return -EIO;
		if (ev.param == status)
			break;
	}
	if (actual)
		*actual = moved;
	return 0;
}

static void dev_free(struct usb_dev *d)
{
	if (d->in_phys)
		pmm_free_page(d->in_phys);
	if (d->out_phys)
		pmm_free_page(d->out_phys);
	if (d->ep0.phys)
		pmm_free_page(d->ep0.phys);
	if (d->buf_phys)
		pmm_free_page(d->buf_phys);
}

/*
 * Give the slot back and free the device's memory: only after the
 * controller confirmed Disable Slot, since before that it may still write.
 */
static void dev_release(struct usb_dev *d)
{
	struct trb ev;
	if (command(d->hc, 0, TRB_TYPE(TRB_DISABLE_SLOT) | TRB_SLOT(d->slot), &ev) == 0) {
		d->hc->dcbaa[d->slot] = 0;
		dev_free(d);
	}
}

/* Enable a slot for the device on @port and address it. Returns 0 or -errno with @why. */
static int dev_address(struct usb_dev *d, const char **why)
{
	struct xhci *hc = d->hc;
	struct trb ev;
	*why = "out of memory";
	d->in_phys = dma_page(hc);
	d->out_phys = dma_page(hc);
	d->buf_phys = dma_page(hc);
	if (!d->in_phys || !d->out_phys || !d->buf_phys || ring_init(hc, &d->ep0)) {
		dev_free(d);
		return -ENOMEM;
	}
	d->in_ctx = phys_to_virt(d->in_phys);
	d->out_ctx = phys_to_virt(d->out_phys);
	d->buf = phys_to_virt(d->buf_phys);

	*why = "Enable Slot failed";
	int err = command(hc, 0, TRB_TYPE(TRB_ENABLE_SLOT), &ev);
	if (err) {
		if (err == -EIO)
			dev_free(d);
		return err;
	}
	d->slot = ev.control >> 24;
	if (d->slot == 0 || d->slot > hc->max_slots) {
		*why = "bad slot number";
		return -EIO;
	}
	hc->dcbaa[d->slot] = d->out_phys;

	/* Endpoint 0's packet size before the device said it: what its speed allows at least. */
	d->mps0 = d->speed >= SPEED_SUPER ? 512 : d->speed == SPEED_HIGH ? 64 : 8;
	uint32_t *icc = d->in_ctx;
	icc[0] = 0;
	icc[1] = 0x3; /* add the slot and endpoint 0 */
	fill_slot_ep0(d, 1);
	*why = "Address Device failed";
	err = command(hc, d->in_phys, TRB_TYPE(TRB_ADDRESS_DEVICE) | TRB_SLOT(d->slot), &ev);
	if (err)
		return err;
	pause_ns(2 * MS); /* SET_ADDRESS recovery (USB 2.0 §9.2.6.3) */

	/* The first 8 bytes of the device descriptor hold bMaxPacketSize0. */
	*why = "no device descriptor";
	err = control(d, USB_DIR_IN, USB_REQ_GET_DESCRIPTOR, USB_DT_DEVICE << 8, 0, 8, NULL);
	if (err)
		return err;
	unsigned mps = d->buf[7];
	if (d->speed >= SPEED_SUPER)
		mps = mps < 16 ? 1u << mps : 512; /* an exponent there */
	if (d->speed == SPEED_FULL && (mps == 8 || mps == 16 || mps == 32 || mps == 64) && mps != d->mps0) {
		d->mps0 = mps;
		icc[1] = 0x2; /* evaluate endpoint 0 */
		fill_slot_ep0(d, 1);
		*why = "Evaluate Context failed";
		err = command(hc, d->in_phys, TRB_TYPE(TRB_EVALUATE_CONTEXT) | TRB_SLOT(d->slot), &ev);
		if (err)
			return err;
	}
	/* All of it now, for the boot line of whatever the device turns out to be. */
	*why = "no device descriptor";
	unsigned got;
	err = control(d, USB_DIR_IN, USB_REQ_GET_DESCRIPTOR, USB_DT_DEVICE << 8, 0, USB_DEVICE_DESC_BYTES, &got);
	if (err)
		return err;
	if (got >= 12) {
		d->class_code = d->buf[4];
		d->vendor = (uint16_t)(d->buf[8] | d->buf[9] << 8);
		d->product = (uint16_t)(d->buf[10] | d->buf[11] << 8);
	}
	return 0;
}

/* xHCI's endpoint interval: 2^n units of 125 µs, from a descriptor's bInterval. */
static unsigned ep_interval(unsigned speed, unsigned b_interval)
{
	if (speed == SPEED_FULL || speed == SPEED_LOW) {
		/* Milliseconds (1-255): the largest power of two not above, in 125 µs units. */
		unsigned frames = b_interval ? b_interval : 1, n = 3;
		while (n < 10 && (1u << (n + 1 - 3)) <= frames)
			n++;
		return n;
	}
	/* High and SuperSpeed: 2^(bInterval-1) microframes. */
	unsigned n = b_interval ? b_interval - 1 : 0;
	return n > 15 ? 15 : n;
}

/* The report buffer of the TRB at ring index @idx. */
static unsigned report_offset(unsigned idx)
{
	return REPORT_AREA + (idx % REPORT_BUFFERS) * REPORT_MAX;
}

/* Queue one report transfer on the keyboard's interrupt ring; its buffer follows the TRB's place. */
static void keyboard_queue(struct keyboard *k)
{
	uint64_t buf = k->dev.buf_phys + report_offset(k->ring.enqueue);
	ring_push(&k->ring, buf, k->report_bytes, TRB_TYPE(TRB_NORMAL) | TRB_IOC | TRB_ISP);
}

/*
 * The presses and releases from the last report to @report (NULL: all
 * released) into the input layer: HID usages are its keycodes already.
 */
static void keyboard_input_events(struct keyboard *k, const uint8_t *report, unsigned len)
{
	struct hid_key_event keys[HID_KBD_EVENTS_MAX];
	unsigned n = hid_kbd_key_events(&k->state, report, len, keys);
	for (unsigned i = 0; i < n; i++)
		input_kbd_event(keys[i].usage, keys[i].pressed);
	if (!report)
		k->state = (struct hid_kbd){ .caps_lock = k->state.caps_lock };
}

/*
 * @k went away or stopped: release what it held, so no key or button stays
 * down in /dev/kbd/0 or /dev/mouse/0.
 */
static void keyboard_gone(struct keyboard *k)
{
	struct hid_mouse_event m;
	if (!k->mouse)
		keyboard_input_events(k, NULL, 0);
	else if (hid_mouse_release(&k->mstate, &m))
		input_mouse_event(m.buttons, m.dx, m.dy);
}

/*
 * The keyboards and mice on root port @port of @hc went with it: all of them
 * (those behind a hub there too) when @hub_port is ANY_HUB_PORT, else the one
 * on port @hub_port of the hub on that root port. Each releases what it held;
 * its slot is given back later by the USB thread.
 */
static void input_devices_unplugged(struct xhci *hc, unsigned port, unsigned hub_port)
{
	for (unsigned i = 0; i < nkeyboards; i++) {
		struct keyboard *k = keyboards[i];
		if (k->dev.hc != hc || k->dev.port != port || k->gone ||
		    (hub_port != ANY_HUB_PORT && k->dev.hub_port != hub_port))
			continue;
		k->active = false;
		k->gone = true;
		keyboard_gone(k);
		char at[40];
		where(at, sizeof(at), &k->dev);
		kprintf("usb: %s on %s unplugged\n", k->mouse ? "mouse" : "keyboard", at);
	}
}

static void keyboard_event(struct keyboard *k, const struct trb *ev)
{
	unsigned cc = EV_CC(ev);
	if (cc != CC_SUCCESS && cc != CC_SHORT) {
		/* A halted endpoint: the device is given up rather than reset (see "missing" in README). */
		k->active = false;
		keyboard_gone(k);
		char at[40];
		where(at, sizeof(at), &k->dev);
		kprintf("usb: %s on %s stopped (completion code %u)\n", k->mouse ? "mouse" : "keyboard", at, cc);
		return;
	}
	uint64_t idx = (ev->param - k->ring.phys) / sizeof(struct trb);
	if (ev->param < k->ring.phys || idx >= RING_TRBS - 1)
		return;
	unsigned left = ev->status & 0xffffff;
	unsigned len = left < k->report_bytes ? k->report_bytes - left : 0;
	const uint8_t *report = k->dev.buf + report_offset((unsigned)idx);
	if (k->mouse) {
		struct hid_mouse_event m;
		if (hid_mouse_report(&k->mstate, report, len, &m))
			input_mouse_event(m.buttons, m.dx, m.dy);
		keyboard_queue(k);
		doorbell(k->dev.hc, k->dev.slot, k->dci);
		return;
	}
	/* Key events for /dev/kbd/0 first (they need the state before this report), then the typed bytes. */
	keyboard_input_events(k, report, len);
	char out[HID_KBD_OUT_MAX];
	unsigned n = hid_kbd_report(&k->state, report, len, out);
	for (unsigned i = 0; i < n; i++)
		console_input_push(out[i]);
	if (k->state.repeat_gen != k->repeat_gen) {
		k->repeat_gen = k->state.repeat_gen;
		k->repeat_at = time_now_ns() + REPEAT_DELAY_NS;
	}
	keyboard_queue(k);
	doorbell(k->dev.hc, k->dev.slot, k->dci);
}

static int intr_in_configure(struct keyboard *k, const struct usb_intr_in *kb, unsigned min_bytes, const char **why);
static void intr_in_run(struct keyboard *k);

/*
 * The device is addressed: find its boot keyboard or boot mouse interface,
 * configure its endpoint, and start its reports. A device with both is
 * taken as the one usb_find_boot_hid() picks, which leaves it one
 * interrupt endpoint like every other. Returns 0, -ENOENT (neither) or
 * -errno with @why.
 */
static int keyboard_start(struct keyboard *k, const char **why)
{
	struct usb_dev *d = &k->dev;
	unsigned got;
	*why = "no configuration descriptor";
	int err = control(d, USB_DIR_IN, USB_REQ_GET_DESCRIPTOR, USB_DT_CONFIGURATION << 8, 0, USB_CONFIG_DESC_BYTES,
			  &got);
	if (err)
		return err;
	unsigned total = d->buf[2] | (unsigned)d->buf[3] << 8;
	if (got < 4 || total < USB_CONFIG_DESC_BYTES)
		return -EIO;
	if (total > DESC_MAX)
		total = DESC_MAX;
	err = control(d, USB_DIR_IN, USB_REQ_GET_DESCRIPTOR, USB_DT_CONFIGURATION << 8, 0, (uint16_t)total, &got);
	if (err)
		return err;
	struct usb_intr_in kb;
	*why = "bad configuration descriptor";
	err = usb_find_boot_hid(d->buf, got, &kb, &k->mouse);
	if (err)
		return err;

	if ((err = intr_in_configure(k, &kb, k->mouse ? HID_MOUSE_REPORT_BYTES : HID_BOOT_REPORT_BYTES, why)))
		return err;

	*why = "SET_CONFIGURATION failed";
	if ((err = control(d, 0, USB_REQ_SET_CONFIGURATION, kb.config_value, 0, 0, NULL)))
		return err;
	/* Boot protocol: the fixed report (8 bytes; a mouse's 3 and up), whatever the report descriptor says. */
	*why = "SET_PROTOCOL failed";
	uint8_t cls = USB_TYPE_CLASS | USB_RECIP_INTERFACE;
	if ((err = control(d, cls, HID_REQ_SET_PROTOCOL, HID_PROTOCOL_BOOT, kb.interface, 0, NULL)))
		return err;
	/* Idle rate 0: a report only when something changes. Optional: some devices stall it. */
	(void)control(d, cls, HID_REQ_SET_IDLE, 0, kb.interface, 0, NULL);
	intr_in_run(k);
	return 0;
}

/*
 * Give @k's device its interrupt IN endpoint @kb (Configure Endpoint) with a
 * transfer ring, transfers of at least @min_bytes. Returns 0 or -errno with @why.
 */
static int intr_in_configure(struct keyboard *k, const struct usb_intr_in *kb, unsigned min_bytes, const char **why)
{
	struct usb_dev *d = &k->dev;
	struct xhci *hc = d->hc;
	*why = "out of memory";
	if (ring_init(hc, &k->ring))
		return -ENOMEM;
	unsigned epnum = kb->endpoint & 0xf;
	k->dci = 2 * epnum + 1; /* IN endpoints have odd context indices */
	unsigned mps = kb->max_packet ? kb->max_packet : min_bytes;
	k->report_bytes = mps < min_bytes ? min_bytes : mps > REPORT_MAX ? REPORT_MAX : mps;
	uint32_t *icc = d->in_ctx;
	icc[0] = 0;
	icc[1] = 1u | 1u << k->dci;
	memset(ctx(d, d->in_ctx, 1), 0, hc->ctx_bytes);
	fill_slot_ep0(d, k->dci);
	uint32_t *ep = ctx(d, d->in_ctx, k->dci + 1);
	memset(ep, 0, hc->ctx_bytes);
	ep[0] = ep_interval(d->speed, kb->interval) << 16;
	ep[1] = 3u << 1 | 7u << 3 | mps << 16; /* 3 retries, interrupt IN */
	ep[2] = (uint32_t)k->ring.phys | 1;
	ep[3] = (uint32_t)(k->ring.phys >> 32);
	ep[4] = min_bytes | mps << 16; /* average TRB length, max payload per interval */
	struct trb ev;
	*why = "Configure Endpoint failed";
	return command(hc, d->in_phys, TRB_TYPE(TRB_CONFIGURE_EP) | TRB_SLOT(d->slot), &ev);
}

/* Queue @k's transfers on its configured interrupt IN endpoint and let them go. */
static void intr_in_run(struct keyboard *k)
{
	for (int i = 0; i < KBD_TRBS_QUEUED; i++)
		keyboard_queue(k);
	k->active = true;
	doorbell(k->dev.hc, k->dev.slot, k->dci);
}

/* Reset @port and wait for it to be enabled. Returns 0, -ENODEV (nothing there) or -ETIMEDOUT. */
static int port_reset(struct xhci *hc, unsigned port)
{
	uint32_t sc = rd32(hc->op, OP_PORTSC(port));
	if (!(sc & PORT_CCS))
		return -ENODEV;
	wr32(hc->op, OP_PORTSC(port), (sc & PORT_KEEP) | PORT_PR);
	if (wait_reg(hc->op, OP_PORTSC(port), PORT_PRC, PORT_PRC, PORT_RESET_TIMEOUT_NS))
		return -ETIMEDOUT;
	sc = rd32(hc->op, OP_PORTSC(port));
	wr32(hc->op, OP_PORTSC(port), (sc & PORT_KEEP) | (sc & PORT_CHANGES));
	if (!(sc & PORT_PED))
		return -ENODEV;
	pause_ns(RESET_RECOVERY_NS);
	return 0;
}

/* Hub class requests (USB 2.0 §11.24). */
#define HUB_DT_HUB          0x29
#define HUB_REQ_GET_STATUS  0x00
#define HUB_REQ_CLEAR       0x01
#define HUB_REQ_SET         0x03
#define HUB_TO_PORT         0x23 /* class, other (a port) */
#define HUB_FROM_HUB        0xa0
#define HUB_FROM_PORT       0xa3
#define HUB_PORT_RESET      4    /* features */
#define HUB_PORT_POWER      8
#define HUB_C_PORT_CONNECTION 16
#define HUB_C_PORT_ENABLE   17
#define HUB_C_PORT_RESET    20
#define HUB_ST_CONNECTION   0x0001 /* wPortStatus */
#define HUB_ST_ENABLE       0x0002
#define HUB_ST_LOW_SPEED    0x0200
#define HUB_ST_HIGH_SPEED   0x0400
#define HUB_CH_RESET        0x0010 /* wPortChange */

/*
 * Address the device that @d describes (controller, ports, speed, TT
 * filled in by the caller) and start it if it is a keyboard or mouse.
 * Returns the device when it is a hub on a root port, to be walked by the
 * caller (kept, not released); NULL otherwise. With @retry, a device that failed
 * a step (slow to come out of reset, a transaction error) is given back
 * whole and *@retry set, for the caller to reset its port and try again.
 */
static struct keyboard *device_probe(const struct usb_dev *d, bool *retry)
{
	if (nkeyboards == MAX_KEYBOARDS)
		return NULL;
	char at[40];
	where(at, sizeof(at), d);
	struct keyboard *k = kzalloc(sizeof(*k));
	if (!k) {
		kprintf("usb: %s: out of memory\n", at);
		return NULL;
	}
	k->dev = *d;
	const char *why;
	int err = dev_address(&k->dev, &why);
	if (!err && k->dev.class_code == USB_CLASS_HUB && !d->hub_port && d->speed <= SPEED_HIGH &&
	    nhubs < MAX_HUBS) {
		hub_gone[nhubs] = false;
		hubs[nhubs++] = k;
		return k;
	}
	if (!err)
		err = keyboard_start(k, &why);
	if (err == -ENOENT) {
		/* Another kind of device (a stick, a tablet, a hub below a hub): give its slot back. */
		kprintf("usb: %s: device %04x:%04x, %s; left alone\n", at, k->dev.vendor, k->dev.product,
			k->dev.class_code == USB_CLASS_HUB ? "a hub (not supported here)"
							   : "no boot keyboard or mouse interface");
		dev_release(&k->dev);
		kfree(k);
		return NULL;
	}
	struct xhci *hc = d->hc;
	struct trb ev;
	if (err && retry && err != -ENOMEM && !hc->dead && k->dev.slot && k->dev.slot <= hc->max_slots &&
	    command(hc, 0, TRB_TYPE(TRB_DISABLE_SLOT) | TRB_SLOT(k->dev.slot), &ev) == 0) {
		kprintf("usb: %s: device not usable: %s (%d); trying once more\n", at, why, err);
		hc->dcbaa[k->dev.slot] = 0;
		dev_free(&k->dev);
		if (k->ring.phys)
			pmm_free_page(k->ring.phys);
		kfree(k);
		*retry = true;
		return NULL;
	}
	if (err) {
		/* Left as it is: the controller may still own the memory. */
		kprintf("usb: %s: device not usable: %s (%d)\n", at, why, err);
		return NULL;
	}
	keyboards[nkeyboards++] = k;
	/*
	 * /dev/kbd/0 is every keyboard's and /dev/mouse/0 every mouse's; the
	 * first driver to find one names it (a PS/2 mouse found at boot keeps
	 * its name, and the USB mouse's events join it).
	 */
	if (k->mouse)
		input_register(INPUT_MOUSE, "USB HID boot mouse");
	else
		input_register(INPUT_KBD, "USB HID boot keyboard");
	static const char *const speeds[] = { "?", "full", "low", "high", "super", "super+" };
	at[0] = 0;
	where(at, sizeof(at), d);
	/* "xhci0 port 5 (USB2, full speed, slot 1)": the speed joins the bracket. */
	size_t n = strlen(at);
	if (n && at[n - 1] == ')')
		at[n - 1] = 0;
	kprintf("usb: %s on %s, %s speed, slot %u), boot protocol\n", k->mouse ? "mouse" : "keyboard", at,
		speeds[k->dev.speed < 6 ? k->dev.speed : 0], k->dev.slot);
	return NULL;
}

/* Reset hub port @port; returns its xHCI speed, or 0 when nothing usable is there. */
static unsigned hub_port_reset(struct usb_dev *hub, unsigned port)
{
	unsigned got;
	if (control(hub, HUB_FROM_PORT, HUB_REQ_GET_STATUS, 0, (uint16_t)port, 4, &got) || got < 4 ||
	    !(hub->buf[0] & HUB_ST_CONNECTION))
		return 0;
	if (control(hub, HUB_TO_PORT, HUB_REQ_SET, HUB_PORT_RESET, (uint16_t)port, 0, NULL))
		return 0;
	uint64_t deadline = time_now_ns() + PORT_RESET_TIMEOUT_NS;
	for (;;) {
		pause_ns(10 * MS);
		if (control(hub, HUB_FROM_PORT, HUB_REQ_GET_STATUS, 0, (uint16_t)port, 4, &got) || got < 4)
			return 0;
		if (hub->buf[2] & HUB_CH_RESET)
			break;
		if (time_now_ns() >= deadline)
			return 0;
	}
	uint16_t status = (uint16_t)(hub->buf[0] | hub->buf[1] << 8);
	(void)control(hub, HUB_TO_PORT, HUB_REQ_CLEAR, HUB_C_PORT_RESET, (uint16_t)port, 0, NULL);
	(void)control(hub, HUB_TO_PORT, HUB_REQ_CLEAR, HUB_C_PORT_CONNECTION, (uint16_t)port, 0, NULL);
	if (!(status & HUB_ST_ENABLE))
		return 0;
	pause_ns(RESET_RECOVERY_NS);
	return status & HUB_ST_LOW_SPEED ? SPEED_LOW : status & HUB_ST_HIGH_SPEED ? SPEED_HIGH : SPEED_FULL;
}

/* The device on hub port @port: reset it and probe it; the port counts as taken either way. */
static void hub_port_probe(struct keyboard *h, unsigned port)
{
	struct usb_dev *hub = &h->dev;
	unsigned speed = hub_port_reset(hub, port);
	if (!speed)
		return;
	h->hub_children |= (uint16_t)(1u << port);
	struct usb_dev child = { .hc = hub->hc, .port = hub->port, .hub_port = port, .speed = speed };
	if (hub->speed == SPEED_HIGH && speed != SPEED_HIGH) {
		/* Low and full speed behind a high-speed hub go through its transaction translator. */
		child.tt_slot = hub->slot;
		child.tt_port = port;
	}
	(void)device_probe(&child, NULL);
}

/*
 * A USB 2 hub on a root port: configure it, tell the controller it is a
 * hub, start its status endpoint (which reports ports whose state
 * changed), power its ports and probe what is connected. One tier only.
 */
static void hub_walk(struct keyboard *h)
{
	struct usb_dev *hub = &h->dev;
	struct xhci *hc = hub->hc;
	char at[40];
	where(at, sizeof(at), hub);
	unsigned got;
	const char *why = "no configuration descriptor";
	if (control(hub, USB_DIR_IN, USB_REQ_GET_DESCRIPTOR, USB_DT_CONFIGURATION << 8, 0, USB_CONFIG_DESC_BYTES,
		    &got) || got < 4)
		goto fail;
	unsigned total = hub->buf[2] | (unsigned)hub->buf[3] << 8;
	if (total > DESC_MAX)
		total = DESC_MAX;
	struct usb_intr_in status_ep;
	why = "no status endpoint";
	if (control(hub, USB_DIR_IN, USB_REQ_GET_DESCRIPTOR, USB_DT_CONFIGURATION << 8, 0, (uint16_t)total, &got) ||
	    usb_find_interrupt_in(hub->buf, got, USB_CLASS_HUB, -1, -1, &status_ep))
		goto fail;
	why = "SET_CONFIGURATION failed";
	if (control(hub, 0, USB_REQ_SET_CONFIGURATION, status_ep.config_value, 0, 0, NULL))
		goto fail;
	why = "no hub descriptor";
	if (control(hub, HUB_FROM_HUB, USB_REQ_GET_DESCRIPTOR, HUB_DT_HUB << 8, 0, 9, &got) || got < 7 || !hub->buf[2])
		goto fail;
	unsigned nports = hub->buf[2] > 15 ? 15 : hub->buf[2]; /* a route string digit holds 1-15 */
	uint64_t power_good_ns = hub->buf[5] * 2 * MS;
	hub->hub_ports = nports;
	hub->hub_ttt = hub->speed == SPEED_HIGH ? (hub->buf[3] >> 5) & 3 : 0;

	/* The hub's slot context: Evaluate Context from xHCI 1.0 on, as Linux does, else Configure Endpoint. */
	uint32_t *icc = hub->in_ctx;
	icc[0] = 0;
	icc[1] = 1;
	memset(ctx(hub, hub->in_ctx, 1), 0, hc->ctx_bytes);
	fill_slot_ep0(hub, 1);
	struct trb ev;
	bool v1 = (rd32(hc->cap, 0) >> 16) > 0x95;
	why = "the controller refused its hub settings";
	if (command(hc, hub->in_phys, TRB_TYPE(v1 ? TRB_EVALUATE_CONTEXT : TRB_CONFIGURE_EP) | TRB_SLOT(hub->slot),
		    &ev))
		goto fail;
	/* Its status endpoint: one bit per port (bit 0 the hub itself), so 1 or 2 bytes. */
	int err = intr_in_configure(h, &status_ep, 1, &why);
	if (err)
		goto fail;

	for (unsigned port = 1; port <= nports; port++)
		(void)control(hub, HUB_TO_PORT, HUB_REQ_SET, HUB_PORT_POWER, (uint16_t)port, 0, NULL);
	/* Power good, then the connect debounce of whatever was plugged in all along. */
	pause_ns(power_good_ns + DEBOUNCE_NS);
	kprintf("usb: hub on %s, %u ports\n", at, nports);
	for (unsigned port = 1; port <= nports && !hc->dead; port++)
		hub_port_probe(h, port);
	/* From now on its ports' changes arrive as hub_event()s; one seen before is looked at again, harmlessly. */
	intr_in_run(h);
	return;
fail:
	kprintf("usb: hub on %s not usable: %s\n", at, why);
}

/* A report from a hub's status endpoint: note the ports that changed, for the USB thread to look at. */
static void hub_event(struct keyboard *h, const struct trb *ev)
{
	unsigned cc = EV_CC(ev);
	char at[40];
	if (cc != CC_SUCCESS && cc != CC_SHORT) {
		h->active = false;
		where(at, sizeof(at), &h->dev);
		kprintf("usb: hub on %s stopped (completion code %u)\n", at, cc);
		return;
	}
	uint64_t idx = (ev->param - h->ring.phys) / sizeof(struct trb);
	if (ev->param < h->ring.phys || idx >= RING_TRBS - 1)
		return;
	unsigned left = ev->status & 0xffffff, len = left < h->report_bytes ? h->report_bytes - left : 0;
	const uint8_t *bits = h->dev.buf + report_offset((unsigned)idx);
	uint16_t changed = (uint16_t)((len > 0 ? bits[0] : 0) | (len > 1 ? bits[1] << 8 : 0));
	h->hub_changed |= changed & (uint16_t)(((1u << h->dev.hub_ports) - 1) << 1);
	keyboard_queue(h);
	doorbell(h->dev.hc, h->dev.slot, h->dci);
}

/* Ports a hub reported changed: unplugged devices are given up, new ones probed. */
static void hub_changes(struct keyboard *h)
{
	struct usb_dev *hub = &h->dev;
	uint16_t changed = h->hub_changed;
	h->hub_changed = 0;
	for (unsigned port = 1; port <= hub->hub_ports && !hub->hc->dead; port++) {
		uint16_t bit = (uint16_t)(1u << port);
		if (!(changed & bit))
			continue;
		unsigned got;
		if (control(hub, HUB_FROM_PORT, HUB_REQ_GET_STATUS, 0, (uint16_t)port, 4, &got) || got < 4)
			continue;
		bool connected = hub->buf[0] & HUB_ST_CONNECTION;
		(void)control(hub, HUB_TO_PORT, HUB_REQ_CLEAR, HUB_C_PORT_CONNECTION, (uint16_t)port, 0, NULL);
		(void)control(hub, HUB_TO_PORT, HUB_REQ_CLEAR, HUB_C_PORT_ENABLE, (uint16_t)port, 0, NULL);
		if (!connected) {
			h->hub_children &= (uint16_t)~bit;
			input_devices_unplugged(hub->hc, hub->port, port);
		} else if (!(h->hub_children & bit)) {
			pause_ns(DEBOUNCE_NS);
			hub_port_probe(h, port);
		}
	}
}

static void port_probe(struct xhci *hc, unsigned port)
{
	hc->port_plugged[port] = false;
	int err = port_reset(hc, port);
	if (err == -ENODEV)
		return;
	hc->port_taken[port] = true;
	if (err) {
		kprintf("usb: xhci%d port %u (%s): port reset timed out\n", hc->index, port,
			hc->port_major[port] >= 3 ? "USB3" : "USB2");
		return;
	}
	struct usb_dev d = { .hc = hc, .port = port, .speed = PORT_SPEED(rd32(hc->op, OP_PORTSC(port))) };
	bool retry = false;
	struct keyboard *hub = device_probe(&d, &retry);
	if (retry) {
		/* Some devices want more than the 10 ms after a reset: give them 100 more, and a new reset. */
		pause_ns(DEBOUNCE_NS);
		if (port_reset(hc, port))
			return;
		d.speed = PORT_SPEED(rd32(hc->op, OP_PORTSC(port)));
		hub = device_probe(&d, NULL);
	}
	if (hub)
		hub_walk(hub);
}

static void controller_probe(const struct pci_device *p)
{
	if (ncontrollers == MAX_CONTROLLERS)
		return;
	struct xhci *hc = &controllers[ncontrollers];
	hc->index = (int)ncontrollers;
	hc->pci = p;
	uint64_t phys, size;
	if (pci_bar_memory(p, 0, &phys, &size) || size < 0x1000) {
		kprintf("xhci%d: %02x:%02x.%u has no usable register BAR\n", hc->index, p->bus, p->dev, p->fn);
		return;
	}
	/* Registers, DMA on; INTx off: completions are polled. */
	pci_write16(p, PCI_COMMAND,
		    pci_read16(p, PCI_COMMAND) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_OFF);
	hc->cap = arch_mmio_map(phys, size);
	if (!hc->cap) {
		kprintf("xhci%d: cannot map its registers\n", hc->index);
		return;
	}
	uint32_t caplen = rd32(hc->cap, CAP_CAPLENGTH) & 0xff, dboff = rd32(hc->cap, CAP_DBOFF) & ~3u,
		 rtsoff = rd32(hc->cap, CAP_RTSOFF) & ~0x1fu, hcs1 = rd32(hc->cap, CAP_HCSPARAMS1),
		 hcc1 = rd32(hc->cap, CAP_HCCPARAMS1);
	hc->max_slots = hcs1 & 0xff;
	hc->max_ports = hcs1 >> 24;
	hc->ac64 = hcc1 & HCC_AC64;
	hc->ctx_bytes = hcc1 & HCC_CSZ ? 64 : 32;
	/* A register block that does not fit its BAR (or reads all ones: gone) is not touched. */
	if (caplen < 0x20 || caplen + OP_PORTSC(hc->max_ports + 1) > size || dboff + 4 * (hc->max_slots + 1) > size ||
	    rtsoff + 0x40 > size || hc->max_slots == 0 || hc->max_ports == 0) {
		kprintf("xhci%d: implausible registers (caplength %u, dboff 0x%x, rtsoff 0x%x, BAR %lu bytes)\n",
			hc->index, caplen, dboff, rtsoff, size);
		return;
	}
	hc->op = hc->cap + caplen;
	hc->db = hc->cap + dboff;
	hc->rt = hc->cap + rtsoff;
	ncontrollers++;

	take_ownership(hc, size);
	intel_route_ports(p);
	read_port_protocols(hc, size);
	const char *why;
	if (controller_start(hc, &why)) {
		kprintf("xhci%d: %s; controller left alone\n", hc->index, why);
		wr32(hc->op, OP_USBCMD, rd32(hc->op, OP_USBCMD) & ~CMD_RUN);
		hc->dead = true;
		return;
	}
	kprintf("xhci%d: %02x:%02x.%u, %u ports, %u slots, registers at 0x%lx%s\n", hc->index, p->bus, p->dev, p->fn,
		hc->max_ports, hc->max_slots, phys, hc->ac64 ? ", 64-bit DMA" : "");
	for (unsigned port = 1; port <= hc->max_ports && !hc->dead; port++)
		port_probe(hc, port);
	if (rd32(hc->op, OP_USBSTS) & (STS_HOST_ERR | STS_HC_ERR)) {
		kprintf("xhci%d: host controller error; controller stopped\n", hc->index);
		wr32(hc->op, OP_USBCMD, rd32(hc->op, OP_USBCMD) & ~CMD_RUN);
		hc->dead = true;
	}
}

static bool any_keyboard(void)
{
	for (unsigned i = 0; i < nkeyboards; i++)
		if (keyboards[i]->active && !keyboards[i]->dev.hc->dead)
			return true;
	return false;
}

/* Look at hub ports that changed, give back the slots of unplugged devices, probe newly connected ports. */
static void deferred_work(void)
{
	for (unsigned i = 0; i < nhubs; i++)
		if (hubs[i]->active && hubs[i]->hub_changed && !hub_gone[i] && !hubs[i]->dev.hc->dead)
			hub_changes(hubs[i]);
	for (unsigned i = 0; i < nkeyboards;) {
		struct keyboard *k = keyboards[i];
		if (!k->gone || k->dev.hc->dead) {
			i++;
			continue;
		}
		struct trb ev;
		if (command(k->dev.hc, 0, TRB_TYPE(TRB_DISABLE_SLOT) | TRB_SLOT(k->dev.slot), &ev) == 0) {
			/* The controller forgot the slot: its memory is ours again. */
			k->dev.hc->dcbaa[k->dev.slot] = 0;
			pmm_free_page(k->ring.phys);
			dev_free(&k->dev);
			kfree(k);
		} /* else kept: the controller may still write to it */
		keyboards[i] = keyboards[--nkeyboards];
	}
	/* After the devices behind them: a hub is their parent and translator. */
	for (unsigned i = 0; i < nhubs;) {
		struct keyboard *h = hubs[i];
		struct usb_dev *hub = &h->dev;
		if (!hub_gone[i] || hub->hc->dead) {
			i++;
			continue;
		}
		struct trb ev;
		if (command(hub->hc, 0, TRB_TYPE(TRB_DISABLE_SLOT) | TRB_SLOT(hub->slot), &ev) == 0) {
			hub->hc->dcbaa[hub->slot] = 0;
			dev_free(hub);
			if (h->ring.phys)
				pmm_free_page(h->ring.phys);
			kfree(h);
		}
		hubs[i] = hubs[--nhubs];
		hub_gone[i] = hub_gone[nhubs];
	}
	bool plugged = false;
	for (unsigned c = 0; c < ncontrollers; c++)
		for (unsigned port = 1; port <= controllers[c].max_ports; port++)
			plugged |= controllers[c].port_plugged[port];
	if (!plugged)
		return;
	/* A plug just went in: let its contacts settle first (USB 2.0 §7.1.7.3, TATTDB). */
	pause_ns(DEBOUNCE_NS);
	for (unsigned c = 0; c < ncontrollers; c++) {
		struct xhci *hc = &controllers[c];
		for (unsigned port = 1; port <= hc->max_ports && !hc->dead; port++)
			if (hc->port_plugged[port])
				port_probe(hc, port);
	}
}

/* Whether an event waits on any live controller's ring (a look, nothing taken). */
static bool events_pending(void)
{
	for (unsigned i = 0; i < ncontrollers; i++) {
		struct xhci *hc = &controllers[i];
		if (!hc->dead && (__atomic_load_n(&hc->events[hc->ev_dequeue].control, __ATOMIC_ACQUIRE) & TRB_CYCLE) ==
					 hc->ev_cycle)
			return true;
	}
	return false;
}

/* Type again what held keys typed, when due. Returns the next time one is due (UINT64_MAX: none). */
static uint64_t keyboard_repeats(void)
{
	uint64_t now = time_now_ns(), next = UINT64_MAX;
	for (unsigned i = 0; i < nkeyboards; i++) {
		struct keyboard *k = keyboards[i];
		if (!k->active || !k->state.repeat_len)
			continue;
		if (now >= k->repeat_at) {
			for (unsigned j = 0; j < k->state.repeat_len; j++)
				console_input_push(k->state.repeat[j]);
			/* A thread that ran late types once, not a burst to catch up. */
			k->repeat_at = now - k->repeat_at > REPEAT_PERIOD_NS ? now + REPEAT_PERIOD_NS
									   : k->repeat_at + REPEAT_PERIOD_NS;
		}
		if (k->repeat_at < next)
			next = k->repeat_at;
	}
	return next;
}

/* The USB thread: drain the event rings, do what the events asked, repeat held keys, sleep. */
static void usb_thread_fn(void *arg)
{
	for (;;) {
		for (unsigned i = 0; i < ncontrollers; i++) {
			struct xhci *hc = &controllers[i];
			struct trb ev;
			/* Bounded: a controller that floods events cannot keep the thread here. */
			for (unsigned n = 0; !hc->dead && n < EVENT_TRBS && next_event(hc, &ev); n++)
				dispatch_event(hc, &ev);
		}
		deferred_work();
		uint64_t repeat = keyboard_repeats();
		if (!use_irq && !any_keyboard())
			break;
		/* Prepared before the last look, so an interrupt after it still ends the sleep. */
		thread_prepare_sleep();
		if (events_pending()) {
			thread_cancel_sleep();
			continue;
		}
		uint64_t deadline = use_irq ? UINT64_MAX : time_now_ns() + POLL_PERIOD_NS;
		(void)thread_sleep(repeat < deadline ? repeat : deadline);
	}
	kprintf("usb: no keyboard or mouse left; polling stopped\n");
}

/*
 * A controller's MSI: acknowledge it and wake the USB thread, nothing more.
 * The interrupter stays quiet until the thread has moved the dequeue
 * pointer past the events (ERDP's busy bit), so this cannot storm.
 */
static void xhci_interrupt(unsigned vector, void *frame)
{
	for (unsigned i = 0; i < ncontrollers; i++) {
		struct xhci *hc = &controllers[i];
		if (hc->vector == vector && !hc->dead) {
			wr32(hc->op, OP_USBSTS, STS_EINT);
			wr32(hc->rt, RT_IMAN, IMAN_IE | IMAN_IP);
		}
	}
	struct thread *t = __atomic_load_n(&usb_thread, __ATOMIC_ACQUIRE);
	if (t)
		thread_wake(t, 0);
	arch_lapic_eoi();
}

/* Interrupts for @hc through MSI. Returns false when it has to be polled. */
static bool enable_msi(struct xhci *hc)
{
	uint64_t address;
	uint32_t data;
	if (arch_msi_alloc(xhci_interrupt, &address, &data))
		return false;
	hc->vector = data & 0xff; /* before the first message can come */
	if (pci_msi_enable(hc->pci, address, data)) {
		hc->vector = 0;
		return false;
	}
	wr32(hc->rt, RT_IMAN, IMAN_IE | IMAN_IP);
	wr32(hc->op, OP_USBCMD, rd32(hc->op, OP_USBCMD) | CMD_INTE);
	return true;
}

void xhci_init(void)
{
	unsigned n;
	const struct pci_device *devs = pci_devices(&n);
	for (unsigned i = 0; i < n; i++)
		if (devs[i].class_code == 0x0c && devs[i].subclass == 0x03 && devs[i].prog_if == 0x30)
			controller_probe(&devs[i]);
	bool live = false;
	use_irq = true;
	for (unsigned i = 0; i < ncontrollers; i++) {
		struct xhci *hc = &controllers[i];
		if (hc->dead)
			continue;
		live = true;
		if (enable_msi(hc)) {
			kprintf("xhci%d: events by message-signalled interrupt, vector 0x%x\n", hc->index, hc->vector);
		} else {
			use_irq = false;
			kprintf("xhci%d: no MSI; polled every 10 ms while a keyboard or mouse is attached\n", hc->index);
		}
	}
	if (!live || (!use_irq && !any_keyboard()))
		return;
	struct thread *t = kthread_create(usb_thread_fn, NULL, 40);
	if (!t) {
		kprintf("usb: cannot start the USB thread; keyboards and mice unused\n");
		return;
	}
	__atomic_store_n(&usb_thread, t, __ATOMIC_RELEASE);
	/* An interrupt before the store woke nobody: one wake-up covers it. */
	thread_wake(t, 0);
}
