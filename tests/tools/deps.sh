#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Check the Debian packages Quilt builds and runs with; install the missing
# ones when root, else print the exact command. Fast when all are present.
set -euo pipefail
pkgs=(qemu-system-x86 ovmf gnu-efi mtools dosfstools clang lld llvm python3 make)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	$cmd
else
	echo "deps: missing Debian packages: ${missing[*]}" >&2
	echo "deps: run as root: apt-get update && $cmd" >&2
	exit 1
fi
