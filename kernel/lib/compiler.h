// SPDX-License-Identifier: MIT
// Attributes the compiler checks for us.
#ifndef QUILT_LIB_COMPILER_H
#define QUILT_LIB_COMPILER_H

/* The result says whether the call worked (or owns memory): ignoring it does not compile. */
#define __must_check __attribute__((warn_unused_result))

#endif
