#!/bin/bash
# End-to-end checks of the isofs command line: mount/unmount/info, --tree, exit codes and
# messages for bad input. Needs FUSE (fusermount3) and a built binary:
#
#   isofs/tests/cli.sh [PATH_TO_ISOFS]     (default: target/debug/isofs)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../../target/debug/isofs}
fx=$here/fixtures
mnt=$(mktemp -d)
out=$(mktemp -d)
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
expect_fail() { # DESCRIPTION PATTERN COMMAND...
    local what=$1 pattern=$2; shift 2
    local msg
    if msg=$("$@" 2>&1); then bad "$what: exit 0"; return; fi
    if [[ $msg == *"$pattern"* ]]; then ok; else bad "$what: message '$msg' lacks '$pattern'"; fi
}
cleanup() { fusermount3 -u "$mnt" 2>/dev/null; rm -rf "$mnt" "$out"; }
trap cleanup EXIT

expect_fail "missing image" "No such file" "$bin" mount /nonexistent.iso "$mnt"
expect_fail "not an image" "not an ISO 9660 or UDF image" "$bin" mount /etc/passwd "$mnt"
expect_fail "missing mount point" "mount point" "$bin" mount "$fx/deb.iso" /nonexistent-dir
expect_fail "absent tree" "has no udf tree" "$bin" mount "$fx/deb.iso" "$mnt" --tree udf
expect_fail "unknown tree" "unknown tree" "$bin" mount "$fx/deb.iso" "$mnt" --tree hfs
expect_fail "not mounted" "is not mounted" "$bin" unmount "$mnt"

if "$bin" mount "$fx/deb.iso" "$mnt"; then ok; else bad "mount deb.iso"; fi
[[ $(cat "$mnt/README.txt") == "Debian-like test image" ]] && ok || bad "read README.txt"
[[ $(readlink "$mnt/link-rel") == README.txt ]] && ok || bad "readlink"
[[ -d "$mnt/a/b/c/d/e/f/g/h/i/j" ]] && ok || bad "relocated directory"
# Root mounts directly (fstype "fuse"); users go through fusermount3 ("fuse.isofs").
grep -E -q " $mnt .* - fuse(\.isofs)? " /proc/self/mountinfo && ok || bad "fuse mount listed"
touch "$mnt/new" 2>/dev/null && bad "write succeeded" || ok
expect_fail "busy mount point" "busy" "$bin" mount "$fx/deb.iso" "$mnt"
if "$bin" unmount "$mnt"; then ok; else bad "unmount"; fi

if "$bin" mount "$fx/udf-bridge.iso" "$mnt" --tree iso9660; then ok; else bad "mount --tree"; fi
[[ $(ls "$mnt") == README.TXT ]] && ok || bad "--tree iso9660 shows the README stub"
"$bin" unmount "$mnt" && ok || bad "unmount"
if "$bin" mount "$fx/udf-bridge.iso" "$mnt"; then ok; else bad "mount udf"; fi
[[ -f "$mnt/sources/install.wim" ]] && ok || bad "UDF chosen by default"
"$bin" unmount "$mnt" && ok || bad "unmount"

info=$("$bin" info "$fx/deb.iso") && ok || bad "info"
[[ $info == *"El Torito entry 2: UEFI"* ]] && ok || bad "info lists the EFI entry"
"$bin" info "$fx/deb.iso" --extract-boot "$out" > /dev/null && ok || bad "extract-boot"
[[ -s "$out/boot-2-uefi.img" ]] && ok || bad "EFI image written"
expect_fail "info of a non-image" "not an ISO" "$bin" info /etc/passwd

echo "$pass passed, $fail failed"
[[ $fail == 0 ]]
