#!/usr/bin/env bash
# Screenshots of the built UI with the fake Tauri shell (ui/dev/fake-tauri.js), via headless Debian chromium.
#   ui/dev/screenshot.sh [OUT_DIR] [SET]      (default /tmp, base) — run ui/dev/build.sh first.
#   DIST=/some/dir ui/dev/screenshot.sh ...   shoots the build in DIST (default ui/dist), as build.sh made it.
# SET base writes ui-1080.png, ui-2160.png, ui-1080-en.png, ui-1080-offline.png, ui-1080-reconnecting.png,
# ui-1080-noshell.png. SET wartime (平战转换) writes ui-wartime-{peacetime,level1,level3,level1-exercise}-{1080,2160}.png,
# ui-wartime-level1-en-1080.png, ui-wartime-nofocus-1080.png, ui-wartime-peacetime-exercise-1080.png,
# ui-wartime-level2-1080.png, ui-wartime-level4-offline-1080.png. SET offline (issue 6, offline-first actions) writes
# ui-offline-detail-{1080,2160}.png (online, detail panel with a pending note + stage change),
# ui-offline-detail-confirmed-1080.png (the same after the hub applied them), ui-offline-pending-{1080,2160}.png
# (offline, 3 pending actions, the banner), ui-offline-drawer-{1080,2160}.png (outbox drawer with conflicts),
# ui-offline-drawer-en-1080.png, ui-offline-form-1080.png (report form, location picked on the map),
# ui-offline-leader-1080.png (read-only detail), ui-offline-unverified-1080.png (opened offline, not signed in:
# actions allowed, the hub checks the role), ui-offline-wartime-1080.png. SET map (the MapLibre cockpit map, WebGL
# through SwiftShader, base map from ui/dev/mapbase.js) writes ui-map-{1080,2160}.png, ui-map-10k-{1080,2160}.png
# (10,000 incidents, clustered), ui-map-en-1080.png, ui-map-heat-1080.png, ui-map-zoom-1080.png (zoomed in, hover
# tooltip), ui-map-selected-1080.png (feed row clicked: the map flew there, detail panel),
# ui-map-wartime-{1080,2160}.png, ui-map-form-1080.png (report form, location picked on the map). SET all: every set.
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

# Base map stand-in (style.json, glyphs, districts.geojson) for the MapLibre map, as the desktop's map protocol.
node "$UI_DIR/dev/mapbase.js" "$ROOT_DIR/mapbase" "http://127.0.0.1:$PORT/mapbase/" >/dev/null

mapshot() { # name width height query [seconds] — real time over DevTools (ui/dev/cdp.py), WebGL via SwiftShader
  python3 "$UI_DIR/dev/cdp.py" "$2" "$3" \
    "http://127.0.0.1:$PORT/dev/index.html?still=1&mapbase=http://127.0.0.1:$PORT/mapbase/&$4" \
    "until:window.citydeckMap&&citydeckMap.ready&&citydeckMap.ready()&&citydeckMap.stats().pending===0" \
    "wait:${5:-4}" "shot:$OUT/$1.png"
}

