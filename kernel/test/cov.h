// SPDX-License-Identifier: MIT
// Coverage counters of the coverage kernel (build/coverage/kernel.elf, built
// with clang's -fprofile-instr-generate -fcoverage-mapping): dumped over
// serial at the end of a boot for tests/tools/kernel_coverage.py to turn into a
// .profraw. In every other kernel there are no counters and the dump says so.
#ifndef QUILT_TEST_COV_H
#define QUILT_TEST_COV_H

/*
 * cov_dump - with "covdump" on the command line, print every counter on the
 * polled serial path (no lock, no allocation), between the marker lines
 *   covdump: begin counters=N
 *   covdump: end counters=N hash=H
 * Each line between them is "covdump: d " followed by space-separated
 * tokens: a hex value is one counter, "z" + hex n is a run of n zero
 * counters. H is the 64-bit hash h = h * 31 + value over all N counters in
 * order (h starts at 0), so a line lost or garbled on the way is noticed.
 * Without "covdump" it does nothing. Dumps at most once per boot (the first
 * of power-off and panic wins).
 * Context: any, at the end of a boot, including panic with other CPUs
 * stopped; counters other CPUs are still bumping are read as they are.
 */
#ifdef QUILT_COVERAGE
void cov_dump(void);
#else
static inline void cov_dump(void)
{
}
#endif

#endif
