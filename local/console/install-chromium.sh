#!/bin/sh
# Installs Debian's Chromium for the console's browser tests (`npm run local:browser:install`).
# Playwright's own browser download is not used. Without root it says what to run instead; the
# browser tests skip themselves, saying so, where Chromium is absent.
set -e
browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$browser" ]; then
  echo "browser tests: Chromium found at $browser"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "browser tests: no Chromium at $browser; install it (Debian: sudo apt-get install chromium) or set CHROMIUM_PATH; they skip until then"
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
echo "browser tests: installed $("$browser" --version)"
