// SPDX-License-Identifier: MIT
// How spinlocks queue (see spinlock.h): in ticket order on a real machine,
// test-and-set under a hypervisor. "spinlocks=fair" or "spinlocks=tas" on the
// command line overrides the choice (the tests run the ticket path that way).
#include "kernel/sync/spinlock.h"

#include "kernel/cmdline.h"
#include "kernel/lib/string.h"
#include "kernel/log/log.h"

bool spin_fair = true;

void spin_choose_order(void)
{
	char how[8];
	if (cmdline_get("spinlocks", how, sizeof(how)) && (!strcmp(how, "fair") || !strcmp(how, "tas")))
		spin_fair = !strcmp(how, "fair");
	else
		spin_fair = !arch_on_hypervisor();
	kprintf("sync: spinlocks %s\n", spin_fair ? "in ticket order" : "test-and-set (hypervisor)");
}
