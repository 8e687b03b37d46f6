// A release simulated by the OGC API process `consequence` (layers/processes.py): its inputs, its
// zones on the map, and who and what is inside each, as the command and planner views show them.

import type { Feature, FeatureCollection, MultiPolygon } from "geojson";
import type { GeoJSONSource, Map as MapLibreMap } from "maplibre-gl";
import { postJSON } from "./api";
import { h } from "./dom";
import { distance } from "./format";
import { choice, num, t, time, type Key } from "./i18n";
import type { LiveEvent } from "./live";
import { ZONE_COLORS } from "./map/colors";
import { compassPoint } from "./map/geometry";

export const EXECUTE = "/ogc/processes/consequence/execution";
export const KINDS = ["toxic", "flammable", "pool_fire", "jet_fire", "bleve", "vce"] as const;
export const RELEASES = ["hole", "catastrophic"] as const;

export interface ZoneProperties {
  endpoint: string;
  threshold: number;
  unit: string;
  severity: "red" | "orange" | "yellow";
  reached: boolean;
  max_distance_m: number | null;
  max_width_m: number | null;
  envelope: MultiPolygon | null;
  people_inside: number;
  people: Array<{ id: number; code: string; holder: string; enterprise_name: string }>;
  targets: Array<{ id: number; name: string; kind: string; population: number }>;
  population_inside: number;
  enterprises: Array<{ id: number; name: string }>;
}

export interface Consequence extends FeatureCollection<MultiPolygon | null, ZoneProperties> {
  kind: string;
  model: string;
  substance: { cas: string; name: string };
  source_point: [number, number];
  downwind_bearing_deg: number | null;
  weather: {
    wind_speed_m_s: number;
    wind_from_deg: number;
    stability: string;
    source: string;
    station?: string;
    time?: string;
    sensors?: Array<{ id: number; kind: string; value: number }>;
  };
  limits: Array<{ code: string; message: string }>;
  computed_at: string;
}

/** Run the process with ``inputs`` (see GET /ogc/processes/consequence for every one). */
export function simulate(inputs: Record<string, unknown>, signal?: AbortSignal): Promise<Consequence> {
  return postJSON<Consequence>(EXECUTE, { inputs }, signal);
}

/** Add the layers that draw a simulation's zones (GeoJSON source ``source``) to ``map``. */
export function addZoneLayers(map: MapLibreMap, source: string, before?: string): void {
  const empty: FeatureCollection = { type: "FeatureCollection", features: [] };
  map.addSource(source, { type: "geojson", data: empty });
  map.addSource(`${source}-envelope`, { type: "geojson", data: empty });
  const color = ["match", ["get", "severity"], "red", ZONE_COLORS.red, "orange", ZONE_COLORS.orange, ZONE_COLORS.yellow];
  map.addLayer(
    { id: `${source}-fill`, type: "fill", source, paint: { "fill-color": color as never, "fill-opacity": 0.2 } },
    before,
  );
  map.addLayer(
    { id: `${source}-line`, type: "line", source, paint: { "line-color": color as never, "line-width": 2 } },
    before,
  );
  map.addLayer(
    {
      id: `${source}-envelope`,
      type: "line",
      source: `${source}-envelope`,
      paint: { "line-color": color as never, "line-width": 1, "line-dasharray": [3, 3], "line-opacity": 0.8 },
    },
    before,
  );
}

/** Draw ``result``'s zones (the least severe below) and their confidence lines; null clears them. */
export function drawZones(map: MapLibreMap, source: string, result: Consequence | null): void {
  const zones = (result?.features ?? []).filter((f) => f.geometry).reverse();
  const envelopes: Feature[] = zones
    .filter((f) => f.properties.envelope)
    .map((f) => ({ type: "Feature", geometry: f.properties.envelope!, properties: { severity: f.properties.severity } }));
  map.getSource<GeoJSONSource>(source)?.setData({
    type: "FeatureCollection",
    features: zones.map((f) => ({
      type: "Feature" as const,
      geometry: f.geometry!,
      properties: { severity: f.properties.severity, endpoint: f.properties.endpoint },
    })),
  });
  map.getSource<GeoJSONSource>(`${source}-envelope`)?.setData({ type: "FeatureCollection", features: envelopes });
}

