#!/usr/bin/env bash
# Install the system packages the end-to-end browser tests, the grader's sandbox and
# Chinese plots need: Debian's Chromium, bubblewrap, the Noto CJK and colour emoji fonts. Does nothing when they are present,
# or when not root / no apt-get (then the browser tests say why they are skipped).
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
fc-list 2>/dev/null | grep -qi "Noto Color Emoji" || need+=(fonts-noto-color-emoji)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "[mlp-course] not installing ${need[*]} (needs root and apt-get)"
  exit 0
fi
echo "[mlp-course] installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" fontconfig >/dev/null