shot() { # name width height query — with WebGL (SwiftShader) for MapLibre
  local profile
  profile="$(mktemp -d)"
  "$CHROMIUM" --headless --no-sandbox --use-gl=angle --use-angle=swiftshader --enable-unsafe-swiftshader \
    --ignore-gpu-blocklist --disable-background-networking --disable-component-update \
    --disable-sync --no-first-run --hide-scrollbars --user-data-dir="$profile" \
    --window-size="$2,$3" --virtual-time-budget="${BUDGET:-20000}" --screenshot="$OUT/$1.png" \
    "http://127.0.0.1:$PORT/dev/index.html?still=1&mapbase=http://127.0.0.1:$PORT/mapbase/&$4" >/dev/null 2>&1
  rm -rf "$profile"
  echo "$OUT/$1.png"
}

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
if [ "$SET" = offline ] || [ "$SET" = all ]; then
  # Spaces in step values are %20; the fake shell's `steps` automation clicks and types (see fake-tauri.js).
  NOTE="input:%23note-text=>%E5%B7%B2%E5%88%B0%E8%BE%BE%E7%8E%B0%E5%9C%BA%EF%BC%8C%E6%AD%A3%E5%9C%A8%E7%96%8F%E6%95%A3%E7%AB%99%E5%8F%B0%E4%B9%98%E5%AE%A2"
  PHOTO="input:%23note-photo=>IMG_20260321_1415.jpg"
  DETAIL_STEPS="click:.feed-row[data-grade=I];$NOTE;$PHOTO;click:[data-action=note];wait:300;click:[data-action=stage][data-to=feedback]"
  for size in "1080 1920 1080" "2160 3840 2160"; do
    set -- $size
    shot "ui-offline-detail-$1" "$2" "$3" "lang=zh-CN&live=0&apply_ms=600000&steps=$DETAIL_STEPS"
    shot "ui-offline-pending-$1" "$2" "$3" "lang=zh-CN&live=0&offline=1&pending=3"
    shot "ui-offline-drawer-$1" "$2" "$3" "lang=zh-CN&live=0&offline=1&pending=3&conflict=1&steps=click:%23outbox-badge"
  done
  shot ui-offline-detail-confirmed-1080 1920 1080 "lang=zh-CN&live=0&apply_ms=1500&steps=$DETAIL_STEPS"
  shot ui-offline-drawer-en-1080 1920 1080 "lang=en&live=0&offline=1&pending=3&conflict=1&steps=click:%23outbox-badge"
  shot ui-offline-form-1080 1920 1080 "lang=zh-CN&live=0&offline=1&steps=click:%23new-incident-button;input:%23ni-title=>Hakaniemi%20%E5%9C%B0%E4%B8%8B%E9%80%9A%E9%81%93%E7%A7%AF%E6%B0%B4;click:%23ni-class%20[data-class=natural_disaster];click:%23ni-grade%20[data-grade=III];clickat:.map-ph-frame@62,30"
  shot ui-offline-unverified-1080 1920 1080 "lang=zh-CN&live=0&offline=1&me=none&role=field&pending=1&steps=click:.feed-row[data-grade=I]"
  shot ui-offline-leader-1080 1920 1080 "lang=zh-CN&live=0&role=leader&me=leader&steps=click:.feed-row[data-grade=I]"
  shot ui-offline-wartime-1080 1920 1080 "lang=zh-CN&live=0&mode=wartime&level=II&offline=1&pending=3&steps=click:.task-card[data-grade=II]"
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
if [ "$SET" = map ] || [ "$SET" = all ]; then
  for size in "1080 1920 1080" "2160 3840 2160"; do
    set -- $size
    mapshot "ui-map-$1" "$2" "$3" "lang=zh-CN&live=0"
    mapshot "ui-map-10k-$1" "$2" "$3" "lang=zh-CN&live=0&mappoints=10000"
    mapshot "ui-map-wartime-$1" "$2" "$3" "lang=zh-CN&live=0&mode=wartime&level=I"
  done
  mapshot ui-map-en-1080 1920 1080 "lang=en&live=0&mappoints=3000"
  mapshot ui-map-heat-1080 1920 1080 "lang=zh-CN&live=0&mappoints=3000&steps=click:[data-layer=heat];click:[data-layer=incidents]"
  mapshot ui-map-zoom-1080 1920 1080 "lang=zh-CN&live=0&mappoints=10000&steps=wait:1500;zoom:15.2@24.9436,60.1712;wait:2500;hovermarker:I" 8
  mapshot ui-map-selected-1080 1920 1080 "lang=zh-CN&live=0&mappoints=2000&steps=wait:1500;click:.feed-row[data-grade=I]" 7
  mapshot ui-map-form-1080 1920 1080 "lang=zh-CN&live=0&offline=1&steps=wait:1500;click:%23new-incident-button;input:%23ni-title=>Hakaniemi%20%E5%9C%B0%E4%B8%8B%E9%80%9A%E9%81%93%E7%A7%AF%E6%B0%B4;click:%23ni-grade%20[data-grade=III];clickat:.mapx-canvas%20canvas@62,30" 7
fi
