#!/usr/bin/env bash
# Screenshots of the built UI with the fake Tauri shell (ui/dev/fake-tauri.js), via headless Debian chromium.
#   ui/dev/screenshot.sh [OUT_DIR] [SET]      (default /tmp, base) — run ui/dev/build.sh first.
#   DIST=/some/dir ui/dev/screenshot.sh ...   shoots the build in DIST (default ui/dist), as build.sh made it.
# SET base writes ui-1080.png, ui-2160.png, ui-1080-en.png, ui-1080-offline.png, ui-1080-reconnecting.png,
# ui-1080-noshell.png. SET wartime (平战转换) writes ui-wartime-{peacetime,level1,level3,level1-exercise}-{1080,2160}.png,
# ui-wartime-level1-en-1080.png, ui-wartime-nofocus-1080.png, ui-wartime-peacetime-exercise-1080.png,
# ui-wartime-level2-1080.png, ui-wartime-level4-offline-1080.png. SET all: both.
set -euo pipefail
UI_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-/tmp}"
SET="${2:-base}"
DIST="${DIST:-$UI_DIR/dist}"
PORT="${PORT:-8099}"
CHROMIUM="${CHROMIUM:-$(command -v chromium || command -v chromium-browser)}"
[ -f "$DIST/ui.js" ] || { echo "$DIST not built; run ui/dev/build.sh" >&2; exit 1; }
mkdir -p "$OUT"

# Serve dev/ next to the chosen build as dist/ (dev/index.html loads ../dist/).
ROOT_DIR="$(mktemp -d)"
ln -s "$UI_DIR/dev" "$ROOT_DIR/dev"
ln -s "$(cd "$DIST" && pwd)" "$ROOT_DIR/dist"
python3 -m http.server --bind 127.0.0.1 --directory "$ROOT_DIR" "$PORT" >/dev/null 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$ROOT_DIR"' EXIT
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

if [ "$SET" = base ] || [ "$SET" = all ]; then
  shot ui-1080 1920 1080 "lang=zh-CN"
  shot ui-2160 3840 2160 "lang=zh-CN"
  shot ui-1080-en 1920 1080 "lang=en"
  shot ui-1080-offline 1920 1080 "lang=zh-CN&conn=offline"
  shot ui-1080-reconnecting 1920 1080 "lang=en&conn=reconnecting"
  shot ui-1080-noshell 1920 1080 "lang=zh-CN&shell=none"
fi
if [ "$SET" = wartime ] || [ "$SET" = all ]; then
  for size in "1080 1920 1080" "2160 3840 2160"; do
    set -- $size
    shot "ui-wartime-peacetime-$1" "$2" "$3" "lang=zh-CN"
    shot "ui-wartime-level1-$1" "$2" "$3" "lang=zh-CN&mode=wartime&level=I"
    shot "ui-wartime-level3-$1" "$2" "$3" "lang=zh-CN&mode=wartime&level=III"
    shot "ui-wartime-level1-exercise-$1" "$2" "$3" "lang=zh-CN&mode=wartime&level=I&exercise=1"
  done
  shot ui-wartime-level1-en-1080 1920 1080 "lang=en&mode=wartime&level=I"
  shot ui-wartime-level2-1080 1920 1080 "lang=zh-CN&mode=wartime&level=II"
  shot ui-wartime-level4-offline-1080 1920 1080 "lang=zh-CN&mode=wartime&level=IV&conn=offline"
  shot ui-wartime-nofocus-1080 1920 1080 "lang=zh-CN&mode=wartime&level=II&focus=0"
  shot ui-wartime-peacetime-exercise-1080 1920 1080 "lang=zh-CN&exercise=1"
fi
