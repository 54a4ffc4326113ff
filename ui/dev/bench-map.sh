#!/usr/bin/env bash
# Frame-time benchmark of the MapLibre cockpit map in headless Chromium (WebGL through SwiftShader, so absolute
# numbers are CPU-bound and only the ratio means much): the empty map vs 10,000 live incidents with 100 updates
# a second, each measured while the map pans continuously (every animation frame repaints).
#   ui/dev/bench-map.sh [SECONDS] [POINTS] [RATE]     (default 10 s, 10000 points, 100 updates/s)
#   DIST=/some/dir ui/dev/bench-map.sh                 the build in DIST (default ui/dist), as build.sh made it
# Prints one JSON line per run (window.citydeckMap.stopFrameProbe() + stats()) and the mean / p95 ratios.
set -euo pipefail
UI_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECS="${1:-10}"
POINTS="${2:-10000}"
RATE="${3:-100}"
DIST="${DIST:-$UI_DIR/dist}"
PORT="${PORT:-8098}"
[ -f "$DIST/ui.js" ] || { echo "$DIST not built; run ui/dev/build.sh" >&2; exit 1; }

ROOT_DIR="$(mktemp -d)"
ln -s "$UI_DIR/dev" "$ROOT_DIR/dev"
ln -s "$(cd "$DIST" && pwd)" "$ROOT_DIR/dist"
node "$UI_DIR/dev/mapbase.js" "$ROOT_DIR/mapbase" "http://127.0.0.1:$PORT/mapbase/" >/dev/null
python3 -m http.server --bind 127.0.0.1 --directory "$ROOT_DIR" "$PORT" >/dev/null 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$ROOT_DIR"' EXIT
for _ in $(seq 50); do
  curl -fsS "http://127.0.0.1:$PORT/dev/index.html" >/dev/null 2>&1 && break
  sleep 0.1
done

BASE="http://127.0.0.1:$PORT/dev/index.html?still=1&lang=zh-CN&live=0&mapbase=http://127.0.0.1:$PORT/mapbase/"
# Pan a little every frame (a steady stream of repaints), probe the frame intervals meanwhile.
PAN="(()=>{const m=citydeckMap.map;let k=0;window.__pan=true;(function f(){if(!window.__pan)return;m.panBy([(k++%240<120?3:-3),0],{duration:0});requestAnimationFrame(f)})();citydeckMap.startFrameProbe();return true})()"
STOP="(()=>{window.__pan=false;const r=citydeckMap.stopFrameProbe();r.stats=citydeckMap.stats();r.features=citydeckMap.featureCount();return JSON.stringify(r)})()"
READY="window.citydeckMap&&citydeckMap.ready&&citydeckMap.ready()&&citydeckMap.stats().pending===0"

run() { # label query
  python3 "$UI_DIR/dev/cdp.py" 1920 1080 "$BASE&$2" "until:$READY" wait:4 "eval:$PAN" "wait:$SECS" "eval:$STOP" |
    tail -1 | python3 -c "import json,sys; r=json.loads(json.load(sys.stdin)); r['run']='$1'; print(json.dumps(r))"
}
EMPTY="$(run empty "empty=1")"
LOADED="$(run "${POINTS}pts-${RATE}ups" "empty=1&mappoints=$POINTS&mapupdates=$RATE")"
echo "$EMPTY"
echo "$LOADED"
python3 - "$EMPTY" "$LOADED" <<'EOF'
import json, sys
e, l = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"mean frame {e['meanMs']:.1f} ms → {l['meanMs']:.1f} ms (×{l['meanMs'] / e['meanMs']:.2f}); "
      f"p95 {e['p95Ms']:.1f} → {l['p95Ms']:.1f} ms (×{l['p95Ms'] / e['p95Ms']:.2f}); "
      f"{l['features']} incidents, {l['stats']['pushes']} source pushes, slowest per-frame pass {l['stats']['maxFrameMs']:.1f} ms")
EOF
