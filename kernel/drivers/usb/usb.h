// SPDX-License-Identifier: MIT
// USB framework definitions host controller drivers share: standard and
// HID class requests, descriptor types, and the search of a configuration
// descriptor for an interface's interrupt IN endpoint, a boot keyboard's, a
// boot mouse's or a hub's (pure, host-tested, in desc.c).
#ifndef QUILT_DRIVERS_USB_USB_H
#define QUILT_DRIVERS_USB_USB_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/compiler.h"

/* bmRequestType: direction, type, recipient (USB 2.0 §9.3). */
#define USB_DIR_IN          0x80
#define USB_TYPE_CLASS      0x20
#define USB_RECIP_INTERFACE 0x01

/* Standard requests (USB 2.0 table 9-4) and the HID class ones (HID 1.11 §7.2). */
#define USB_REQ_GET_DESCRIPTOR    0x06
#define USB_REQ_SET_CONFIGURATION 0x09
#define HID_REQ_SET_IDLE          0x0a
#define HID_REQ_SET_PROTOCOL      0x0b
#define HID_PROTOCOL_BOOT         0

/* Descriptor types. */
#define USB_DT_DEVICE        1
#define USB_DT_CONFIGURATION 2
#define USB_DT_INTERFACE     4
#define USB_DT_ENDPOINT      5

#define USB_DEVICE_DESC_BYTES 18
#define USB_CLASS_HUB         0x09 /* bDeviceClass */
#define USB_CONFIG_DESC_BYTES 9

/* An interface's interrupt IN endpoint, as a driver needs it from the configuration descriptor. */
struct usb_intr_in {
	uint8_t config_value;   /* bConfigurationValue, for SET_CONFIGURATION */
	uint8_t interface;      /* bInterfaceNumber */
	uint8_t endpoint;       /* bEndpointAddress of its interrupt IN endpoint (bit 7 set) */
	uint16_t max_packet;    /* wMaxPacketSize bits 10:0 */
	uint8_t interval;       /* bInterval as the descriptor has it */
};

/*
 * usb_find_interrupt_in - walk the @len bytes of a configuration descriptor
 * (with its interface, class and endpoint descriptors) for the first
 * interface, alternate setting 0, of class @cls, @subclass and @protocol
 * (each -1 for any) that has an interrupt IN endpoint. Descriptors that
 * are too short or run past @len end the walk.
 * Returns 0 with @out filled, -ENOENT (no such interface) or -EINVAL (not
 * a configuration descriptor). Context: any; pure.
 */
int __must_check usb_find_interrupt_in(const uint8_t *desc, unsigned len, int cls, int subclass, int protocol,
				       struct usb_intr_in *out);

/* usb_find_boot_keyboard - usb_find_interrupt_in() for a HID boot keyboard (3/1/1). */
int __must_check usb_find_boot_keyboard(const uint8_t *desc, unsigned len, struct usb_intr_in *out);

/* usb_find_boot_mouse - usb_find_interrupt_in() for a HID boot mouse (3/1/2). */
int __must_check usb_find_boot_mouse(const uint8_t *desc, unsigned len, struct usb_intr_in *out);

/*
 * usb_find_boot_hid - the boot keyboard or boot mouse interface a driver
 * that takes one interface per device should use: the only one, or, when
 * the device has both, the one with the lower interface number, which is
 * the device's main function (a wireless receiver lists its keyboard
 * first; a gaming mouse lists its mouse first and a keyboard interface
 * for its extra buttons after it). *@mouse says which it is. Returns as
 * usb_find_interrupt_in(). Context: any; pure.
 */
int __must_check usb_find_boot_hid(const uint8_t *desc, unsigned len, struct usb_intr_in *out, bool *mouse);

#endif
