#!/usr/bin/env bash
# Install the system packages the end-to-end browser tests, the grader's sandbox and
# Chinese plots need: Debian's Chromium, bubblewrap, the Noto CJK and colour emoji fonts;
# and for the hub test, git and configurable-http-proxy (npm). Does nothing when they are present,
# or when not root / no apt-get (then the browser tests say why they are skipped).
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
fc-list 2>/dev/null | grep -qi "Noto Color Emoji" || need+=(fonts-noto-color-emoji)
# the hub test: git for the student branch and nbgitpuller, npm for the proxy
command -v git >/dev/null 2>&1 || need+=(git)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "[mlp-course] not installing ${need[*]} (needs root and apt-get)"
  else
    echo "[mlp-course] installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" fontconfig >/dev/null
  fi
fi
# The hub test's proxy, configurable-http-proxy from the npm registry, into the project's
# git-ignored .cache/npm (nothing installed globally).
project="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -x "$project/.cache/npm/node_modules/.bin/configurable-http-proxy" ] && command -v npm >/dev/null 2>&1; then
  echo "[mlp-course] installing configurable-http-proxy into .cache/npm"
  npm install --prefix "$project/.cache/npm" --no-audit --no-fund --loglevel=error \
    'configurable-http-proxy@^5' >/dev/null \
    || echo "[mlp-course] configurable-http-proxy not installed (the hub test says why)"
fi
exit 0
