#!/bin/sh
# One cockpit screenshot of a scene, run inside xvfb-run by `cargo xtask screenshots`:
#   screenshot-scene.sh <bin dir> <work dir> <width> <height> <scene> <out.png> <city.toml> <min_lon> <min_lat> <max_lon> <max_lat> [areas.geojson]
# scene: peacetime | wartime-III | wartime-I | exercise | district | street | cap-alert; the city file and its bbox:
# the city shown and simulated; the areas file (drill-down): the hub places incidents in its areas, and the scenes
# district / street sign the window in as the demo accounts scoped to a district / a street. cap-alert (issue 22):
# the feed account posts a signed CAP flood warning for an area around the city's centre (application/cap+xml),
# and the shot is taken with its feed row clicked: its area on the map, the detail panel's 预警信息 open.
# A real hub process (with two registered screens) fed by the simulator, the real window signed in as the duty
# commander; wartime scenes switch over the HTTP API (level I confirmed by the second commander).
set -eu
BIN=$1 WORK=$2 W=$3 H=$4 SCENE=$5 PNG=$6 CITY=$7 W_LON=$8 S_LAT=$9 E_LON=${10} N_LAT=${11} AREAS=${12:-}
PW=${CITYDECK_DEMO_PASSWORD:-citydeck-demo}
rm -rf "$WORK"; mkdir -p "$WORK"
EXTRA=""
[ "$SCENE" = exercise ] && EXTRA="--exercise"
[ -n "$AREAS" ] && EXTRA="$EXTRA --areas $AREAS"
LOGIN=commander
case "$SCENE" in district|street) LOGIN=$SCENE ;; esac
# The closed loop's clock (issue 24) on a short leash, so a shot shows countdowns, overdue (督办) and escalated cases:
# grade I cases are overdue 8 s into a stage (escalated a rung every further 8 s), grade II after 15 s, the
# others have 20 min.
cat >"$WORK/deadlines.toml" <<'TOML'
[stages]
collected = "20m"
identified = "20m"
assigned = "20m"
handling = "20m"
[grade.I]
collected = "8s"
[grade.II]
collected = "15s"
TOML
"$BIN/citydeck-hub" --db "$WORK/hub.sqlite" --listen 127.0.0.1:0 --demo --screen hall-wall-1 --screen leader-office \
  --city "$CITY" --deadlines "$WORK/deadlines.toml" $EXTRA >"$WORK/hub.out" 2>"$WORK/hub.err" &
HUB_PID=$!
trap 'kill $HUB_PID ${WIN_PID:-} ${SIM_PID:-} 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q '^listening on ' "$WORK/hub.out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/^listening on //p' "$WORK/hub.out")
[ -n "$URL" ] || { cat "$WORK/hub.err"; exit 1; }
"$BIN/citydeck-simulate" --hub "$URL" --city "$CITY" --rate 40 --limit 160 --seed 7 >/dev/null 2>&1
token() { curl -sf "$URL/api/v1/login" -H 'content-type: application/json' \
  -d "{\"username\":\"$1\",\"password\":\"$PW\"}" | jq -r .token; }
