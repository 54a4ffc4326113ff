#!/usr/bin/env bash
# Screenshots of the built UI (ui/dist) with the fake Tauri shell, via headless Debian chromium.
#   ui/dev/screenshot.sh [OUT_DIR]      (default /tmp) — run ui/dev/build.sh first.
# Writes ui-1080.png, ui-2160.png, ui-1080-en.png, ui-1080-offline.png, ui-1080-reconnecting.png,
# ui-1080-noshell.png.
set -euo pipefail
UI_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-/tmp}"
PORT="${PORT:-8099}"
CHROMIUM="${CHROMIUM:-$(command -v chromium || command -v chromium-browser)}"
[ -f "$UI_DIR/dist/ui.js" ] || { echo "ui/dist not built; run ui/dev/build.sh" >&2; exit 1; }

python3 -m http.server --bind 127.0.0.1 --directory "$UI_DIR" "$PORT" >/dev/null 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -fsS "http://127.0.0.1:$PORT/dev/index.html" >/dev/null 2>&1 && break
  sleep 0.1
done

shot() { # name width height query
  local profile
  profile="$(mktemp -d)"
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
    --disable-sync --no-first-run --hide-scrollbars --user-data-dir="$profile" \
    --window-size="$2,$3" --virtual-time-budget=8000 --screenshot="$OUT/$1.png" \
    "http://127.0.0.1:$PORT/dev/index.html?still=1&$4" >/dev/null 2>&1
  rm -rf "$profile"
  echo "$OUT/$1.png"
}

shot ui-1080 1920 1080 "lang=zh-CN"
shot ui-2160 3840 2160 "lang=zh-CN"
shot ui-1080-en 1920 1080 "lang=en"
shot ui-1080-offline 1920 1080 "lang=zh-CN&conn=offline"
shot ui-1080-reconnecting 1920 1080 "lang=en&conn=reconnecting"
shot ui-1080-noshell 1920 1080 "lang=zh-CN&shell=none"
