// The planner view: what-if releases from a tank or at a point, compared side by side, exported as
// GeoJSON (here) or GeoPackage (written by the server, web/export.py) and printed as a report with the
// map. Every run is the OGC API process `consequence`.

import type { GeoJSONSource, Map as MapLibreMap } from "maplibre-gl";
import { allItems, postForFile, tileJSON, type Item } from "../api";
import { KINDS, RELEASES, addZoneLayers, drawZones, simulate, weatherText, zoneList, type Consequence } from "../consequence";
import { h, replace } from "../dom";
import { distance } from "../format";
import { homeBounds } from "../home";
import { choice, num, onLangChange, t, time, type Key } from "../i18n";
import { bounds } from "../map/geometry";
import { createMap } from "../map/setup";
import { session } from "../session";
import type { Shell } from "../shell";

const MAX_SCENARIOS = 4;
const LETTERS = ["A", "B", "C", "D"];
const SEVERITIES = ["red", "orange", "yellow"] as const;
const ZONES = "planner-zones";
const STORAGES = ["pressurised_liquefied", "atmospheric_liquid", "compressed_gas", "refrigerated_liquefied"];

interface Scenario {
  letter: string;
  label: string;
  inputs: Record<string, unknown>;
  result: Consequence;
}

export interface PlannerHandle {
  map: MapLibreMap;
  scenarios(): Scenario[];
  ready: Promise<void>;
}

function field(label: string, control: HTMLElement, hidden = false): HTMLElement {
  return h("label", { class: "field", hidden }, h("span", {}, label), control);
}

function options(select: HTMLSelectElement, values: readonly string[], label: (v: string) => string, keep = true): void {
  const chosen = keep ? select.value : "";
  replace(select, ...values.map((v) => h("option", { value: v, selected: v === chosen }, label(v))));
}