C1=$(token commander); C2=$(token commander2)
# 交办: the first 40 cases routed to the department of their class (the departments' backlog and the escalation
# ladder have something to show)
OPS=$(curl -sf "$URL/api/v1/incidents?limit=40" -H "authorization: Bearer $C1" | jq -c \
  --arg ids "$(for _ in $(seq 40); do cat /proc/sys/kernel/random/uuid; done | tr '\n' ' ')" \
  '($ids | split(" ")) as $u | [to_entries[] | {op_id: $u[.key], client_seq: (.key + 1),
     op: {kind: "assign", incident_id: .value.id, assignee: "duty-team",
          department: ({accident: "fire", natural_disaster: "emergency", public_health: "health",
                        social_security: "police"}[.value.class] // "command")}}]')
curl -sf "$URL/api/v1/push" -H "authorization: Bearer $C1" -H 'content-type: application/json' \
  -d "{\"client_id\":\"$(cat /proc/sys/kernel/random/uuid)\",\"ops\":$OPS}" >/dev/null || true
# the most severe incident inside the city (replayed earthquakes may lie elsewhere) triggers the switch
TRIGGER=$(curl -sf "$URL/api/v1/incidents?limit=500" -H "authorization: Bearer $C1" | jq -r \
  --argjson w "$W_LON" --argjson s "$S_LAT" --argjson e "$E_LON" --argjson n "$N_LAT" \
  '[.[] | select(.location.lon > $w and .location.lon < $e and .location.lat > $s and .location.lat < $n)]
   | sort_by(.grade) | .[0].id')
switch() {
  curl -sf "$URL/api/v1/mode" -H "authorization: Bearer $C1" -H 'content-type: application/json' \
    -d "{\"mode\":\"wartime\",\"level\":\"$1\",\"reason\":\"$2\",\"incident_ids\":[\"$TRIGGER\"]}"
}
case "$SCENE" in
  wartime-III|exercise) switch III "暴雨引发城区内涝，多处道路积水" >/dev/null ;;
  wartime-I)
    PID=$(switch I "大型商场火灾，多人被困，烟气扩散至地下车库" | jq -r .proposal_id)
    curl -sf "$URL/api/v1/mode/confirm" -H "authorization: Bearer $C2" -H 'content-type: application/json' \
      -d "{\"proposal_id\":\"$PID\"}" >/dev/null ;;
esac
# cap-alert: a CAP 1.2 flood warning (zh-CN, en-US, de-LI; signed — a signature citydeck records, never checks) with
# a polygon along the Rhine at Vaduz (around the centre of another city), posted once the window is up (below).
QUIET_LIMIT=20
if [ "$SCENE" = cap-alert ]; then
  QUIET_LIMIT=0
  CLON=$(sed -n '/^\[centre\]/,/^\[/s/^lon *= *//p' "$CITY"); CLAT=$(sed -n '/^\[centre\]/,/^\[/s/^lat *= *//p' "$CITY")
  # a ring of 7 points about 2 km × 2.7 km around the centre (CAP's "lat,lon" pairs, closed)
  POLY=$(awk -v x="$CLON" -v y="$CLAT" 'BEGIN {
    n = split("-0.011 -0.012 -0.0125 0.0003 -0.0045 0.011 0.009 0.009 0.011 -0.005 0.001 -0.013 -0.011 -0.012", d, " ");
    for (i = 1; i < n; i += 2) printf "%s%.4f,%.4f", (i > 1 ? " " : ""), y + d[i], x + d[i + 1] }')
  T() { date -u -d "$1" +%Y-%m-%dT%H:%M:%S+00:00; }
  NOW=$(T now); LATER=$(T '+6 hours')
  info() { # language, senderName, event, headline, description, areaDesc
    printf '<info><language>%s</language><category>Met</category><event>%s</event><responseType>Prepare</responseType>' "$1" "$3"
    printf '<urgency>Immediate</urgency><severity>Severe</severity><certainty>Likely</certainty>'
    printf '<effective>%s</effective><expires>%s</expires><senderName>%s</senderName><headline>%s</headline>' "$NOW" "$LATER" "$2" "$4"
    printf '<description>%s</description><area><areaDesc>%s</areaDesc><polygon>%s</polygon></area></info>' "$5" "$6" "$POLY"
  }
  {
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">'
    printf '<identifier>LI-ABS-2026-0117</identifier><sender>abs@llv.li</sender><sent>%s</sent>' "$NOW"
    printf '<status>Actual</status><msgType>Alert</msgType><scope>Public</scope>'
    info zh-CN 列支敦士登民防局 洪水 瓦杜兹莱茵河沿岸洪水橙色预警 \
      莱茵河瓦杜兹段水位持续上涨，沿岸低洼地带可能被淹，请远离河岸 '瓦杜兹 莱茵河沿岸'
    info en-US 'Office of Civil Protection' Flood 'Flood warning for the Rhine bank at Vaduz' \
      'The Rhine keeps rising at Vaduz; keep away from the bank' 'Vaduz, Rhine bank'
    info de-LI 'Amt für Bevölkerungsschutz' Hochwasser 'Hochwasserwarnung Rheinufer Vaduz' \
      'Der Rhein steigt bei Vaduz weiter an' 'Vaduz, Rheinufer'
    printf '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>'
    printf '<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
    printf '<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><Reference URI="">'
    printf '<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue>q1Hc4cDmbWb6m5CzJ0qZ0Hcl2NwmQ0f9yV7rS0p4m3A=</DigestValue>'
    printf '</Reference></SignedInfo><SignatureValue>UmVhbC1zaGFwZWQgYnV0IG5ldmVyIHZlcmlmaWVk</SignatureValue></Signature></alert>\n'
  } >"$WORK/alert.cap"
fi
# a quiet simulator keeps the feed moving while the window is up, and posts the vital signs (the last day first)
"$BIN/citydeck-simulate" --hub "$URL" --city "$CITY" --rate 0.5 --limit $QUIET_LIMIT --seed 8 --vital-signs >/dev/null 2>&1 &
SIM_PID=$!
CITYDECK_CITY=$CITY CITYDECK_HUB_URL=$URL CITYDECK_USER=$LOGIN CITYDECK_PASSWORD=$PW CITYDECK_SCREEN=cmd-desk \
  CITYDECK_DATA_DIR="$WORK/desktop" "$BIN/citydeck" >"$WORK/window.log" 2>&1 &
WIN_PID=$!
sleep 8
WID=$(xdotool search --sync --onlyvisible --name citydeck | head -1)
xdotool windowmove "$WID" 0 0 windowsize "$WID" "$W" "$H"
if [ "$SCENE" = cap-alert ]; then
  # the vital signs' last day is in (their episodes raised their incidents): stop the simulator, so the alert is
  # the newest incident, the feed's top row, when it is clicked (in rem of the cockpit's layout: 1 rem = width / 120
  # px at both sizes; the row under the vital-sign tiles of the default scenario)
  sleep 10
  kill $SIM_PID 2>/dev/null || true
  sleep 1
  F=$(token feed)
  curl -sf "$URL/api/v1/ingest/cap" -H "authorization: Bearer $F" -H 'content-type: application/cap+xml' \
    --data-binary @"$WORK/alert.cap" >"$WORK/alert.out" || { echo "the hub refused the CAP alert"; cat "$WORK/alert.out"; exit 1; }
  sleep 4
  REM=$((W / 120)); FEED_ROW_X_REM=${FEED_ROW_X_REM:-100}; FEED_ROW_Y_REM=${FEED_ROW_Y_REM:-45}
  xdotool mousemove $((FEED_ROW_X_REM * REM)) $((FEED_ROW_Y_REM * REM)) click 1
  # (the pointer off the panels: no tooltip in the shot)
  xdotool mousemove $((W / 2)) $((H - 2))
  sleep 7
else
  sleep 14
fi
import -window root "$PNG"
