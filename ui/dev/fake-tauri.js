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

  const conn = params.get("conn") || "online";
  const lastOnline = now - 7 * 60 * 1000;
  function connection() {
    const base = { hub: "https://hub.citydeck.local:8443", last_seq: seq };
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

  window.__TAURI__ = {
    core: {
      invoke(cmd, _args) {
        if (cmd === "cockpit_snapshot") {
          return new Promise((resolve) => setTimeout(() => resolve(JSON.parse(JSON.stringify(snapshot()))), 15));
        }
        return Promise.reject(`unknown command ${cmd}`);
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
})();
