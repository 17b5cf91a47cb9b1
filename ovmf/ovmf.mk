# SPDX-License-Identifier: MIT
# Firmware for QEMU: Debian's packaged OVMF, never a binary in this repository.
# Override OVMF_CODE / OVMF_VARS to use another build. Each QEMU run gets its
# own writable copy of the VARS template (the runner makes it under build/).
OVMF_CODE ?= $(firstword $(wildcard /usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/OVMF/OVMF_CODE.fd /usr/share/ovmf/OVMF.fd))
OVMF_VARS ?= $(firstword $(wildcard /usr/share/OVMF/OVMF_VARS_4M.fd /usr/share/OVMF/OVMF_VARS.fd))
