#!/bin/sh
# What the browser test needs and pip cannot give: Debian's Chromium and a CJK font for the
# HTML's own text. Installs them when missing (as root, through apt) and says so in one line.
# Never fails `make test` by itself: if the install is impossible the browser test fails and
# names what is missing.
set -u
need=""
[ -x /usr/bin/chromium ] || need=" chromium"
if ! fc-list :lang=zh family 2>/dev/null | grep -q .; then
    need="$need fonts-noto-cjk"
fi
[ -z "$need" ] && exit 0

log="${TMPDIR:-/tmp}/ensure-browser.$$.log"
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-browser: missing$need and cannot install it here (needs root and apt-get); the browser test will fail" >&2
    exit 0
fi
echo "ensure-browser: installing$need (Debian packages, once) …" >&2
if DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$log" 2>&1 &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >>"$log" 2>&1; then
    rm -f "$log"
else
    echo "ensure-browser: installing$need failed (log: $log); the browser test will fail" >&2
fi
exit 0