/** A file of ``content`` offered for download as ``name``. */
function download(name: string, content: string | Blob, type: string): void {
  const url = URL.createObjectURL(typeof content === "string" ? new Blob([content], { type }) : content);
  const link = h("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export async function plannerView(frame: Shell): Promise<PlannerHandle> {
  const [tiles, home] = await Promise.all([tileJSON("map"), homeBounds()]);
  const mapElement = h("div", { class: "map", id: "map" });
  const panel = h("section", { class: "panel planner" });
  const compare = h("section", { class: "compare" });
  const report = h("section", { class: "report" });
  frame.main.append(panel, h("div", { class: "map-area" }, mapElement, compare), report);
  const start = home ?? tiles.bounds;
  const map = createMap(mapElement, tiles, start ? { bounds: start } : {});
  const loaded = new Promise<void>((resolve) => map.once("load", () => resolve()));

  // --- the scenario form -------------------------------------------------------------------------
  const where = h("select", { name: "where" });
  const equipment = h("select", { name: "equipment" });
  const point = h("input", { type: "text", name: "point", readonly: true });
  const cas = h("input", { type: "text", name: "cas", list: "planner-cas", autocomplete: "off" });
  const casList = h("datalist", { id: "planner-cas" });
  const kind = h("select", { name: "kind" });
  const release = h("select", { name: "release" });
  const hole = h("input", { type: "number", name: "hole_mm", min: 1, step: 1, value: 25 });
  const inventory = h("input", { type: "number", name: "inventory_t", min: 0, step: "any" });
  const storage = h("select", { name: "storage" });
  const wind = h("input", { type: "number", name: "wind_speed", min: 1, max: 30, step: 0.5 });
  const windFrom = h("input", { type: "number", name: "wind_from", min: 0, max: 360, step: 1 });
  const stability = h("select", { name: "stability" });
  const standard = h("select", { name: "standard" });
  const run = h("button", { type: "submit", class: "button primary" });
  const message = h("p", { class: "muted", "aria-live": "polite" });
  const form = h("form", { class: "planner-form" });
  let tanks: Item[] = [];
  let enterprises = new Map<number, string>();
  let picked: [number, number] | null = null;
  let scenarios: Scenario[] = [];
  let shown = -1;

  const renderForm = () => {
    options(where, ["equipment", "point"], (v) => t(`plan.where.${v}` as Key));
    const chosen = equipment.value;
    const byEnterprise = new Map<number, Item[]>();
    for (const e of tanks) byEnterprise.set(Number(e.properties.enterprise_id), [...(byEnterprise.get(Number(e.properties.enterprise_id)) ?? []), e]);
    replace(
      equipment,
      ...[...byEnterprise].map(([id, list]) =>
        h(
          "optgroup",
          { label: enterprises.get(id) ?? String(id) },
          ...list.map((e) =>
            h("option", { value: e.id, selected: chosen === String(e.id) }, `${e.properties.name}（${e.properties.code}，${e.properties.substance_name}）`),
          ),
        ),
      ),
    );
    options(kind, KINDS, (k) => choice("scenarios", "kind", k));
    options(release, RELEASES, (r) => t(`sim.release.${r}` as Key));
    options(storage, STORAGES, (s) => choice("equipment", "storage", s));
    options(stability, ["", "A", "B", "C", "D", "E", "F"], (s) => (s ? s : t("plan.auto")));
    options(standard, ["us", "cn"], (s) => t(`plan.standard.${s}` as Key));
    point.placeholder = t("plan.point.hint");
    wind.placeholder = t("plan.live");
    windFrom.placeholder = t("plan.live");
    run.textContent = t("sim.run");
    const atPoint = where.value === "point";
    replace(
      form,
      field(t("plan.where"), where),
      field(t("plan.equipment"), equipment, atPoint),
      field(t("plan.point"), point, !atPoint),
      field(t("plan.cas"), cas, !atPoint),
      field(t("plan.inventory"), inventory),
      field(t("plan.storage"), storage, !atPoint),
      field(t("sim.kind"), kind),
      field(t("sim.release"), release),
      field(t("sim.hole"), hole, release.value !== "hole"),
      field(t("plan.wind"), wind),
      field(t("plan.wind-from"), windFrom),
      field(t("plan.stability"), stability),
      field(t("plan.standard"), standard),
      h("div", { class: "sim-actions" }, run),
      message,
      casList,
    );
    replace(panel, h("header", {}, h("h2", {}, t("plan.title"))), form);
  };

  const inputs = (): Record<string, unknown> => {
    const given: Record<string, unknown> = { kind: kind.value, release: release.value, standard: standard.value };
    if (where.value === "point") {
      given.point = picked;
      given.cas = cas.value.trim();
      given.storage = storage.value;
    } else {
      given.equipment = Number(equipment.value);
    }
    if (release.value === "hole") given.hole_diameter_m = Number(hole.value) / 1000;
    if (inventory.value) given.inventory_kg = Number(inventory.value) * 1000;
    const weather: Record<string, unknown> = {};
    if (wind.value) weather.wind_speed_m_s = Number(wind.value);
    if (windFrom.value) weather.wind_from_deg = Number(windFrom.value);
    if (stability.value) weather.stability = stability.value;
    if (Object.keys(weather).length) given.weather = weather;
    return given;
  };

  const label = (given: Record<string, unknown>): string => {
    const tank = tanks.find((e) => e.id === given.equipment);
    const what = tank ? String(tank.properties.name) : `${given.cas} @ ${(given.point as number[] | null)?.map((x) => x.toFixed(4)).join(", ")}`;
    const how = given.release === "hole" ? `${t("sim.release.hole")} ${Number(given.hole_diameter_m) * 1000} mm` : t("sim.release.catastrophic");
    return `${what} · ${choice("scenarios", "kind", given.kind)} · ${how}`;
  };

  form.addEventListener("change", (event) => {
    const name = (event.target as HTMLElement).getAttribute("name");
    if (name === "where" || name === "release") renderForm();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (where.value === "point" && !picked) {
      message.textContent = t("plan.point.missing");
      return;
    }
    const given = inputs();
    message.textContent = t("sim.running");
    run.disabled = true;
    try {
      const result = await simulate(given);
      if (scenarios.length >= MAX_SCENARIOS) scenarios.shift();
      scenarios.push({ letter: "", label: label(given), inputs: given, result });
      scenarios.forEach((s, i) => (s.letter = LETTERS[i]));
      shown = scenarios.length - 1;
      message.textContent = "";
      show();
      const widest = result.features.filter((f) => f.geometry).at(-1);
      if (widest) map.fitBounds(bounds(widest.geometry!), { padding: 30, maxZoom: 16, duration: 400 });
    } catch (error) {
      message.textContent = t("sim.failed", { error: (error as Error).message });
    } finally {
      run.disabled = false;
    }
  });

  // --- the map: the point picked, the zones of the scenario shown -------------------------------
  map.on("click", (event) => {
    if (where.value !== "point") return;
    picked = [Number(event.lngLat.lng.toFixed(6)), Number(event.lngLat.lat.toFixed(6))];
    point.value = picked.map((x) => x.toFixed(5)).join(", ");
    map.getSource<GeoJSONSource>("planner-point")?.setData({
      type: "FeatureCollection",
      features: [{ type: "Feature", geometry: { type: "Point", coordinates: picked }, properties: {} }],
    });
  });

  // --- the comparison, side by side --------------------------------------------------------------
  const show = () => {
    const current = scenarios[shown] ?? null;
    drawZones(map, ZONES, current?.result ?? null);
    if (!scenarios.length) {
      replace(compare);
      replace(report);
      return;
    }
    const zone = (s: Scenario, severity: string) => s.result.features.find((f) => f.properties.severity === severity);
    const rows: Array<[string, (s: Scenario) => string]> = [
      [t("plan.row.what"), (s) => s.label],
      [t("plan.row.model"), (s) => s.result.model],
      [t("plan.row.weather"), (s) => weatherText(s.result)],
      ...SEVERITIES.flatMap((severity): Array<[string, (s: Scenario) => string]> => [
        [
          t(`zones.${severity}` as Key),
          (s) => {
            const z = zone(s, severity);
            if (!z) return "—";
            const p = z.properties;
            return p.reached && p.max_distance_m !== null ? `${p.endpoint}：${distance(p.max_distance_m)}` : `${p.endpoint}：${t("sim.not-reached")}`;
          },
        ],
        [
          t("plan.row.inside", { zone: t(`zones.${severity}` as Key) }),
          (s) => {
            const p = zone(s, severity)?.properties;
            return p
              ? [t("sim.people", { n: p.people_inside }), t("sim.population", { n: num(p.population_inside, 0) }), t("sim.enterprises", { n: p.enterprises.length })].join(" · ")
              : "—";
          },
        ],
      ]),
    ];
    const table = h(
      "table",
      { class: "comparison" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", {}, ""),
          ...scenarios.map((s, i) =>
            h(
              "th",
              { "aria-current": i === shown ? "true" : null },
              h("button", { type: "button", class: "link", onclick: () => ((shown = i), show()) }, `${t("plan.scenario")} ${s.letter}`),
              " ",
              h("button", { type: "button", class: "link", onclick: () => exportGeoJSON(s) }, t("plan.export")),
              " ",
              h("button", { type: "button", class: "link", onclick: () => void exportGeoPackage(s) }, t("plan.export.gpkg")),
              " ",
              h("button", { type: "button", class: "link", onclick: () => ((scenarios = scenarios.filter((x) => x !== s)), scenarios.forEach((x, j) => (x.letter = LETTERS[j])), (shown = Math.min(shown, scenarios.length - 1)), show()) }, "×"),
            ),
          ),
        ),
      ),
      h("tbody", {}, ...rows.map(([name, value]) => h("tr", {}, h("th", {}, name), ...scenarios.map((s) => h("td", {}, value(s)))))),
    );
    replace(
      compare,
      h("header", {}, h("h2", {}, t("plan.compare")), h("button", { type: "button", class: "button", onclick: () => void print() }, t("plan.print"))),
      h("div", { class: "table-wrap" }, table),
    );
    renderReport(null);
  };

  const fileName = (s: Scenario, extension: string) =>
    `hazmap-${s.letter}-${s.result.substance.cas}-${s.result.computed_at.slice(0, 19).replace(/[:T]/g, "")}.${extension}`;
  const exportGeoJSON = (s: Scenario) => {
    download(fileName(s, "geojson"), JSON.stringify({ ...s.result, name: s.label, inputs: s.inputs }), "application/geo+json");
  };
  /** The zones as a GeoPackage, one layer named after the scenario (the same document, written by the server). */
  const exportGeoPackage = async (s: Scenario) => {
    try {
      const file = await postForFile("/app/export/geopackage", { ...s.result, name: `${t("plan.scenario")} ${s.letter} ${s.label}` });
      download(fileName(s, "gpkg"), file, "application/geopackage+sqlite3");
    } catch (error) {
      message.textContent = t("plan.export.failed", { error: (error as Error).message });
    }
  };

  const renderReport = (mapImage: string | null) => {
    const user = session().user;
    replace(
      report,
      h("h1", {}, t("plan.report.title")),
      h("p", {}, t("plan.report.by", { user: user.name, time: time(new Date().toISOString(), true) })),
      mapImage ? h("img", { src: mapImage, alt: t("plan.report.map"), class: "report-map" }) : null,
      ...scenarios.map((s) =>
        h("section", {}, h("h2", {}, `${t("plan.scenario")} ${s.letter}：${s.label}`), h("p", {}, weatherText(s.result)), zoneList(s.result)),
      ),
    );
  };

  /** Print the report with the map as drawn now (a WebGL canvas is copied right after a frame). */
  const print = async () => {
    const image = await new Promise<string>((resolve) => {
      map.once("render", () => resolve(map.getCanvas().toDataURL("image/png")));
      map.triggerRepaint();
    });
    renderReport(image);
    window.print();
  };

  onLangChange(() => {
    renderForm();
    show();
  });
  renderForm();
  const ready = (async () => {
    const [all, owners] = await Promise.all([
      allItems("equipment", { skipGeometry: "true", filter: "substance_name IS NOT NULL" }, 5000),
      allItems("enterprises", { skipGeometry: "true", properties: "name" }, 5000),
    ]);
    enterprises = new Map(owners.map((e) => [e.id, String(e.properties.name)]));
    tanks = all.sort((a, b) => String(a.properties.code).localeCompare(String(b.properties.code)));
    replace(casList, ...[...new Set(tanks.map((e) => String(e.properties.substance_cas ?? "")))].filter(Boolean).map((c) => h("option", { value: c })));
    renderForm();
    await loaded;
    addZoneLayers(map, ZONES, "hazard-sources-fill");
    map.addSource("planner-point", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    map.addLayer({
      id: "planner-point",
      type: "circle",
      source: "planner-point",
      paint: { "circle-color": "#1f6feb", "circle-radius": 7, "circle-stroke-color": "#fff", "circle-stroke-width": 2 },
    });
  })();
  return { map, scenarios: () => scenarios, ready };
}