/** The weather the run used, in words: wind speed, where it comes from, stability, station. */
export function weatherText(result: Consequence): string {
  const w = result.weather;
  return t("sim.weather", {
    speed: num(w.wind_speed_m_s, 1),
    from: Math.round(w.wind_from_deg) % 360,
    direction: t(`direction.${compassPoint(w.wind_from_deg)}` as Key),
    stability: w.stability,
    station: w.station ?? "—",
    source: w.source === "live" ? t("sim.live") : w.source === "given" ? t("sim.given") : t("sim.mixed"),
  });
}

/** Zones with who and what is inside each, as a list for a card or a report. */
export function zoneList(result: Consequence): HTMLElement {
  return h(
    "ol",
    { class: "zones" },
    ...result.features.map((zone) => {
      const p = zone.properties;
      const inside = [
        t("sim.people", { n: p.people_inside }),
        t("sim.population", { n: num(p.population_inside, 0) }),
        t("sim.enterprises", { n: p.enterprises.length }),
      ].join(" · ");
      return h(
        "li",
        { "data-severity": p.severity, style: `--zone:${ZONE_COLORS[p.severity]}` },
        h(
          "div",
          { class: "zone-head" },
          h("b", {}, p.endpoint),
          h("span", {}, p.reached && p.max_distance_m !== null ? distance(p.max_distance_m) : t("sim.not-reached")),
        ),
        p.reached ? h("small", {}, inside) : null,
        p.targets.length
          ? h("p", { class: "inside" }, ...p.targets.map((x) => h("span", { class: "tag" }, `${x.name}（${choice("sensitive-targets", "kind", x.kind)} ${num(x.population, 0)}）`)))
          : null,
        p.enterprises.length ? h("p", { class: "inside muted" }, p.enterprises.map((e) => e.name).join("、")) : null,
        p.people.length ? h("p", { class: "inside muted" }, p.people.map((x) => x.holder || x.code).join("、")) : null,
      );
    }),
  );
}

/** The run in a few lines: model, weather, zones, limits and when it was computed. */
export function resultView(result: Consequence): HTMLElement {
  return h(
    "div",
    { class: "sim-result" },
    h("p", { class: "muted" }, `${choice("scenarios", "kind", result.kind)} · ${result.substance.name} · ${result.model}`),
    h("p", {}, weatherText(result)),
    zoneList(result),
    result.limits.length ? h("ul", { class: "limits" }, ...result.limits.map((l) => h("li", {}, l.message))) : null,
    h("p", { class: "muted" }, t("sim.computed", { time: time(result.computed_at) })),
  );
}

/** Wind sensors a run used, with the values it used: the run is redone when they change enough. */
export class WindWatch {
  private speed: number;
  private from: number;
  private readonly kinds = new Map<number, string>(); // wind sensor id → wind_speed | wind_direction

  constructor(result: Consequence) {
    this.speed = result.weather.wind_speed_m_s;
    this.from = result.weather.wind_from_deg;
    for (const s of result.weather.sensors ?? []) if (s.kind.startsWith("wind")) this.kinds.set(s.id, s.kind);
  }

  /** Whether ``events`` turn the wind by ≥ 10° or change its speed by ≥ 1 m/s since the run (as the server's live scenarios do). */
  changed(events: LiveEvent[]): boolean {
    let changed = false;
    for (const event of events) {
      const kind = event.collection === "sensors" ? this.kinds.get(event.featureId) : undefined;
      const value = event.properties.value;
      if (kind === undefined || typeof value !== "number") continue;
      if (kind === "wind_direction" && Math.abs(((value - this.from + 540) % 360) - 180) >= 10) changed = true;
      if (kind === "wind_speed" && Math.abs(value - this.speed) >= 1) changed = true;
    }
    return changed;
  }

  get live(): boolean {
    return this.kinds.size > 0;
  }
}
