// SPDX-License-Identifier: MIT
// Boot profile ("bootprof" on the command line, `make run BOOTPROF=1`): the
// time of each boot step from the kernel's first instruction to the first
// read of the console (a shell waiting at its prompt).
#ifndef QUILT_LOG_BOOTPROF_H
#define QUILT_LOG_BOOTPROF_H

/* Close the step that ran since the previous mark and call it @step. Context: boot CPU, boot only. */
void bootprof_mark(const char *step);
/* Print the steps marked so far (when "bootprof" is set). Context: after time_init. */
void bootprof_report(void);
/* A process reads the console: the first time, print how long the boot took. Context: any. */
void bootprof_console_read(void);

#endif
