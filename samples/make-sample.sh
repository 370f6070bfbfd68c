#!/usr/bin/env bash
# Builds samples/sample.wim: a tiny Windows-like tree captured with wimlib-imagex, used by the
# README's quick start. The WIM is committed; this script documents (and can redo) how it was made.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/img
mkdir -p "$root/Windows/System32/drivers/etc" "$root/Windows/INF" "$root/Users/Public/Desktop" "$root/Program Files/Sample"
printf '# Copyright (c) 1993-2009 Microsoft Corp.\r\n#\r\n127.0.0.1       localhost\r\n::1             localhost\r\n' \
    > "$root/Windows/System32/drivers/etc/hosts"
printf '[Version]\r\nSignature="$Windows NT$"\r\n' > "$root/Windows/INF/sample.inf"
seq 1 20000 > "$root/Program Files/Sample/numbers.txt"
head -c 100000 /usr/bin/env > "$root/Program Files/Sample/tool.bin" || true
printf 'Hello from wimfs\n' > "$root/Users/Public/Desktop/readme.txt"
ln "$root/Users/Public/Desktop/readme.txt" "$root/Users/Public/readme-hardlink.txt"
ln -s ../../Windows/System32/drivers/etc/hosts "$root/Users/Public/hosts-link"
touch -d '2024-01-01 12:00:00' "$root" -r "$root"
rm -f "$here/sample.wim"
wimlib-imagex capture "$root" "$here/sample.wim" "Sample Windows" "A tiny Windows-like image" --compress=lzx >/dev/null
wimlib-imagex append "$root/Windows" "$here/sample.wim" "Windows folder only" >/dev/null
ls -l "$here/sample.wim"
