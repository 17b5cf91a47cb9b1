// SPDX-License-Identifier: MIT
// The kernel command line: space-separated words, "name" or "name=value",
// then optionally " -- " followed by the init command and its arguments.
#ifndef QUILT_CMDLINE_H
#define QUILT_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

/* Context: boot; copies @text (the copy stays valid). */
void cmdline_init(const char *text);
const char *cmdline_text(void);
/* True when @name appears as a word, with or without a value. */
bool cmdline_has(const char *name);
/* Copy the value of name=value into @buf; false when absent. */
bool cmdline_get(const char *name, char *buf, size_t len);
/* The init command after " -- ", or NULL. */
const char *cmdline_init_command(void);

/* Pure helper behind the above, host-tested: find @name's value in @text. */
bool cmdline_lookup(const char *text, const char *name, const char **value, size_t *value_len);

#endif
