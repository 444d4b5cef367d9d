#!/usr/bin/env bash
# Installs what the project needs, once: system packages (apt, when root), a .venv with every
# Python package pinned by requirements/constraints.txt. Re-running it with nothing changed
# takes a second: a stamp records the hash of the requirement files.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv
STAMP=$VENV/.installed
APT_PACKAGES=(libfreetype-dev libqhull-dev pkg-config redis-server postgresql nginx-light curl)
# The browser tests drive Debian's Chromium (WITH_BROWSER=1, set by `make test`).
# With them, Debian's prometheus for its promtool (~95 MB installed; the alert rules' test runs
# `promtool check rules` and skips, saying so, when it is absent).
if [ "${WITH_BROWSER:-0}" = 1 ]; then APT_PACKAGES+=(chromium prometheus); fi

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Missing system packages: ${missing[*]}. Install them (as root: apt-get install ${missing[*]})." >&2
    exit 1
  fi
fi

want=$(cat requirements/*.txt | sha256sum | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  exit 0
fi

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
echo "==> pip install (first time: a few minutes, TensorFlow is large)"
# Rasa 3.6.21 declares python<3.11 but runs on 3.11 with these pins (../shared/PLATFORM.md).
# matplotlib 3.5 has no cp311 wheel: its source build uses Debian's freetype and qhull.
MPLSETUPCFG=$PWD/requirements/mplsetup.cfg "$VENV/bin/pip" install -q --disable-pip-version-check \
  --ignore-requires-python -c requirements/constraints.txt \
  -r requirements/base.txt -r requirements/dev.txt
echo "$want" > "$STAMP"
echo "==> installed in $SECONDS s"
