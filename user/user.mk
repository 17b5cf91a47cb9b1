# SPDX-License-Identifier: MIT
# User space: libc ($(BUILD)/user/libc.a + crt0.o) and one static program per
# directory, included by the top-level GNUmakefile (which provides BUILD, Q, CC).
#
# Every user/<dir>/ and user/tests/<dir>/ holding a main.c is a program made
# of all the .c and .S files of that directory:
#   user/<dir>/        -> $(BUILD)/user/bin/<dir>        -> /bin/<dir>
#   user/tests/<dir>/  -> $(BUILD)/user/bin/tests/<dir>  -> /bin/tests/<dir>
# Test programs also see user/tests/common/ (ktap.h, tu.h) and link its
# libtest.a; libc itself carries no test code.
#
# Exports:
#   USER_PROGRAMS   the built program files
#   USER_ROOT_ARGS  DEST=SRC pairs for fs/tools/mkcpio.py (bin/x=$(BUILD)/user/bin/x)
#   USER_CFLAGS, USER_SRCS   flags and sources, for compile_commands.json
#   target `user`   builds every program

BUILD ?= build
Q ?= @

USER_OUT := $(BUILD)/user

# SSE is allowed here (the kernel saves it per thread); no red zone, no PIC.
USER_CFLAGS := --target=x86_64-unknown-none-elf -ffreestanding -nostdlib -fno-pic -fno-pie \
	-mno-red-zone -fno-stack-protector -O2 -g -std=gnu11 -Wall -Wextra -Werror \
	-Wno-unused-parameter -I. -Iuser/libc/include -MMD -MP
USER_LDFLAGS := -static -nostdlib -z max-page-size=4096 -T user/user.ld

# The printf engine and the string functions are the kernel's own pure code, built here too.
USER_LIBC_SRCS := $(sort $(filter-out user/libc/crt0.S,$(wildcard user/libc/*.c user/libc/*.S))) kernel/lib/format.c kernel/lib/string.c
USER_LIBC_OBJS := $(USER_LIBC_SRCS:%=$(USER_OUT)/obj/%.o)
USER_LIBC := $(USER_OUT)/libc.a
USER_CRT0 := $(USER_OUT)/obj/user/libc/crt0.S.o

USER_PROGRAMS :=
USER_ROOT_ARGS :=
USER_ROOT_FILES :=
USER_OBJS := $(USER_LIBC_OBJS) $(USER_CRT0)
USER_SRCS := $(USER_LIBC_SRCS) user/libc/crt0.S

# USER_EXTRA_CFLAGS: set per target (test programs see user/tests/common).
$(USER_OUT)/obj/%.c.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $< (user)"
	$(Q)$(CC) $(USER_CFLAGS) $(USER_EXTRA_CFLAGS) -c $< -o $@

$(USER_OUT)/obj/%.S.o: %.S
	@mkdir -p $(@D)
	@echo "  AS      $< (user)"
	$(Q)$(CC) $(USER_CFLAGS) $(USER_EXTRA_CFLAGS) -c $< -o $@

# Remade when this file changes too, so a source moved out of a list leaves the archive.
$(USER_LIBC): $(USER_LIBC_OBJS) user/user.mk
	@echo "  AR      $@"
	$(Q)rm -f $@
	$(Q)llvm-ar rcs $@ $(filter %.o,$^)

# What test programs share and no other program needs (KTAP output, helpers):
# user/tests/common/, a library of its own, so libc carries no test code.
USER_TEST_CFLAGS := -Iuser/tests/common
USER_TESTLIB_SRCS := $(sort $(wildcard user/tests/common/*.c user/tests/common/*.S))
USER_TESTLIB_OBJS := $(USER_TESTLIB_SRCS:%=$(USER_OUT)/obj/%.o)
USER_TESTLIB := $(USER_OUT)/libtest.a
$(USER_TESTLIB_OBJS): USER_EXTRA_CFLAGS := $(USER_TEST_CFLAGS)
USER_OBJS += $(USER_TESTLIB_OBJS)
USER_SRCS += $(USER_TESTLIB_SRCS)

$(USER_TESTLIB): $(USER_TESTLIB_OBJS) user/user.mk
	@echo "  AR      $@"
	$(Q)rm -f $@
	$(Q)llvm-ar rcs $@ $(filter %.o,$^)

# user_program(source dir, path inside the root without the leading /,
#              extra cflags, extra libraries before libc)
define user_program
$(1)_SRCS := $$(sort $$(wildcard $(1)/*.c $(1)/*.S))
$(1)_OBJS := $$($(1)_SRCS:%=$(USER_OUT)/obj/%.o)
$$($(1)_OBJS): USER_EXTRA_CFLAGS := $(3)
USER_SRCS += $$($(1)_SRCS)
USER_OBJS += $$($(1)_OBJS)
USER_PROGRAMS += $(USER_OUT)/$(2)
USER_ROOT_ARGS += $(2)=$(USER_OUT)/root/$(2)
$(USER_OUT)/$(2): $(USER_CRT0) $$($(1)_OBJS) $(4) $(USER_LIBC) user/user.ld
	@mkdir -p $$(@D)
	@echo "  LD      $$@"
	$$(Q)ld.lld $(USER_LDFLAGS) $(USER_CRT0) $$($(1)_OBJS) $(4) $(USER_LIBC) -o $$@
# The root archive gets the program without debug information (a third of
# the size: faster to unpack and to load); build/ keeps the full one for gdb.
USER_ROOT_FILES += $(USER_OUT)/root/$(2)
$(USER_OUT)/root/$(2): $(USER_OUT)/$(2)
	@mkdir -p $$(@D)
	$$(Q)llvm-objcopy --strip-debug $$< $$@
endef

# The benchmarks and the fuzzer share the test helpers (KTAP, bounded children).
USER_TOOL_DIRS := user/bench user/fuzz
USER_APP_DIRS := $(filter-out $(USER_TOOL_DIRS),$(sort $(patsubst %/main.c,%,\
	$(filter-out user/tests/main.c,$(wildcard user/*/main.c)))))
