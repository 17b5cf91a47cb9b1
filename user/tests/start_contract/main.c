// SPDX-License-Identifier: MIT
// start_contract: the state a new program starts in (spec §10.4, §10.5,
// §12 item 10): RDI = argc, RSI = argv with argv[argc] == NULL, RSP 16-byte
// aligned below the argv array, the other registers 0, RFLAGS 0x202, default
// MXCSR and x87 control word, nothing mapped below USER_MIN. A child started
// with known arguments checks itself and reports through its exit status.
#include <errno.h>
#include <ktap.h>
#include <stdio.h>
#include <string.h>
#include <sys/proc.h>
#include <unistd.h>
#include "start_state.h"

/* Child: 0 when every rule holds, else the number of the first broken rule. */
static int child_check(int argc, char **argv)
{
	const struct start_state *s = &__start_state;
	if (s->rdi != (uint64_t)argc)
		return 10;
	if (s->rsi != (uint64_t)argv)
		return 11;
	if (argv[argc] != NULL)
		return 12;
	if (s->rsp % 16 != 0)
		return 13;
	if (s->rsp >= (uint64_t)argv)
		return 14; /* RSP lies below the pointer array */
	if ((uint64_t)argv % 8 != 0)
		return 15; /* OUR CHOICE: the array is 8-aligned */
	uint64_t others[] = { s->rax, s->rbx, s->rcx, s->rdx, s->rbp, s->r8, s->r9, s->r10,
			      s->r11, s->r12, s->r13, s->r14, s->r15 };
	for (unsigned i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		if (others[i] != 0)
			return 20 + (int)i;
	if (s->rflags != 0x202)
		return 40;
	if (s->mxcsr != 0x1F80)
		return 41;
	if (s->fcw != 0x037F)
		return 42;
	/* argv[0] is the lowest string and the strings are packed up to the top of the stack. */
	for (int i = 0; i + 1 < argc; i++)
		if (argv[i] + strlen(argv[i]) + 1 != argv[i + 1])
			return 43;
	if ((uint64_t)(argv[argc - 1] + strlen(argv[argc - 1]) + 1) != 0x7FFFFFFFF000ULL)
		return 44;
	return 0;
}

static int run(const char **argv)
{
	pid_t pid = spawn(argv, 0);
	if (pid == ERR)
		return -100;
	int status = -1000;
	wait_pid(pid, &status);
	return status;
}

KTAP_TEST(registers_and_stack_at_entry)
{
	const char *argv[] = { "/bin/tests/start_contract", "child", NULL };
	TEXPECT_EQ(run(argv), 0);
}

KTAP_TEST(many_odd_length_arguments)
{
	const char *argv[] = { "/bin/tests/start_contract", "child", "a", "bb", "ccc", "", "eeeee", NULL };
	TEXPECT_EQ(run(argv), 0);
}

KTAP_TEST(first_4_mib_unmapped)
{
	/* A child touching 0x3FF000 (just below USER_MIN) ends with status 14. */
	const char *argv[] = { "/bin/tests/start_contract", "touch-low", NULL };
	TEXPECT_EQ(run(argv), 14);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child") == 0)
		return child_check(argc, argv);
	if (argc > 1 && strcmp(argv[1], "touch-low") == 0)
		return *(volatile int *)0x3FF000;
	return ktap_main();
}
