#!/usr/bin/env bash
# Builds the web chat widget (web/dist/widget.js) from web/src with the npm packages pinned in
# web/package-lock.json. Installs Node.js with apt when it is missing (as root). Skips what is
# already up to date: npm ci when the lock changed, the build when a source changed.
set -euo pipefail
cd "$(dirname "$0")/../web"

if ! command -v npm >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> apt-get install nodejs npm"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs >/dev/null
    command -v npm >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
  else
    echo "Node.js and npm are needed to build the widget (as root: apt-get install nodejs npm)." >&2
    exit 1
  fi
fi

lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f node_modules/.installed ] || [ "$(cat node_modules/.installed)" != "$lock_hash" ]; then
  echo "==> npm ci (web/)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.installed
fi

if [ ! -f dist/widget.js ] || [ -n "$(find src build.mjs package-lock.json -newer dist/widget.js -print -quit)" ]; then
  node build.mjs
fi
