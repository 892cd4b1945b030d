#!/usr/bin/env bash
# Install the system packages the end-to-end browser tests, the grader's sandbox and
# Chinese plots need: Debian's Chromium, bubblewrap, the Noto CJK and colour emoji fonts;
# and for the hub test, git and configurable-http-proxy (npm). Does nothing when they are present,
# or when not root / no apt-get (then the browser tests say why they are skipped).
set -u
# The hub test's proxy, configurable-http-proxy from the npm registry, into the project's
# git-ignored .cache/npm (nothing installed globally).
project="$(cd "$(dirname "$0")/.." && pwd)"
proxy() {
  [ -x "$project/.cache/npm/node_modules/.bin/configurable-http-proxy" ] && return 0
  echo "[mlp-course] installing configurable-http-proxy into .cache/npm"
  npm install --prefix "$project/.cache/npm" --no-audit --no-fund --loglevel=error \
    'configurable-http-proxy@^5' >/dev/null \
    || echo "[mlp-course] configurable-http-proxy not installed (the hub test says why)"
}
# with npm already there, the proxy downloads while apt installs the rest
proxy_job=""
if command -v npm >/dev/null 2>&1; then
  proxy &
  proxy_job=$!
fi
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
# npm came with apt just now: the proxy after it
if [ -z "$proxy_job" ] && command -v npm >/dev/null 2>&1; then
  proxy
fi
[ -z "$proxy_job" ] || wait "$proxy_job"
exit 0
