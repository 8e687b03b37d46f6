// The inspector view (phone, one hand): where am I, the hazard sources nearest to me, a card with
// their live readings and hazard facts, and the way there. The actions sit at the bottom, under
// the thumb.

import type { GeoJSONSource, Map as MapLibreMap } from "maplibre-gl";
import { items, tileJSON, type Item } from "../api";
import { applyLive, gradeBadge, related, type Related } from "../card";
import { h, replace } from "../dom";
import { attribute, distance, mass, reading } from "../format";
import { choice, fieldName, onLangChange, t, type Key } from "../i18n";
import { homeBounds } from "../home";
import { LiveStream, type LiveEvent } from "../live";
import { sensorColor } from "../map/colors";
import { anchor, bearingDeg, bounds, boxAround, compassPoint, distanceM, type LonLat } from "../map/geometry";
import { createMap, select } from "../map/setup";
import type { Shell } from "../shell";

const SEARCH_RADII_M = [3000, 10000, 50000]; // widened until something is found
const SHOWN = 30;
const LOCATE_TIMEOUT_MS = 8000;

type Where = { position: LonLat; accuracy: number | null; fallback: string | null };

export interface InspectorHandle {
  map: MapLibreMap;
  /** Resolves once the position is known (or the fallback taken) and the list is shown. */
  ready: Promise<void>;
  where(): Where | null;
  sources(): Array<{ feature: Item; distanceM: number }>;
}

function locate(): Promise<{ position: LonLat; accuracy: number }> {
  return new Promise((resolve, reject) => {
    if (!("geolocation" in navigator)) {
      reject(Object.assign(new Error("unavailable"), { code: 2 }));
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ position: [p.coords.longitude, p.coords.latitude], accuracy: p.coords.accuracy }),
      (error) => reject(error),
      { enableHighAccuracy: true, timeout: LOCATE_TIMEOUT_MS, maximumAge: 30000 },
    );
  });
}

function reason(error: unknown): Key {
  const code = (error as { code?: number }).code;
  return code === 1 ? "inspector.denied" : code === 3 ? "inspector.timeout" : "inspector.unavailable";
}

/** An arrow pointing along ``bearing`` (degrees from north), for the list and the card. */
function arrow(bearing: number): HTMLElement {
  return h("span", { class: "arrow", style: `transform: rotate(${bearing.toFixed(0)}deg)`, "aria-hidden": "true" }, "↑");
}

const HERE_M = 10; // closer than this, a bearing means nothing

function wayText(from: LonLat, to: LonLat): string {
  if (distanceM(from, to) < HERE_M) return t("inspector.here");
  const bearing = bearingDeg(from, to);
  return t("inspector.way.detail", {
    distance: distance(distanceM(from, to)),
    bearing: `${Math.round(bearing) % 360}°`,
    direction: t(`direction.${compassPoint(bearing)}` as Key),
  });
}

/** A link that opens the place in the phone's navigation app (RFC 5870 geo: URI, WGS 84). */
function navigationLink(to: LonLat, name: string): HTMLAnchorElement {
  const [lon, lat] = to.map((x) => x.toFixed(6));
  return h(
    "a",
    { class: "button primary", href: `geo:${lat},${lon}?q=${lat},${lon}(${encodeURIComponent(name)})` },
    t("inspector.navigate"),
  );
}