USER_TEST_DIRS := $(sort $(patsubst %/main.c,%,$(wildcard user/tests/*/main.c)))

$(foreach d,$(USER_APP_DIRS),$(eval $(call user_program,$(d),bin/$(notdir $(d)))))
$(foreach d,$(USER_TOOL_DIRS),$(eval $(call user_program,$(d),bin/$(notdir $(d)),$(USER_TEST_CFLAGS),$(USER_TESTLIB))))
$(foreach d,$(USER_TEST_DIRS),$(eval $(call user_program,$(d),bin/tests/$(notdir $(d)),$(USER_TEST_CFLAGS),$(USER_TESTLIB))))

# Programs without libc or crt0, one per file: user/bare/<name>.S -> /bin/bare/<name>.
define bare_program
USER_SRCS += $(1)
USER_OBJS += $(USER_OUT)/obj/$(1).o
USER_PROGRAMS += $(USER_OUT)/bin/bare/$(2)
USER_ROOT_ARGS += bin/bare/$(2)=$(USER_OUT)/root/bin/bare/$(2)
USER_ROOT_FILES += $(USER_OUT)/root/bin/bare/$(2)
$(USER_OUT)/bin/bare/$(2): $(USER_OUT)/obj/$(1).o user/user.ld
	@mkdir -p $$(@D)
	@echo "  LD      $$@"
	$$(Q)ld.lld $(USER_LDFLAGS) $$< -o $$@
$(USER_OUT)/root/bin/bare/$(2): $(USER_OUT)/bin/bare/$(2)
	@mkdir -p $$(@D)
	$$(Q)llvm-objcopy --strip-debug $$< $$@
endef
$(foreach f,$(sort $(wildcard user/bare/*.S)),$(eval $(call bare_program,$(f),$(basename $(notdir $(f))))))

# /bin/reboot is /bin/poweroff under another name (it reads its word from argv[0]).
USER_ROOT_ARGS += bin/reboot=$(USER_OUT)/root/bin/poweroff

.PHONY: user
user: $(USER_PROGRAMS) $(USER_ROOT_FILES)

-include $(USER_OBJS:.o=.d)
