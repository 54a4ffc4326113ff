#!/usr/bin/env bash
# Build the cockpit UI into ui/dist: wasm (release) → wasm-bindgen (--target web) → copy index.html + style.css
# + the vendored MapLibre GL JS (dist/vendor/).
# wasm-bindgen-cli must be exactly the wasm-bindgen version in Cargo.lock. Do not run Debian's wasm-opt on it.
# Built with the `probe` feature (window.citydeckMap: screenshot.sh waits on it, bench-map.sh measures with it);
# the shipped cockpit (`cargo xtask ui`) is built without.
#   DIST=/some/dir ui/dev/build.sh     builds there instead (e.g. to screenshot without touching ui/dist);
#                                      ui/dev/screenshot.sh takes the same DIST.
set -euo pipefail
UI_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="$(cd "$UI_DIR/.." && pwd)"
DIST="${DIST:-$UI_DIR/dist}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
cd "$ROOT"
want="$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')"
have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')"
if [ "$want" != "$have" ]; then
  echo "wasm-bindgen-cli $have != crate $want; run: cargo install wasm-bindgen-cli --version $want" >&2
  exit 1
fi
cargo build -p ui --target wasm32-unknown-unknown --release --features probe
mkdir -p "$DIST"
wasm-bindgen --target web --no-typescript --out-dir "$DIST" \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/ui.wasm"
cp "$UI_DIR/index.html" "$UI_DIR"/*.css "$DIST/"
# MapLibre GL JS from ui/vendor (npm ci when node_modules is missing or older than the lock), as xtask does.
if [ ! -d "$UI_DIR/vendor/node_modules/maplibre-gl" ] || [ ! -d "$UI_DIR/vendor/node_modules/echarts" ] || [ "$UI_DIR/vendor/package-lock.json" -nt "$UI_DIR/vendor/node_modules/.package-lock.json" ]; then
  npm ci --prefix "$UI_DIR/vendor" --no-audit --no-fund
fi
mkdir -p "$DIST/vendor"
cp "$UI_DIR/vendor/node_modules/maplibre-gl/dist/maplibre-gl.js" "$UI_DIR/vendor/node_modules/maplibre-gl/dist/maplibre-gl.css" "$DIST/vendor/"
cp "$UI_DIR/vendor/node_modules/maplibre-gl/LICENSE.txt" "$DIST/vendor/maplibre-gl.LICENSE.txt"
# Apache ECharts (the vital signs' charts), the same way.
cp "$UI_DIR/vendor/node_modules/echarts/dist/echarts.min.js" "$DIST/vendor/"
cp "$UI_DIR/vendor/node_modules/echarts/LICENSE" "$DIST/vendor/echarts.LICENSE.txt"
cp "$UI_DIR/vendor/node_modules/echarts/NOTICE" "$DIST/vendor/echarts.NOTICE.txt"
ls -l "$DIST"
