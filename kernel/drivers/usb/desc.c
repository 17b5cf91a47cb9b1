// SPDX-License-Identifier: MIT
// Configuration descriptor parsing (see usb.h). Every length comes from the
// device, so each is checked against what was read before it is used.
#include "kernel/drivers/usb/usb.h"

#include <stdbool.h>

#include "kernel/abi/errno.h"

#define HID_CLASS          3
#define HID_SUBCLASS_BOOT  1
#define HID_PROTOCOL_KBD   1
#define HID_PROTOCOL_MOUSE 2
#define EP_XFER_MASK       0x03
#define EP_XFER_INTERRUPT  0x03

static bool matches(int want, uint8_t have)
{
	return want < 0 || want == have;
}

int usb_find_interrupt_in(const uint8_t *desc, unsigned len, int cls, int subclass, int protocol,
			  struct usb_intr_in *out)
{
	if (len < USB_CONFIG_DESC_BYTES || desc[0] < USB_CONFIG_DESC_BYTES || desc[1] != USB_DT_CONFIGURATION)
		return -EINVAL;
	/* wTotalLength may promise less than was read: trust the smaller. */
	unsigned total = desc[2] | (unsigned)desc[3] << 8;
	if (total < len)
		len = total;
	bool in_match = false; /* the descriptors since the last interface belong to a wanted one */
	for (unsigned at = desc[0]; at + 2 <= len;) {
		unsigned dlen = desc[at], type = desc[at + 1];
		if (dlen < 2 || at + dlen > len)
			break;
		const uint8_t *d = desc + at;
		if (type == USB_DT_INTERFACE && dlen >= 9) {
			in_match = d[3] == 0 && matches(cls, d[5]) && matches(subclass, d[6]) && matches(protocol, d[7]);
			if (in_match)
				out->interface = d[2];
		} else if (type == USB_DT_ENDPOINT && dlen >= 7 && in_match && (d[2] & 0x80) &&
			   (d[3] & EP_XFER_MASK) == EP_XFER_INTERRUPT) {
			out->config_value = desc[5];
			out->endpoint = d[2];
			out->max_packet = (d[4] | (uint16_t)d[5] << 8) & 0x7ff;
			out->interval = d[6];
			return 0;
		}
		at += dlen;
	}
	return -ENOENT;
}

int usb_find_boot_keyboard(const uint8_t *desc, unsigned len, struct usb_intr_in *out)
{
	return usb_find_interrupt_in(desc, len, HID_CLASS, HID_SUBCLASS_BOOT, HID_PROTOCOL_KBD, out);
}

int usb_find_boot_mouse(const uint8_t *desc, unsigned len, struct usb_intr_in *out)
{
	return usb_find_interrupt_in(desc, len, HID_CLASS, HID_SUBCLASS_BOOT, HID_PROTOCOL_MOUSE, out);
}

int usb_find_boot_hid(const uint8_t *desc, unsigned len, struct usb_intr_in *out, bool *mouse)
{
	struct usb_intr_in kbd, ptr;
	int kerr = usb_find_boot_keyboard(desc, len, &kbd), merr = usb_find_boot_mouse(desc, len, &ptr);
	*mouse = merr == 0 && (kerr != 0 || ptr.interface < kbd.interface);
	if (*mouse) {
		*out = ptr;
		return 0;
	}
	if (kerr == 0)
		*out = kbd;
	return kerr;
}
