// Development stand-in for the Tauri shell: installs a fake `window.__TAURI__` (core.invoke + event.listen) that
// serves a realistic CockpitSnapshot for Helsinki. Loaded ONLY by ui/dev/index.html, never by ui/index.html.
//
// URL parameters (all optional):
//   conn=online|reconnecting|offline|connecting   connection state to report (default online)
//   live=0                                        no simulated new incidents / stage changes
//   shell=none                                    do not install the fake (shows the "no shell" error state)
//   empty=1                                       no incidents
//   lang=en|zh-CN                                 preset the stored language choice
//   still=1                                       no CSS transitions (headless --virtual-time-budget screenshots
//                                                 freeze them at their start value)
// 平战转换 (issue 7):
//   mode=peacetime|wartime                        the city's mode (default peacetime, epoch 0)
//   level=I|II|III|IV                             response level in wartime (default I)
//   exercise=1                                    a drill hub (watermark + strip in either mode)
//   since=MIN                                     minutes since the switch (default: so that one deadline is
//                                                 overdue, one due within 5 min and the rest running)
//   reason=TEXT                                   the switch's reason (default 地铁站火灾，多人被困)
//   focus=0                                       wartime without a triggering incident (no focus)
//   me=NAME  role=ROLE  screen=NAME               who this window is (default commander / commander /
//                                                 hall-wall-1); me=none: not signed in this run (no `me`)
//   proposal=1                                    a pending level-I proposal by commander2 (so "commander" can
//                                                 confirm it)
// Offline actions (issue 6):
//   offline=1                                     the hub is unreachable: actions stay pending (the connection
//                                                 defaults to offline unless conn= is given)
//   apply_ms=MS                                   how long the fake hub takes to apply a pushed action (default 3000)
//   pending=N                                     start with N (≤ 4) pending actions: a note with a photo, a stage
//                                                 change, a new incident, an acknowledgement
//   conflict=1                                    two rejected conflicting actions: a stage change someone overtook
//                                                 (re-applicable) and an assignment of an incident closed meanwhile
//   steps=S1;S2;…                                 dev automation once the feed is drawn (screenshots cannot click):
//                                                 click:SELECTOR, clickat:SELECTOR@X,Y (percent of its box),
//                                                 input:SELECTOR=>VALUE, key:KEY, wait:MS,
//                                                 zoom:Z@LON,LAT (MapLibre map), hovermarker:GRADE
// The map (issue "map cockpit"):
//   mappoints=N  mapupdates=R                     see map_delta below (10,000 points / 100 updates a second)
//   map=schematic                                 the schematic fallback map instead of MapLibre
//   mapbase=URL                                   where style.json / glyphs / districts.geojson are served
//                                                 (ui/dev/screenshot.sh serves ui/dev/mapbase.js's output)
// Commands: cockpit_snapshot, vitals {scenario}, vital_series {indicator, range}, map_delta {after}, ack_mode {epoch}, switch_mode {request:{mode,level,reason,incident_ids}} (level I →
// {status:"pending_confirmation", proposal_id, expires_at}; others → {status:"applied", mode}), confirm_mode
// {proposalId} (refused for the proposer, as the hub does), submit_action {op} (checked like the shell's precheck,
// queued pending, applied by the fake hub after apply_ms when reachable), drop_action {opId}, reapply_action
// {opId}. Refusals reject with the hub's kind of message.
(function () {
  "use strict";
  const params = new URLSearchParams(location.search);
  if (params.get("still") === "1") {
    const style = document.createElement("style");
    style.textContent = "*, *::before, *::after { transition: none !important; }";
    document.head.appendChild(style);
  }
  if (params.get("lang")) {
    try {
      localStorage.setItem("citydeck.lang", params.get("lang"));
    } catch (_) {}
  }
  if (params.get("shell") === "none") return;

  // Deterministic PRNG so screenshots are stable.
  let seed = 20260321;
  function rnd() {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 4294967296;
  }
  function pick(a) {
    return a[Math.floor(rnd() * a.length)];
  }
  function uuid() {
    const h = [];
    for (let i = 0; i < 16; i++) h.push(Math.floor(rnd() * 256));
    h[6] = (h[6] & 0x0f) | 0x40;
    h[8] = (h[8] & 0x3f) | 0x80;
    const s = h.map((b) => b.toString(16).padStart(2, "0")).join("");
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }
  const iso = (ms) => new Date(ms).toISOString();

  // [name, lon, lat, street address]
  const PLACES = [
    ["Kamppi", 24.9316, 60.1687, "Urho Kekkosen katu 1, Kamppi"],
    ["Rautatientori", 24.9436, 60.1712, "Rautatientori, Kluuvi"],
    ["Kauppatori", 24.9527, 60.1674, "Kauppatori, Kaartinkaupunki"],
    ["Töölö", 24.9226, 60.1832, "Runeberginkatu 43, Töölö"],
    ["Kallio", 24.9497, 60.1841, "Fleminginkatu 12, Kallio"],
    ["Senaatintori", 24.9522, 60.1694, "Senaatintori, Kruununhaka"],
    ["Punavuori", 24.9383, 60.1606, "Iso Roobertinkatu 20, Punavuori"],
    ["Eira", 24.9381, 60.1563, "Merikatu 5, Eira"],
    ["Kaivopuisto", 24.9556, 60.1571, "Kaivopuisto, Ullanlinna"],
    ["Katajanokka", 24.9662, 60.1676, "Katajanokanlaituri 7, Katajanokka"],
    ["Hakaniemi", 24.9512, 60.1790, "Hakaniemen tori, Siltasaari"],
    ["Sörnäinen", 24.9611, 60.1872, "Hämeentie 36, Sörnäinen"],
    ["Ruoholahti", 24.9148, 60.1638, "Itämerenkatu 3, Ruoholahti"],
    ["Jätkäsaari", 24.9183, 60.1578, "Länsisatamankatu 29, Jätkäsaari"],
    ["Kruununhaka", 24.9572, 60.1728, "Liisankatu 14, Kruununhaka"],
    ["Esplanadi", 24.9468, 60.1675, "Pohjoisesplanadi 33, Kaartinkaupunki"],
    ["Etu-Töölö", 24.9262, 60.1762, "Arkadiankatu 8, Etu-Töölö"],
    ["Vallila", 24.9548, 60.1892, "Mäkelänkatu 23, Vallila"],
    ["Merihaka", 24.9603, 60.1801, "Haapaniemenkatu 7, Merihaka"],
    ["Kalasatama", 24.9771, 60.1873, "Kalasatamankatu 2, Kalasatama"],
    ["Hietaniemi", 24.9149, 60.1722, "Hietaniemenkatu 2, Hietaniemi"],
    ["Olympiastadion", 24.9270, 60.1869, "Paavo Nurmen tie 1, Taka-Töölö"],
    ["Länsisatama", 24.9236, 60.1553, "Tyynenmerenkatu 8, Länsiterminaali"],
    ["Pasila", 24.9331, 60.1889, "Ratapihantie 6, Pasila"],
    ["Kaartinkaupunki", 24.9486, 60.1640, "Korkeavuorenkatu 21, Kaartinkaupunki"],
  ];

  // class → [title templates], "{p}" = place name
  const TITLES = {
    natural_disaster: [
      "{p} 暴雨积水，道路通行受阻",
      "{p} 大风致行道树倒伏",
      "{p} 沿岸风暴潮预警水位超限",
      "{p} 路面结冰多人滑倒",
      "{p} 屋顶积雪坠落风险",
    ],
    accident: [
      "{p} 两车追尾，一车道封闭",
      "{p} 有轨电车与轿车刮擦",
      "{p} 居民楼厨房起火",
      "{p} 燃气管道泄漏报警",
      "{p} 施工现场脚手架倒塌",
      "{p} 地铁站电梯故障困人",
      "{p} 电动滑板车与行人相撞",
    ],
    public_health: [
      "{p} 餐厅疑似食物中毒 6 人",
      "{p} 供水浊度异常监测告警",
      "{p} 养老院呼吸道聚集性病例",
      "{p} 公共场所人员晕倒送医",
      "{p} 学校食堂卫生投诉",
    ],
    social_security: [
      "{p} 人员聚集超过阈值",
      "{p} 商场盗窃嫌疑人在逃",
      "{p} 夜间斗殴警情",
      "{p} 可疑包裹，已设置警戒",
      "{p} 大型活动散场客流高峰",
      "{p} 网格员上报占道经营",
    ],
  };
  const SOURCES = {
    natural_disaster: ["FMI 气象预警", "物联感知", "12345 热线", "网格员上报"],
    accident: ["112 接警", "视频 AI 识别", "HSL 交通", "物联感知", "12345 热线"],
    public_health: ["120 急救", "HUS 医院直报", "水务监测", "12345 热线"],
    social_security: ["110 接警", "视频 AI 识别", "网格员上报", "客流监测"],
  };
  const CLASSES = ["natural_disaster", "accident", "public_health", "social_security"];
  const CLASS_WEIGHTS = [0.18, 0.38, 0.16, 0.28];
  const GRADE_WEIGHTS = [
    ["I", 0.05],
    ["II", 0.15],
    ["III", 0.3],
    ["IV", 0.5],
  ];
  const STAGES = ["collected", "identified", "assigned", "handling", "feedback", "supervised"];
  const STAGE_WEIGHTS = [0.14, 0.16, 0.2, 0.28, 0.12, 0.1];

  function weighted(items, weights) {
    let r = rnd();
    for (let i = 0; i < items.length; i++) {
      r -= weights[i];
      if (r <= 0) return items[i];
    }
    return items[items.length - 1];
  }

  let seq = 1200;
  function makeIncident(createdMs, opts) {
    opts = opts || {};
    const cls = opts.class || weighted(CLASSES, CLASS_WEIGHTS);
    const grade = opts.grade || weighted(GRADE_WEIGHTS.map((g) => g[0]), GRADE_WEIGHTS.map((g) => g[1]));
    const place = opts.place || pick(PLACES);
    const lon = place[1] + (rnd() - 0.5) * 0.006;
    const lat = place[2] + (rnd() - 0.5) * 0.003;
    const stage = opts.stage || weighted(STAGES, STAGE_WEIGHTS);
    const occurred = createdMs - Math.floor(rnd() * 90) * 1000;
    seq += 1 + Math.floor(rnd() * 4);
    return {
      id: uuid(),
      title: pick(TITLES[cls]).replace("{p}", place[0]),
      class: cls,
      grade,
      location: { lon: +lon.toFixed(5), lat: +lat.toFixed(5) },
      source: pick(SOURCES[cls]),
      status: stage,
      address: place[3] + ", Helsinki",
      occurred_at: iso(occurred),
      created_at: iso(createdMs),
      updated_at: iso(createdMs + Math.floor(rnd() * 600) * 1000),
      created_by: pick(["operator", "zhiban01", "zhiban02", "gateway"]),
      seq,
    };
  }

  const now = Date.now();
  let incidents = [];
  if (params.get("empty") !== "1") {
    // Oldest first, then reverse: newest first like the real cache.
    let t = now - 3 * 3600 * 1000;
    for (let i = 0; i < 40; i++) {
      t += Math.floor((3 * 3600 * 1000) / 42 + (rnd() - 0.5) * 120000);
      incidents.push(makeIncident(Math.min(t, now - 20000)));
    }
    // Make sure every grade and the headline incidents exist.
    incidents.push(
      makeIncident(now - 95 * 1000, { class: "accident", grade: "I", place: PLACES[0], stage: "handling" }),
    );
    incidents[5].grade = "II";
    incidents[12].grade = "I";
    incidents[12].status = "supervised";
    incidents.reverse();
  }

  // ───── 平战转换 scenario ─────
  const MODE = params.get("mode") === "wartime" ? "wartime" : "peacetime";
  const LEVEL = ["I", "II", "III", "IV"].includes(params.get("level")) ? params.get("level") : "I";
  // Default minutes since the switch: 3 minutes before the level's second deadline, so the first deadline is
  // overdue, the second one is "soon" and the rest still run.
  const DEFAULT_SINCE = { I: 57, II: 57, III: 117, IV: 237 };
  const SINCE_MIN = params.get("since") !== null ? +params.get("since") : DEFAULT_SINCE[LEVEL];
  const REASON = params.get("reason") || "地铁站火灾，多人被困";
  // me=none: the window opened offline and has not signed in this run (the snapshot has no `me`).
  const ME_KNOWN = params.get("me") !== "none";
  const ME = {
    username: (ME_KNOWN && params.get("me")) || (ME_KNOWN ? "commander" : "field"),
    role: params.get("role") || "commander",
    screen: params.get("screen") || "hall-wall-1",
  };
  const SECOND_COMMANDER = ME.username === "commander2" ? "commander" : "commander2";
  const CONFIRM_WINDOW_MS = 120 * 1000;

  // Response resources around central Helsinki: real names and positions from the city's OSM extract
  // (data/cache/Helsinki.osm.pbf). [name, kind, group, lon, lat]
  const RESOURCES = [
    ["Erottajan paloasema", "fire_station", "rescue", 24.94517, 60.16513],
    ["Diacor Keskusta", "clinic", "medical", 24.9435, 60.16956],
    ["Mehiläinen", "clinic", "medical", 24.9381, 60.16946],
    ["Apteekki Eliel", "pharmacy", "medical", 24.94054, 60.17171],
    ["Helsingin yliopisto", "metro_station", "shelter", 24.9486, 60.17276],
    ["Kaisaniemen puisto", "park", "shelter", 24.9461, 60.17455],
    ["Esplanadinpuisto", "park", "shelter", 24.94837, 60.1674],
    ["Lasipalatsinaukio", "square", "shelter", 24.93632, 60.17017],
    ["Ressun lukio", "school", "shelter", 24.9383, 60.16715],
    ["Senaatintori", "square", "shelter", 24.95222, 60.1695],
  ];
  function distanceM(lon1, lat1, lon2, lat2) {
    const r = 6371008.8;
    const rad = Math.PI / 180;
    const dlat = (lat2 - lat1) * rad;
    const dlon = (lon2 - lon1) * rad;
    const a = Math.sin(dlat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dlon / 2) ** 2;
    return 2 * r * Math.asin(Math.sqrt(a));
  }
  // The 9 nearest resources within 3 km, nearest first (what the shell computes from the OSM extract).
  function nearby(inc) {
    return RESOURCES.map(([name, kind, group, lon, lat]) => ({
      name,
      kind,
      group,
      lon,
      lat,
      distance_m: Math.round(distanceM(inc.location.lon, inc.location.lat, lon, lat) * 10) / 10,
    }))
      .filter((r) => r.distance_m <= 3000)
      .sort((a, b) => a.distance_m - b.distance_m)
      .slice(0, 9);
  }

  // The incident that triggers the response, and what follows from it.
  const sceneMin = MODE === "wartime" ? SINCE_MIN + 4 : 6;
  function sceneIncident(title, cls, grade, stage, lon, lat, address, source, minutesAgo) {
    const t = now - minutesAgo * 60 * 1000;
    seq += 1;
    return {
      id: uuid(),
      title,
      class: cls,
      grade,
      location: { lon, lat },
      source,
      status: stage,
      address,
      description: title,
      occurred_at: iso(t),
      created_at: iso(t + 40 * 1000),
      updated_at: iso(now - 60 * 1000),
      created_by: "zhiban01",
      seq,
    };
  }
  let trigger = null;
  if (params.get("empty") !== "1") {
    trigger = sceneIncident(
      "Rautatientori 地铁站火灾，多人被困",
      "accident",
      "I",
      "handling",
      24.94,
      60.17045,
      "Rautatientori metro, Kaivokatu 1, Helsinki",
      "112 接警",
      sceneMin,
    );
    const follow = [
      ["Kaivokatu 地铁疏散人员聚集，需分流", "social_security", "II", "assigned", 24.9425, 60.17, "Kaivokatu 8, Kluuvi", "客流监测", sceneMin - 6],
      ["Rautatientori 周边浓烟扩散，居民楼告警", "public_health", "II", "collected", 24.9447, 60.1718, "Vilhonkatu 4, Kluuvi", "物联感知", sceneMin - 9],
      ["Kaisaniemenkatu 消防车通道受阻", "accident", "II", "supervised", 24.9463, 60.1722, "Kaisaniemenkatu 3, Kluuvi", "视频 AI 识别", sceneMin - 12],
      ["Ylioppilasaukio 伤员转运完成，待评估", "public_health", "II", "feedback", 24.9404, 60.1692, "Ylioppilasaukio, Kluuvi", "120 急救", sceneMin - 20],
    ]
      .filter((f) => f[8] > 0)
      .map((f) => sceneIncident(...f));
    incidents = [...follow.reverse(), trigger, ...incidents];
  }

  const SCREENS = ["duty-desk", "hall-wall-1", "hall-wall-2", "leader-office"];
  let modeState = {
    mode: "peacetime",
    level: null,
    epoch: 0,
    reason: "",
    incident_ids: [],
    switched_by: null,
    confirmed_by: null,
    switched_at: null,
    exercise: params.get("exercise") === "1",
    acks: [],
    screens: SCREENS.slice(),
  };
  if (MODE === "wartime") {
    const epoch = 7;
    const at = now - SINCE_MIN * 60 * 1000;
    Object.assign(modeState, {
      mode: "wartime",
      level: LEVEL,
      epoch,
      reason: REASON,
      incident_ids: trigger && params.get("focus") !== "0" ? [trigger.id] : [],
      switched_by: LEVEL === "I" ? "commander" : ME.username,
      confirmed_by: LEVEL === "I" ? SECOND_COMMANDER : null,
      switched_at: iso(at),
      // hall-wall-1 (this window) acknowledges itself; leader-office is still on the previous epoch.
      acks: [
        { screen: "duty-desk", epoch, by: "zhiban01", at: iso(at + 2100) },
        { screen: "hall-wall-2", epoch, by: "commander", at: iso(at + 1800) },
        { screen: "leader-office", epoch: epoch - 1, by: "leader", at: iso(at - 3 * 3600 * 1000) },
      ],
    });
  }
  let proposals = [];
  if (params.get("proposal") === "1") {
    proposals.push({
      proposal_id: uuid(),
      proposer: SECOND_COMMANDER,
      mode: "wartime",
      level: "I",
      reason: REASON,
      incident_ids: trigger ? [trigger.id] : [],
      created_at: iso(now - 20 * 1000),
      expires_at: iso(now - 20 * 1000 + CONFIRM_WINDOW_MS),
    });
  }

  function focus() {
    if (modeState.mode !== "wartime") return null;
    const inc = modeState.incident_ids
      .map((id) => incidents.find((i) => i.id === id) || (trigger && trigger.id === id ? trigger : null))
      .find(Boolean);
    return inc ? { incident: inc, nearby: nearby(inc) } : null;
  }

  const OFFLINE = params.get("offline") === "1";
  const conn = params.get("conn") || (OFFLINE ? "offline" : "online");
  const lastOnline = now - 7 * 60 * 1000;
  function connection() {
    // ?bootstrap=N: the cache is catching up with a hub log of N events (progress bar over the map)
    const head = params.get("bootstrap") ? Number(params.get("bootstrap")) : null;
    const base = { hub: "https://hub.citydeck.local:8443", last_seq: head ? Math.floor(head * 0.45) : seq, hub_head: head };
    switch (conn) {
      case "reconnecting":
        return Object.assign(base, {
          state: { state: "reconnecting", since: iso(lastOnline), attempt: 3, last_error: "connection refused" },
          last_sync_at: iso(lastOnline),
        });
      case "offline":
        return Object.assign(base, {
          state: { state: "offline", since: iso(lastOnline), last_error: "hub unreachable (timeout)" },
          last_sync_at: iso(lastOnline),
        });
      case "connecting":
        return Object.assign(base, { state: { state: "connecting" }, last_sync_at: null });
      default:
        return Object.assign(base, { state: { state: "online" }, last_sync_at: iso(Date.now() - 3000) });
    }
  }

  function snapshot() {
    const t = Date.now();
    const byClass = CLASSES.map((c) => [c, incidents.filter((i) => i.class === c).length]);
    const byGrade = ["I", "II", "III", "IV"].map((g) => [g, incidents.filter((i) => i.grade === g).length]);
    return {
      city: { name_zh: "赫尔辛基", name_en: "Helsinki", center: [24.94, 60.17], bbox: [24.9, 60.15, 24.99, 60.19] },
      connection: connection(),
      incidents,
      summary: {
        total_open: incidents.length,
        by_class: byClass,
        by_grade: byGrade,
        by_stage: ["collected", "identified", "assigned", "handling", "feedback", "supervised"].map((st) => [
          st,
          incidents.filter((i) => i.status === st).length,
        ]),
        last_hour: incidents.filter((i) => t - Date.parse(i.created_at) < 3600 * 1000).length,
      },
      mode: modeState,
      proposals: proposals.filter((p) => Date.parse(p.expires_at) > t),
      me: ME_KNOWN ? ME : null,
      focus: focus(),
      outbox: {
        pending: outbox.filter((e) => e.state === "pending").length,
        rejected: outbox.filter((e) => e.state === "rejected").length,
      },
      outbox_open: outboxOpen(),
      conflicts: outboxOpen()
        .filter((e) => e.state === "rejected" && e.conflict)
        .map((e) => ({ entry: e, current: findIncident(e.op.incident_id) })),
      generated_at: iso(t),
    };
  }

  const listeners = {};
  let nextListenerId = 1;
  function emit(event, payload) {
    for (const [id, cb] of Object.entries(listeners[event] || {})) {
      try {
        cb({ event, id: +id, payload });
      } catch (e) {
        console.error(e);
      }
    }
  }

  // ───── mode commands (as the shell answers them, with the hub's rules) ─────
  const RANK = { I: 4, II: 3, III: 2, IV: 1 };
  function checkTransition(req) {
    const reason = String(req.reason || "").trim();
    if (!reason) throw "hub refused the switch: reason: a reason is required for every switch";
    if (req.mode === "peacetime" && req.level) throw "hub refused the switch: level: peacetime takes no level";
    if (req.mode === "wartime" && !RANK[req.level])
      throw "hub refused the switch: level: wartime needs a response level I, II, III or IV";
    if (req.mode !== "peacetime" && req.mode !== "wartime")
      throw `hub refused the switch: mode: unknown mode ${JSON.stringify(req.mode)}; expected peacetime or wartime`;
    if (req.mode === modeState.mode && (req.level || null) === modeState.level)
      throw "hub refused the switch: mode: the city is already in that mode and level";
    return reason;
  }
  function mayCommand(action) {
    if (ME.role !== "commander" && ME.role !== "admin")
      throw `hub refused (403 forbidden): role ${ME.role} may not ${action}`;
    if (conn !== "online") throw "cannot reach the hub: switching the city's mode needs the hub (the cache cannot decide)";
  }
  function applySwitch(req, by, confirmedBy, proposalId) {
    const epoch = modeState.epoch + 1;
    modeState = Object.assign({}, modeState, {
      mode: req.mode,
      level: req.mode === "wartime" ? req.level : null,
      epoch,
      reason: String(req.reason).trim(),
      incident_ids: (req.incident_ids || []).slice(),
      switched_by: by,
      confirmed_by: confirmedBy,
      switched_at: iso(Date.now()),
      proposal_id: proposalId || undefined,
    });
    seq += 1;
    // The other screens follow within seconds; leader-office stays behind (to show a lagging screen).
    setTimeout(() => {
      for (const screen of ["hall-wall-2", "duty-desk"]) ack(screen, epoch, screen === "duty-desk" ? "zhiban01" : by);
      emit("cockpit://changed", { last_seq: seq });
    }, 2500);
    setTimeout(() => emit("cockpit://changed", { last_seq: seq }), 30);
    return modeState;
  }
  function ack(screen, epoch, by) {
    const acks = modeState.acks.filter((a) => a.screen !== screen);
    acks.push({ screen, epoch, by, at: iso(Date.now()) });
    acks.sort((a, b) => a.screen.localeCompare(b.screen));
    modeState = Object.assign({}, modeState, { acks });
    if (!modeState.screens.includes(screen)) modeState.screens = [...modeState.screens, screen].sort();
  }
  // ───── offline actions (issue 6): the desktop's outbox and a hub that applies what is pushed ─────
  const APPLY_MS = params.get("apply_ms") !== null ? +params.get("apply_ms") : 3000;
  // Some history on the incidents: assignments, acknowledgements, notes.
  const ASSIGNEES = ["消防救援支队", "Kamppi 网格站", "交警三大队", "120 调度", "水务抢修队"];
  incidents.forEach((inc, k) => {
    inc.notes = [];
    inc.acknowledged_by = [];
    if (["assigned", "handling", "feedback", "supervised"].includes(inc.status)) inc.assignee = ASSIGNEES[k % ASSIGNEES.length];
    if (k % 3 === 0) inc.acknowledged_by.push("zhiban01");
    if (k % 4 === 1 && inc.status !== "collected")
      inc.notes.push({ at: inc.updated_at, by: "zhiban02", text: "已电话联系报警人，现场情况属实" });
  });
  if (trigger) {
    trigger.assignee = "消防救援支队";
    trigger.acknowledged_by = ["zhiban01", "commander2"];
    trigger.notes = [
      { at: iso(now - (sceneMin - 2) * 60000), by: "zhiban01", text: "112 接警：站台浓烟，约 20 人被困" },
      { at: iso(now - (sceneMin - 5) * 60000), by: "field07", text: "消防已到场，开始疏散", photo_ref: "IMG_20260321_0912.jpg" },
    ];
  }
  const closedIncidents = [];
  let outbox = []; // open entries: pending and rejected
  let clientSeq = 40;
  function opId() {
    // v7-like: time in the first 48 bits.
    const t = Date.now().toString(16).padStart(12, "0");
    const u = uuid();
    return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${u.slice(15)}`;
  }
  const NEXT = {
    collected: ["identified", "closed"],
    identified: ["assigned", "supervised", "closed"],
    assigned: ["handling", "supervised"],
    handling: ["feedback", "supervised"],
    feedback: ["closed", "handling", "supervised"],
    supervised: ["handling", "closed"],
    closed: [],
  };
  function findIncident(id) {
    return incidents.find((i) => i.id === id) || closedIncidents.find((i) => i.id === id) || null;
  }
  // The hub's rules (crates/domain/src/ops.rs); returns an error {conflict, message} or applies the op to `inc`.
  function applyOp(inc, op, actor, at) {
    switch (op.kind) {
      case "change_stage":
        if (op.from && op.from !== inc.status)
          return { conflict: true, message: `conflict: the incident is now at stage ${inc.status} (you saw ${op.from}); it was changed meanwhile` };
        if (!NEXT[inc.status].includes(op.to)) return { conflict: true, message: `stage change ${inc.status} → ${op.to} is not allowed` };
        inc.status = op.to;
        return null;
      case "add_note": {
        const text = String(op.text || "").trim();
        const photo = op.photo_ref && String(op.photo_ref).trim() ? String(op.photo_ref).trim() : null;
        if (!text && !photo) return { conflict: false, message: "a note needs text or a photo reference" };
        const n = { at, by: actor, text };
        if (photo) n.photo_ref = photo;
        inc.notes = [...(inc.notes || []), n];
        return null;
      }
      case "acknowledge":
        if (!(inc.acknowledged_by || []).includes(actor)) inc.acknowledged_by = [...(inc.acknowledged_by || []), actor];
        return null;
      case "assign": {
        const who = String(op.assignee || "").trim();
        if (!who || who.length > 64) return { conflict: false, message: "assignee must be 1-64 characters" };
        if (inc.status === "closed") return { conflict: true, message: "the incident was closed meanwhile" };
        inc.assignee = who;
        return null;
      }
      default:
        return { conflict: false, message: `unknown op kind ${op.kind}` };
    }
  }
  function newIncidentFrom(op, at) {
    seq += 1;
    return {
      id: op.incident_id || uuid(),
      title: op.title,
      class: op.class,
      grade: op.grade,
      location: { lon: op.lon, lat: op.lat },
      source: op.source,
      status: "collected",
      description: op.description,
      address: op.address,
      occurred_at: op.occurred_at || at,
      created_at: at,
      updated_at: at,
      created_by: ME.username,
      seq,
      notes: [],
      acknowledged_by: [],
    };
  }
  // What the shell refuses before queueing (src-tauri precheck): replays this desktop's pending actions first.
  function precheck(op) {
    if (op.kind === "create_incident") {
      if (!String(op.title || "").trim()) throw "title: must not be empty";
      if (!(Math.abs(op.lon) <= 180)) throw "lon: must be between -180 and 180";
      if (!(Math.abs(op.lat) <= 90)) throw "lat: must be between -90 and 90";
      return;
    }
    const id = op.incident_id;
    const pendingCreate = outbox.find((e) => e.state === "pending" && e.op.kind === "create_incident" && e.op.incident_id === id);
    let inc = findIncident(id);
    if (!inc && pendingCreate) inc = newIncidentFrom(pendingCreate.op, pendingCreate.created_at);
    if (!inc) throw `unknown incident ${id}`;
    inc = JSON.parse(JSON.stringify(inc));
    for (const e of outbox) {
      if (e.state === "pending" && e.op.incident_id === id && e.op.kind !== "create_incident") applyOp(inc, e.op, ME.username, e.created_at);
    }
    const err = applyOp(inc, Object.assign({}, op, { from: null }), ME.username, iso(Date.now()));
    if (err) throw err.message;
  }
  function enqueue(op, createdMs) {
    const e = {
      client_seq: ++clientSeq,
      op_id: opId(),
      op,
      created_at: iso(createdMs || Date.now()),
      state: "pending",
      reason: null,
      conflict: false,
      server_seq: null,
    };
    outbox.push(e);
    return e;
  }
  function hubReachable() {
    return conn === "online" && !OFFLINE;
  }
  // The sync engine's push: every pending action in order, each applied or rejected alone.
  let pushTimer = null;
  function schedulePush() {
    if (!hubReachable() || pushTimer) return;
    pushTimer = setTimeout(() => {
      pushTimer = null;
      const at = iso(Date.now());
      for (const e of outbox.filter((x) => x.state === "pending")) {
        let err = null;
        if (e.op.kind === "create_incident") {
          if (!findIncident(e.op.incident_id)) incidents.unshift(newIncidentFrom(e.op, at));
        } else {
          const inc = findIncident(e.op.incident_id);
          err = inc ? applyOp(inc, e.op, ME.username, at) : { conflict: false, message: `unknown incident ${e.op.incident_id}` };
          if (!err) {
            seq += 1;
            inc.seq = seq;
            inc.updated_at = at;
            if (inc.status === "closed") {
              incidents = incidents.filter((i) => i !== inc);
              closedIncidents.push(inc);
            } else {
              // The cache lists by last change, newest first.
              incidents = [inc, ...incidents.filter((i) => i !== inc)];
            }
          }
        }
        if (err) Object.assign(e, { state: "rejected", reason: err.message, conflict: err.conflict });
        else Object.assign(e, { state: "applied", server_seq: seq });
      }
      outbox = outbox.filter((x) => x.state !== "applied");
      emit("cockpit://changed", { last_seq: seq });
    }, APPLY_MS);
  }
  function outboxOpen() {
    const pend = outbox.filter((e) => e.state === "pending").sort((a, b) => a.client_seq - b.client_seq);
    const rej = outbox.filter((e) => e.state === "rejected").sort((a, b) => a.client_seq - b.client_seq);
    return [...pend, ...rej];
  }

  // pending=N: actions queued a few minutes ago that have not reached the hub.
  const PENDING_N = Math.min(4, +(params.get("pending") || 0));
  if (PENDING_N > 0 && incidents.length) {
    const kamppi = incidents.find((i) => i.grade === "I" && i.title.startsWith("Kamppi")) || incidents[0];
    const assigned = incidents.find((i) => i.status === "assigned" && i !== kamppi) || incidents[1];
    const seeds = [
      [{ kind: "add_note", incident_id: (trigger || kamppi).id, text: "现场已拉警戒线，等待消防到场", photo_ref: "IMG_20260321_1402.jpg" }, 6],
      [{ kind: "change_stage", incident_id: assigned.id, from: assigned.status, to: "handling" }, 4],
      [
        {
          kind: "create_incident",
          incident_id: opId(),
          title: "Hakaniemi 地下通道积水，行人绕行",
          class: "natural_disaster",
          grade: "III",
          lon: 24.9512,
          lat: 60.179,
          source: "现场上报",
          address: "Hakaniemen tori, Siltasaari",
          description: "积水约 30 cm，已设置临时围挡",
          occurred_at: iso(now - 3 * 60000),
        },
        3,
      ],
      [{ kind: "acknowledge", incident_id: kamppi.id }, 1],
    ];
    for (const [op, min] of seeds.slice(0, PENDING_N)) enqueue(op, now - min * 60000);
  }
  // conflict=1: two actions the hub refused because someone else changed the incident first.
  if (params.get("conflict") === "1" && incidents.length) {
    const a = incidents.find((i) => i.status === "supervised") || incidents[2];
    a.status = "supervised";
    a.assignee = "交警三大队";
    a.updated_at = iso(now - 5 * 60000);
    a.notes = [...(a.notes || []), { at: iso(now - 5 * 60000), by: "commander2", text: "逾期未反馈，转督办" }];
    const e1 = enqueue({ kind: "change_stage", incident_id: a.id, from: "feedback", to: "closed" }, now - 12 * 60000);
    Object.assign(e1, {
      state: "rejected",
      conflict: true,
      reason: "conflict: the incident is now at stage supervised (you saw feedback); it was changed meanwhile",
    });
    const b = makeIncident(now - 50 * 60000, { class: "social_security", grade: "III", place: PLACES[4], stage: "closed" });
    Object.assign(b, { title: "Kallio 夜间噪声扰民", updated_at: iso(now - 8 * 60000), assignee: "Kallio 网格站", notes: [], acknowledged_by: ["zhiban02"] });
    closedIncidents.push(b);
    const e2 = enqueue({ kind: "assign", incident_id: b.id, assignee: "交警三大队" }, now - 10 * 60000);
    Object.assign(e2, { state: "rejected", conflict: true, reason: "the incident was closed meanwhile" });
  }
  schedulePush();

  // ───── the map's diff feed (map_delta; the cockpit map keeps its own copy keyed by id) ─────
  // mappoints=N: N more incidents spread over the city (e.g. 10000); mapupdates=R: R changes a second to them
  // (moves, grade/stage changes, new and closed ones; 100 for the benchmark), one cockpit://changed per 50 ms.
  const mapPoints = new Map(); // id → MapPoint
  const mapChanges = []; // {seq, id} in seq order; an id no longer in mapPoints was removed
  let mapFloor = 0; // changes at or below this seq were dropped: older clients get a full reload
  const mapFromIncidents = new Set();
  function mapTouch(p) {
    mapPoints.set(p.id, p);
    mapChanges.push({ seq: p.seq, id: p.id });
  }
  function mapRemove(id) {
    seq += 1;
    mapPoints.delete(id);
    mapChanges.push({ seq, id });
  }
  function mapPointOf(inc) {
    return {
      id: inc.id,
      lon: inc.location.lon,
      lat: inc.location.lat,
      grade: inc.grade,
      class: inc.class,
      stage: inc.status,
      title: inc.title,
      seq: inc.seq,
    };
  }
  // The cockpit's own incidents (live changes included) as map points.
  function mapSyncIncidents() {
    const ids = new Set();
    const all = trigger && !incidents.includes(trigger) ? [trigger, ...incidents] : incidents;
    for (const inc of all) {
      ids.add(inc.id);
      const p = mapPoints.get(inc.id);
      if (!p || p.seq !== inc.seq || p.stage !== inc.status || p.grade !== inc.grade) {
        const q = mapPointOf(inc);
        if (p && q.seq <= p.seq) q.seq = ++seq;
        mapTouch(q);
        mapFromIncidents.add(inc.id);
      }
    }
    for (const id of [...mapFromIncidents]) {
      if (!ids.has(id)) {
        mapFromIncidents.delete(id);
        mapRemove(id);
      }
    }
  }
  const MAP_BOX = [24.83, 60.145, 25.08, 60.245];
  const synthIds = [];
  function synthPoint() {
    const cls = weighted(CLASSES, CLASS_WEIGHTS);
    const place = pick(PLACES);
    return {
      id: uuid(),
      lon: +(MAP_BOX[0] + rnd() * (MAP_BOX[2] - MAP_BOX[0])).toFixed(5),
      lat: +(MAP_BOX[1] + rnd() * rnd() * (MAP_BOX[3] - MAP_BOX[1])).toFixed(5),
      grade: weighted(GRADE_WEIGHTS.map((g) => g[0]), GRADE_WEIGHTS.map((g) => g[1])),
      class: cls,
      stage: weighted(STAGES, STAGE_WEIGHTS),
      title: pick(TITLES[cls]).replace("{p}", place[0]),
      seq,
    };
  }
  const MAP_N = Math.min(100000, +(params.get("mappoints") || 0));
  for (let k = 0; k < MAP_N; k++) {
    const p = synthPoint();
    synthIds.push(p.id);
    mapTouch(p);
  }
  function mapUpdate() {
    const r = rnd();
    if (r < 0.12 || !synthIds.length) {
      seq += 1;
      const p = Object.assign(synthPoint(), { seq });
      synthIds.push(p.id);
      mapTouch(p);
    } else if (r < 0.24) {
      const k = Math.floor(rnd() * synthIds.length);
      const id = synthIds[k];
      synthIds[k] = synthIds[synthIds.length - 1];
      synthIds.pop();
      mapRemove(id);
    } else {
      const old = mapPoints.get(synthIds[Math.floor(rnd() * synthIds.length)]);
      seq += 1;
      const p = Object.assign({}, old, {
        lon: +(old.lon + (rnd() - 0.5) * 0.002).toFixed(5),
        lat: +(old.lat + (rnd() - 0.5) * 0.001).toFixed(5),
        seq,
      });
      if (rnd() < 0.3) p.stage = weighted(STAGES, STAGE_WEIGHTS);
      if (rnd() < 0.1) p.grade = weighted(GRADE_WEIGHTS.map((g) => g[0]), GRADE_WEIGHTS.map((g) => g[1]));
      mapTouch(p);
    }
  }
  const MAP_RATE = +(params.get("mapupdates") || 0);
  if (MAP_RATE > 0) {
    let owed = 0;
    setInterval(() => {
      owed += MAP_RATE / 20;
      let n = Math.floor(owed);
      owed -= n;
      while (n-- > 0) mapUpdate();
      mapUnitsTick();
      emit("cockpit://changed", { last_seq: seq });
    }, 50);
  }
  // Response teams and vehicles (the simulator's), and sensors with their latest reading.
  const UNIT_GROUPS = [
    ["rescue", "消防", "Pelastus"],
    ["medical", "急救", "Ensihoito"],
    ["police", "警务", "Poliisi"],
    ["utility", "抢修", "Kunnossapito"],
  ];
  const UNIT_STATUS = ["available", "available", "dispatched", "on_scene", "returning", "out_of_service"];
  const units = [];
  for (let k = 0; k < 36; k++) {
    const [group, zh, fi] = UNIT_GROUPS[k % 4];
    const place = PLACES[(k * 7) % PLACES.length];
    const kind = k % 3 === 0 ? "team" : "vehicle";
    units.push({
      id: `unit-${k + 1}`,
      name: `${fi} ${kind === "team" ? "T" : "V"}${10 + k} · ${zh}${kind === "team" ? "小队" : "车"}`,
      kind,
      group,
      status: UNIT_STATUS[(k * 5) % UNIT_STATUS.length],
      lon: +(place[1] + (rnd() - 0.5) * 0.012).toFixed(5),
      lat: +(place[2] + (rnd() - 0.5) * 0.006).toFixed(5),
      incident_id: null,
    });
  }
  function mapUnitsTick() {
    for (const u of units) {
      if (u.status === "dispatched" || u.status === "returning") {
        u.lon = +(u.lon + (rnd() - 0.5) * 0.0004).toFixed(5);
        u.lat = +(u.lat + (rnd() - 0.5) * 0.0002).toFixed(5);
      }
    }
  }
  const SENSOR_KINDS = [
    ["water_level", "cm", 40, 180, "水位站"],
    ["air_quality", "AQI", 20, 160, "空气站"],
    ["traffic_flow", "veh/h", 200, 2400, "卡口"],
    ["gas", "%LEL", 0, 30, "燃气监测"],
  ];
  const sensors = [];
  for (let k = 0; k < 28; k++) {
    const [kind, unit, lo, hi, zh] = SENSOR_KINDS[k % 4];
    const place = PLACES[(k * 3 + 1) % PLACES.length];
    const v = lo + rnd() * (hi - lo);
    const state = k === 5 ? "alarm" : k % 9 === 2 ? "warning" : "normal";
    sensors.push({
      id: `sensor-${k + 1}`,
      name: `${place[0]} ${zh} ${k + 1}`,
      kind,
      value: +v.toFixed(1),
      unit,
      state,
      lon: +(place[1] + (rnd() - 0.5) * 0.01).toFixed(5),
      lat: +(place[2] + (rnd() - 0.5) * 0.005).toFixed(5),
    });
  }
  function mapDelta(args) {
    mapSyncIncidents();
    const after = Number(args && args.after) || 0;
    const full = after <= 0 || after < mapFloor;
    const upserts = [];
    const removed = [];
    if (full) {
      for (const p of mapPoints.values()) upserts.push(p);
    } else {
      const seen = new Set();
      for (let k = mapChanges.length - 1; k >= 0 && mapChanges[k].seq > after; k--) {
        const id = mapChanges[k].id;
        if (seen.has(id)) continue;
        seen.add(id);
        const p = mapPoints.get(id);
        if (p) upserts.push(p);
        else removed.push(id);
      }
    }
    if (mapChanges.length > 200000) {
      const cut = mapChanges.length - 100000;
      mapFloor = mapChanges[cut - 1].seq;
      mapChanges.splice(0, cut);
    }
    return { seq, full, upserts, removed, resources: units, sensors };
  }

  // ───── the vital signs (vitals, vital_series): two indicators of a lifeline pack, a smooth day of readings ─────
  const VITAL_PACKS = [
    { id: "overview", name: { zh: "城市运行总览", en: "City overview" }, panels: ["power_load", "water_flow"] },
    { id: "lifeline", name: { zh: "城市生命线", en: "City lifelines" }, panels: ["power_load", "water_flow"] },
  ];
  const VITALS = [
    { id: "power_load", name: { zh: "电力负荷", en: "Power load" }, unit: "MW", scenario: "lifeline", direction: "above",
      thresholds: { blue: 35880, yellow: 36900, orange: 37300, red: 37700 }, base: 32000, swing: 5200 },
    { id: "water_flow", name: { zh: "供水管网流量", en: "Water main flow" }, unit: "l/s", scenario: "lifeline",
      direction: "below", thresholds: { blue: 100.5, yellow: 100.0, orange: 60, red: 30 }, base: 102.5, swing: 2 },
  ];
  const vitalAt = (v, ms) => v.base + v.swing * Math.sin(ms / 3600000 / 24 * 2 * Math.PI);
  const vitalLevel = (v, x) => {
    const t = v.thresholds, above = v.direction === "above";
    const reached = (th) => th !== undefined && (above ? x >= th : x <= th);
    return reached(t.red) ? "red" : reached(t.orange) ? "orange" : reached(t.yellow) ? "yellow" : reached(t.blue) ? "blue" : "normal";
  };
  const vitalPoints = (v, from, to, step) => {
    const out = [];
    for (let ms = Math.ceil(from / step) * step; ms < to; ms += step) {
      const x = vitalAt(v, ms);
      out.push({ at: iso(ms), value: x, min: x, max: x });
    }
    return out;
  };
  function vitals(args) {
    const now = Date.now();
    const asked = args && args.scenario;
    const scenario = VITAL_PACKS.some((p) => p.id === asked) ? asked : "overview";
    return {
      scenarios: VITAL_PACKS, default_scenario: "overview", scenario,
      because: scenario === "overview" ? "default" : "chosen", trigger: null,
      panels: VITALS.map((v) => {
        const x = vitalAt(v, now);
        const { base, swing, ...indicator } = v;
        return {
          indicator: { ...indicator, latest: { at: iso(now - 60000), value: x, level: vitalLevel(v, x) } },
          points: vitalPoints(v, now - 86400000, now, 300000), step: 300, series_fetched_at: iso(now - 60000),
        };
      }),
      fetched_at: iso(now - 2000), generated_at: iso(now),
    };
  }
  function vitalSeries(args) {
    const v = VITALS.find((x) => x.id === (args && args.indicator)) || VITALS[0];
    const span = { day: 86400, week: 7 * 86400, month: 30 * 86400 }[args && args.range] || 86400;
    const step = { 86400: 120, 604800: 900, 2592000: 3600 }[span];
    const to = Date.now(), from = to - span * 1000;
    return { indicator: v.id, range: (args && args.range) || "day", from: iso(from), to: iso(to), step,
      points: vitalPoints(v, from, to, step * 1000), offline: false, cached_at: null };
  }

  const COMMANDS = {
    vitals,
    vital_series: vitalSeries,
    cockpit_snapshot: () => snapshot(),
    // No areas in the development shell: the cockpit shows the city's name instead of the breadcrumb.
    areas: () => ({ scope: null, areas: [], outlines: { type: "FeatureCollection", features: [] } }),
    map_delta: mapDelta,
    incident: (args) => incidents.find((i) => i.id === (args && args.id)) || null,
    ack_mode(args) {
      const epoch = Number(args && args.epoch);
      if (epoch > modeState.epoch) throw `hub refused the ack (409 conflict): epoch ${epoch} is newer than ${modeState.epoch}`;
      ack(ME.screen, epoch, ME.username);
      return null;
    },
    switch_mode(args) {
      mayCommand("switch the city's mode");
      const req = (args && args.request) || {};
      const reason = checkTransition(req);
      if (req.mode === "wartime" && req.level === "I") {
        const created = Date.now();
        const p = {
          proposal_id: uuid(),
          proposer: ME.username,
          mode: "wartime",
          level: "I",
          reason,
          incident_ids: (req.incident_ids || []).slice(),
          created_at: iso(created),
          expires_at: iso(created + CONFIRM_WINDOW_MS),
        };
        proposals.push(p);
        seq += 1;
        setTimeout(() => emit("cockpit://changed", { last_seq: seq }), 30);
        return { status: "pending_confirmation", proposal_id: p.proposal_id, expires_at: p.expires_at };
      }
      return { status: "applied", mode: applySwitch(req, ME.username, null) };
    },
    confirm_mode(args) {
      mayCommand("confirm a mode switch");
      const id = args && (args.proposalId || args.proposal_id);
      const p = proposals.find((x) => x.proposal_id === id);
      if (!p) throw `hub refused the confirmation (404 not found): no proposal ${id}`;
      if (p.proposer === ME.username)
        throw `hub refused (403 forbidden): role ${ME.role} may not confirm their own proposal (a second commander must)`;
      if (Date.parse(p.expires_at) <= Date.now())
        throw `hub refused the confirmation (409 conflict): proposal ${id} expired at ${p.expires_at}`;
      try {
        checkTransition(p);
      } catch (e) {
        throw `hub refused the confirmation (409 conflict): the city's mode changed since the proposal: ${e}`;
      }
      proposals = proposals.filter((x) => x !== p);
      return applySwitch(p, p.proposer, ME.username, p.proposal_id);
    },
    submit_action(args) {
      const op = args && args.op;
      if (!op || !op.kind) throw "op: is required";
      precheck(op);
      const e = enqueue(op);
      schedulePush();
      setTimeout(() => emit("cockpit://changed", { last_seq: seq }), 30);
      return e;
    },
    drop_action(args) {
      const id = args && (args.opId || args.op_id);
      const before = outbox.length;
      outbox = outbox.filter((e) => !(e.op_id === id && e.state === "rejected"));
      setTimeout(() => emit("cockpit://changed", { last_seq: seq }), 30);
      return outbox.length !== before;
    },
    reapply_action(args) {
      const id = args && (args.opId || args.op_id);
      const old = outbox.find((e) => e.op_id === id && e.state === "rejected");
      if (!old) throw `action ${id} is not a rejected action`;
      const op = JSON.parse(JSON.stringify(old.op));
      if (op.kind === "change_stage") {
        const cur = findIncident(op.incident_id);
        if (cur) op.from = cur.status;
      }
      precheck(op);
      outbox = outbox.filter((e) => e !== old);
      const e = enqueue(op);
      schedulePush();
      setTimeout(() => emit("cockpit://changed", { last_seq: seq }), 30);
      return e;
    },
  };

  window.__TAURI__ = {
    core: {
      invoke(cmd, args) {
        const f = COMMANDS[cmd];
        if (!f) return Promise.reject(`unknown command ${cmd}`);
        return new Promise((resolve, reject) =>
          setTimeout(() => {
            try {
              resolve(JSON.parse(JSON.stringify(f(args) ?? null)));
            } catch (e) {
              reject(typeof e === "string" ? e : String(e));
            }
          }, 15),
        );
      },
    },
    event: {
      listen(event, cb) {
        const id = nextListenerId++;
        (listeners[event] = listeners[event] || {})[id] = cb;
        return Promise.resolve(() => delete listeners[event][id]);
      },
    },
  };

  if (params.get("live") !== "0" && conn === "online") {
    let tick = 0;
    setInterval(() => {
      tick++;
      if (tick % 2 === 1) {
        incidents.unshift(makeIncident(Date.now()));
        if (incidents.length > 60) incidents.pop();
      } else {
        const inc = pick(incidents);
        const i = STAGES.indexOf(inc.status);
        if (i >= 0 && i < STAGES.length - 2) {
          inc.status = STAGES[i + 1];
          seq += 1;
          inc.seq = seq;
          inc.updated_at = iso(Date.now());
        }
      }
      // A burst of hints, as the shell may send; the UI must coalesce them.
      for (let k = 0; k < 5; k++) emit("cockpit://changed", { last_seq: seq });
    }, 3000);
  }

  // steps=…: click / type / press keys once the feed is drawn (for screenshots of dialogs and panels).
  if (params.get("steps")) {
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    async function until(find, ms) {
      for (let t = 0; t < ms; t += 50) {
        const el = find();
        if (el) return el;
        await sleep(50);
      }
      throw new Error("steps: timed out");
    }
    (async () => {
      await until(() => document.querySelector("#incident-feed .feed-row"), 6000);
      await sleep(200);
      for (const step of params.get("steps").split(";").filter(Boolean)) {
        const i = step.indexOf(":");
        const verb = step.slice(0, i);
        const arg = step.slice(i + 1);
        try {
          if (verb === "wait") await sleep(+arg);
          else if (verb === "click") (await until(() => document.querySelector(arg), 3000)).click();
          else if (verb === "clickat") {
            // clickat:SELECTOR@X,Y — a click at X %, Y % of the element's box
            const [sel, pos] = arg.split("@");
            const [px, py] = pos.split(",").map(Number);
            const el = await until(() => document.querySelector(sel), 3000);
            const r = el.getBoundingClientRect();
            const x = r.left + (r.width * px) / 100;
            const y = r.top + (r.height * py) / 100;
            const target = document.elementFromPoint(x, y) || el;
            target.dispatchEvent(new MouseEvent("click", { bubbles: true, clientX: x, clientY: y }));
          }
          else if (verb === "zoom") {
            // zoom:Z@LON,LAT — jump the MapLibre map there (window.citydeckMap.map)
            const [z, at] = arg.split("@");
            const m = await until(() => window.citydeckMap && window.citydeckMap.ready() && window.citydeckMap.map, 8000);
            m.jumpTo({ zoom: +z, center: at.split(",").map(Number) });
          } else if (verb === "hovermarker") {
            // hovermarker:GRADE — move the pointer over a drawn incident marker of that grade (tooltip)
            const cm = window.citydeckMap;
            const m = cm.map;
            const f = m.queryRenderedFeatures({ layers: ["cd-points"] }).find((x) => x.properties.grade === arg);
            if (f) {
              const p = cm.markerPosition(f.properties.id);
              const canvas = m.getCanvas();
              canvas.dispatchEvent(new MouseEvent("mousemove", { bubbles: true, clientX: p.x, clientY: p.y }));
            }
          } else if (verb === "input") {
            const [sel, value] = arg.split("=>");
            const el = await until(() => document.querySelector(sel), 3000);
            el.value = value;
            el.dispatchEvent(new Event("input", { bubbles: true }));
          } else if (verb === "key") window.dispatchEvent(new KeyboardEvent("keydown", { key: arg, bubbles: true }));
        } catch (e) {
          console.error("steps:", step, e);
        }
        await sleep(150);
      }
    })();
  }
})();
