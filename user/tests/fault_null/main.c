// SPDX-License-Identifier: MIT
// Touches the never-mapped first page: the kernel must end this process with
// status 14 (spec §9.3) and carry on.
int main(void)
{
	*(volatile int *)8 = 1;
	return 0;
}
