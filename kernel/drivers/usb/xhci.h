// SPDX-License-Identifier: MIT
// xHCI (USB 3) host controllers and the USB keyboards and mice on their root
// ports: typed keys join the console input like the PS/2 keyboard's, mouse
// reports reach /dev/mouse/0 like the PS/2 mouse's.
#ifndef QUILT_DRIVERS_USB_XHCI_H
#define QUILT_DRIVERS_USB_XHCI_H

/*
 * xhci_init - take every xHCI controller pci_init() found from the firmware,
 * reset and start it, and set up each device on its root ports (and on a
 * USB 2 hub there) that has a HID boot keyboard or mouse interface; print
 * one line per controller and per device (or per failure: a controller or
 * device that misbehaves is left alone, never waited on without a time
 * limit). Then start the USB thread, which takes the controllers' events
 * from then on (woken by MSI), or, without MSI, polls only while a keyboard
 * or mouse is there.
 * Context: boot, after pci_init() and sched_init().
 */
void xhci_init(void);

#endif