export async function inspectorView(frame: Shell): Promise<InspectorHandle> {
  const [tiles, home] = await Promise.all([tileJSON("map"), homeBounds()]);
  const status = h("p", { class: "locate-status", role: "status" });
  const relocate = h("button", { type: "button", class: "button" });
  const mapElement = h("div", { class: "map", id: "map" });
  const list = h("ol", { class: "nearby" });
  const detail = h("article", { class: "detail", hidden: true });
  const heading = h("h2", {});
  const sheet = h("section", { class: "sheet" }, h("header", {}, heading, relocate), status, list, detail);
  frame.main.append(h("div", { class: "map-area" }, mapElement), sheet);

  const start = home ?? tiles.bounds;
  const map = createMap(mapElement, tiles, start ? { bounds: start } : {});
  const loaded = new Promise<void>((resolve) => map.once("load", () => resolve()));
  let where: Where | null = null;
  let nearby: Array<{ feature: Item; distanceM: number }> = [];
  let chosen: { feature: Item; rel: Related | null } | null = null;
  let live: LiveStream | null = null;

  const render = () => {
    heading.textContent = chosen ? String(chosen.feature.properties.name) : t("inspector.title");
    relocate.textContent = t("inspector.relocate");
    if (!where) status.textContent = t("inspector.locating");
    else if (where.fallback) status.textContent = t("inspector.fallback", { reason: t(where.fallback as Key), place: t("inspector.fallback.place") });
    else status.textContent = t("inspector.located", { accuracy: Math.round(where.accuracy ?? 0) });
    list.hidden = chosen !== null;
    detail.hidden = chosen === null;
    if (!chosen) renderList();
    else renderDetail();
  };

  const renderList = () => {
    if (!where) {
      replace(list);
      return;
    }
    if (!nearby.length) {
      replace(list, h("li", { class: "empty" }, t("inspector.none", { km: SEARCH_RADII_M.at(-1)! / 1000 })));
      return;
    }
    const from = where.position;
    replace(
      list,
      ...nearby.map(({ feature, distanceM: d }) => {
        const to = anchor(feature.geometry!);
        return h(
          "li",
          { "data-id": feature.id },
          h(
            "button",
            { type: "button", onclick: () => void choose(feature) },
            h("span", { class: "nearby-name" }, h("b", {}, String(feature.properties.name)), h("small", {}, String(feature.properties.enterprise_name ?? ""))),
            gradeBadge(feature.properties.grade),
            h("span", { class: "nearby-way" }, d >= HERE_M ? arrow(bearingDeg(from, to)) : null, distance(d)),
          ),
        );
      }),
    );
  };

  const renderDetail = () => {
    if (!chosen || !where) return;
    const p = chosen.feature.properties;
    const to = anchor(chosen.feature.geometry!);
    const rel = chosen.rel;
    const accidents = (["fire", "explosion", "poisoning"] as const).filter((a) => p[`accident_${a}`] === true);
    replace(
      detail,
      h("p", { class: "detail-head" }, gradeBadge(p.grade), h("small", {}, String(p.enterprise_name ?? ""))),
      h(
        "section",
        { class: "way" },
        h("h3", {}, t("inspector.way")),
        h(
          "p",
          { class: "way-line" },
          distanceM(where.position, to) >= HERE_M ? arrow(bearingDeg(where.position, to)) : null,
          wayText(where.position, to),
        ),
      ),
      h(
        "section",
        {},
        h("h3", {}, t("card.readings")),
        rel === null
          ? h("p", { class: "muted" }, t("card.loading"))
          : rel.sensors.length
            ? h(
                "ul",
                { class: "readings" },
                ...rel.sensors.map((s) => {
                  const state = String(s.properties.alarm_state ?? "normal");
                  return h(
                    "li",
                    { class: "reading", "data-sensor": s.id, "data-state": state, "data-unit": String(s.properties.unit ?? ""), style: `--state:${sensorColor(state)}` },
                    h("span", { class: "reading-name" }, h("b", {}, String(s.properties.name ?? s.properties.tag)), h("small", {}, String(s.properties.tag ?? ""))),
                    h("span", { class: "reading-value" }, reading(s.properties.value, s.properties.unit)),
                    h("span", { class: "reading-state" }, choice("sensors", "alarm_state", state)),
                  );
                }),
              )
            : h("p", { class: "muted" }, t("card.no-readings")),
      ),
      h(
        "section",
        {},
        h("h3", {}, t("card.hazard")),
        rel?.equipment.length
          ? h(
              "ul",
              { class: "substances" },
              ...rel.equipment.map((e) =>
                h(
                  "li",
                  {},
                  h("b", {}, String(e.properties.substance_name ?? "—")),
                  h("span", {}, String(e.properties.name ?? e.properties.code)),
                  h(
                    "small",
                    {},
                    [
                      typeof e.properties.design_max_kg === "number" ? `${t("card.design-max")} ${mass(e.properties.design_max_kg)}` : "",
                      typeof e.properties.inventory_kg === "number" ? `${t("card.inventory")} ${mass(e.properties.inventory_kg)}` : "",
                    ]
                      .filter(Boolean)
                      .join(" · "),
                  ),
                ),
              ),
            )
          : null,
        h(
          "dl",
          { class: "facts" },
          ...(["kind", "gb_r", "registry_status"] as const).flatMap((f) => [
            h("dt", {}, fieldLabel(f)),
            h("dd", {}, attribute("hazard-sources", f, p[f])),
          ]),
        ),
        accidents.length ? h("p", { class: "tags" }, ...accidents.map((a) => h("span", { class: "tag" }, t(`card.${a}`)))) : null,
      ),
      h(
        "section",
        {},
        h("h3", {}, t("card.responsible")),
        h(
          "dl",
          { class: "facts" },
          ...(["principal_name", "technical_name", "operational_name"] as const).flatMap((f) => [
            h("dt", {}, fieldLabel(f)),
            h("dd", {}, String(p[f] ?? "—")),
          ]),
        ),
      ),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", class: "button", onclick: () => back() }, t("inspector.back")),
        navigationLink(to, String(p.name)),
      ),
    );
  };

  const drawWay = async () => {
    await loaded;
    const me = where ? [{ type: "Feature" as const, geometry: { type: "Point" as const, coordinates: where.position }, properties: {} }] : [];
    const way =
      where && chosen
        ? [{ type: "Feature" as const, geometry: { type: "LineString" as const, coordinates: [where.position, anchor(chosen.feature.geometry!)] }, properties: {} }]
        : [];
    map.getSource<GeoJSONSource>("me")?.setData({ type: "FeatureCollection", features: me });
    map.getSource<GeoJSONSource>("way")?.setData({ type: "FeatureCollection", features: way });
    select(map, chosen?.feature ?? null);
  };

  const fit = () => {
    if (!where) return;
    const points: LonLat[] = [where.position];
    if (chosen) points.push(anchor(chosen.feature.geometry!));
    else points.push(...nearby.slice(0, 5).map((n) => anchor(n.feature.geometry!)));
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    map.fitBounds([Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)], { padding: 40, maxZoom: 17, duration: 0 });
  };

  const findNearby = async (from: LonLat) => {
    for (const radius of SEARCH_RADII_M) {
      const page = await items("hazard-sources", { bbox: boxAround(from, radius).map((x) => x.toFixed(6)).join(","), limit: 500 });
      const found = page.features
        .filter((f) => f.geometry)
        .map((feature) => ({ feature, distanceM: distanceM(from, anchor(feature.geometry!)) }))
        .filter((n) => n.distanceM <= radius)
        .sort((a, b) => a.distanceM - b.distanceM);
      if (found.length || radius === SEARCH_RADII_M.at(-1)) return found.slice(0, SHOWN);
    }
    return [];
  };

  const follow = (feature: Item) => {
    live?.stop();
    const [w, s, e, n] = bounds(feature.geometry!);
    live = new LiveStream(["sensors", "equipment"], [w - 0.001, s - 0.001, e + 0.001, n + 0.001]);
    live.onStatus((st) => frame.setLive(st));
    live.on((events: LiveEvent[]) => {
      if (!chosen?.rel) return;
      for (const event of events) {
        const pool = event.collection === "sensors" ? chosen.rel.sensors : chosen.rel.equipment;
        const target = pool.find((x) => x.id === event.featureId);
        if (target) Object.assign(target.properties, event.properties);
      }
      applyLive(detail, events); // the readings change in place: scrolling and reading go on undisturbed
    });
    live.start();
  };

  const choose = async (feature: Item) => {
    chosen = { feature, rel: null };
    render();
    sheet.scrollTop = 0;
    void drawWay();
    fit();
    follow(feature);
    const rel = await related("hazard-sources", feature);
    if (chosen?.feature.id === feature.id) {
      chosen.rel = rel;
      render();
    }
  };

  const back = () => {
    chosen = null;
    live?.stop();
    live = null;
    render();
    void drawWay();
    fit();
  };

  const place = async () => {
    where = null;
    render();
    try {
      const found = await locate();
      where = { position: found.position, accuracy: found.accuracy, fallback: null };
    } catch (error) {
      const centre: LonLat = start ? [(start[0] + start[2]) / 2, (start[1] + start[3]) / 2] : [map.getCenter().lng, map.getCenter().lat];
      where = { position: centre, accuracy: null, fallback: reason(error) };
    }
    nearby = await findNearby(where.position);
    render();
    void drawWay();
    fit();
  };
  relocate.addEventListener("click", () => void place());

  await loaded;
  map.addSource("way", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
  map.addSource("me", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
  map.addLayer({ id: "way-line", type: "line", source: "way", paint: { "line-color": "#1f6feb", "line-width": 3, "line-dasharray": [2, 1.5] } });
  map.addLayer({
    id: "me-point",
    type: "circle",
    source: "me",
    paint: { "circle-color": "#1f6feb", "circle-radius": 7, "circle-stroke-color": "#fff", "circle-stroke-width": 3 },
  });
  onLangChange(render);
  const ready = place();
  return { map, ready, where: () => where, sources: () => nearby };
}

function fieldLabel(field: string): string {
  return fieldName("hazard-sources", field);
}
