#!/usr/bin/env bash
# Installs what a fresh machine lacks: the pinned pnpm and, for the browser tests, Debian's chromium.
set -euo pipefail
want=$(node -p "require('./package.json').packageManager.split('@')[1]")
if [ "$(pnpm --version 2>/dev/null || true)" != "$want" ]; then
  npm install -g "pnpm@$want" >/dev/null
fi
if [ "${BACKPROP_SKIP_CHROMIUM:-}" = "" ] && ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "bootstrap: could not install chromium; browser tests will fail" >&2
  fi
fi
echo "pnpm $(pnpm --version), node $(node --version), chromium: $(command -v chromium || echo missing)"
