#!/usr/bin/env node
// Dev stand-in for the desktop's map protocol (citydeck-map://localhost/), for the Chromium harness:
//   node ui/dev/mapbase.js OUT_DIR BASE_URL
// writes OUT_DIR/style.json (dark background, glyphs at BASE_URL/glyphs/…, no tiles: the harness has no vector
// tiles), OUT_DIR/districts.geojson (rough districts of central Helsinki: Voronoi cells around district centres,
// for the look only, NOT real boundaries) and OUT_DIR/glyphs → ui/vendor's Noto Sans glyph PBFs. Serve OUT_DIR at
// BASE_URL and open the dev page with ?mapbase=BASE_URL.
"use strict";
const fs = require("fs");
const path = require("path");

const [out, base] = process.argv.slice(2);
if (!out || !base) {
  console.error("usage: mapbase.js OUT_DIR BASE_URL");
  process.exit(2);
}
const baseUrl = base.endsWith("/") ? base : base + "/";
fs.mkdirSync(out, { recursive: true });

const fonts = path.join(__dirname, "..", "vendor", "node_modules", "tileserver-gl-styles", "fonts");
const glyphs = path.join(out, "glyphs");
if (fs.existsSync(fonts) && !fs.existsSync(glyphs)) fs.symlinkSync(fonts, glyphs);

fs.writeFileSync(
  path.join(out, "style.json"),
  JSON.stringify({
    version: 8,
    name: "citydeck-dev",
    glyphs: baseUrl + "glyphs/{fontstack}/{range}.pbf",
    sources: {},
    layers: [{ id: "background", type: "background", paint: { "background-color": "#071327" } }],
  }),
);

// [name, lon, lat]
const CENTRES = [
  ["Kamppi", 24.931, 60.168],
  ["Kluuvi", 24.946, 60.172],
  ["Kaartinkaupunki", 24.948, 60.165],
  ["Kruununhaka", 24.957, 60.172],
  ["Katajanokka", 24.967, 60.167],
  ["Punavuori", 24.938, 60.161],
  ["Eira", 24.938, 60.156],
  ["Ullanlinna", 24.951, 60.158],
  ["Etu-Töölö", 24.926, 60.175],
  ["Taka-Töölö", 24.923, 60.185],
  ["Kallio", 24.951, 60.184],
  ["Sörnäinen", 24.963, 60.187],
  ["Vallila", 24.955, 60.194],
  ["Pasila", 24.932, 60.197],
  ["Ruoholahti", 24.914, 60.164],
  ["Jätkäsaari", 24.918, 60.157],
  ["Kalasatama", 24.978, 60.187],
  ["Meilahti", 24.905, 60.19],
  ["Lauttasaari", 24.875, 60.158],
  ["Munkkiniemi", 24.875, 60.198],
  ["Kulosaari", 25.005, 60.186],
  ["Herttoniemi", 25.03, 60.195],
  ["Käpylä", 24.948, 60.213],
  ["Arabianranta", 24.978, 60.205],
  ["Pikku Huopalahti", 24.895, 60.205],
];
const BOX = [24.83, 60.145, 25.08, 60.245];
const K = Math.cos((60.19 * Math.PI) / 180); // equal-distance in lon

// Clip a convex polygon by the half-plane closer to a than to b (Sutherland–Hodgman).
function clip(poly, a, b) {
  const f = (p) => {
    const dx = (b[0] - a[0]) * K * K;
    const dy = b[1] - a[1];
    const mx = (a[0] + b[0]) / 2;
    const my = (a[1] + b[1]) / 2;
    return (p[0] - mx) * dx + (p[1] - my) * dy; // < 0: a's side
  };
  const res = [];
  for (let i = 0; i < poly.length; i++) {
    const p = poly[i];
    const q = poly[(i + 1) % poly.length];
    const fp = f(p);
    const fq = f(q);
    if (fp <= 0) res.push(p);
    if ((fp < 0 && fq > 0) || (fp > 0 && fq < 0)) {
      const t = fp / (fp - fq);
      res.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]);
    }
  }
  return res;
}
const features = CENTRES.map(([name, lon, lat]) => {
  let poly = [
    [BOX[0], BOX[1]],
    [BOX[2], BOX[1]],
    [BOX[2], BOX[3]],
    [BOX[0], BOX[3]],
  ];
  for (const [, lo, la] of CENTRES) if (lo !== lon || la !== lat) poly = clip(poly, [lon, lat], [lo, la]);
  const ring = poly.map(([x, y]) => [+x.toFixed(5), +y.toFixed(5)]);
  ring.push(ring[0]);
  return { type: "Feature", properties: { name }, geometry: { type: "Polygon", coordinates: [ring] } };
});
fs.writeFileSync(path.join(out, "districts.geojson"), JSON.stringify({ type: "FeatureCollection", features }));
console.log(`${out}: style.json, districts.geojson (${features.length}), glyphs`);
