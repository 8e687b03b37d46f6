// The command view (一张图): every layer on one map, the alarm panel, search, the feature card, live.

import type { GeoJSONSource, Map as MapLibreMap, MapGeoJSONFeature } from "maplibre-gl";
import * as maplibregl from "maplibre-gl";
import type { Point } from "geojson";
import { AlarmStore, alarmPanel, isActive } from "../alarms";
import { tileJSON, type Item } from "../api";
import { FeatureCard } from "../card";
import { GeorefPanel } from "../georef";
import { HandlingPanel } from "../handling";
import { h } from "../dom";
import { homeBounds } from "../home";
import { mass, reading } from "../format";
import { choice, onLangChange, t, type Key } from "../i18n";
import { layersPanel } from "../layers-panel";
import { LiveStream, type LiveEvent } from "../live";
import type { RiskLevel } from "../map/colors";
import { bounds } from "../map/geometry";
import { loadAreaLabels } from "../map/labels";
import { LiveMap, Pulses, createMap, select } from "../map/setup";
import { ALARMS, PERSONNEL, PICKABLE, TILES } from "../map/style";
import { PersonnelStore } from "../personnel";
import { PlanOverlays, plansSection } from "../plans";
import { VectorImportPanel } from "../vector-import";
import { RiskColours, levelLabel, sourceColouring } from "../risk";
import { searchBox } from "../search";
import { Simulator } from "../simulator";
import type { Shell } from "../shell";

/** Collections whose changes the command view follows live. */
const FOLLOWED = ["sensors", "equipment", "alarms", "personnel", "consequence-zones", "fences", "hazard-sources"];
/** Collections whose features come and go or change shape: the tiles are asked for again (rarely). */
const RELOAD_TILES = new Set(["consequence-zones", "fences", "hazard-sources", "layout-features"]);
const RELOAD_EVERY_MS = 5000;

export interface CommandHandle {
  map: MapLibreMap;
  live: LiveStream;
  alarms: AlarmStore;
  liveMap: LiveMap;
  pulses: Pulses;
  card: FeatureCard;
  simulator: Simulator;
  plans: PlanOverlays;
  georef: GeorefPanel;
  vectorImport: VectorImportPanel;
  /** Resolves when the map has drawn its first complete frame. */
  ready: Promise<void>;
}

/** Fly to ``feature`` (a point closely, an area to fit), beside the card when it is open on the right. */
export function zoomTo(map: MapLibreMap, feature: Item, card?: HTMLElement): void {
  if (!feature.geometry) return;
  const right = card && !card.hidden && card.offsetLeft > 0 ? map.getContainer().clientWidth - card.offsetLeft + 24 : 60;
  const padding = { top: 60, bottom: 60, left: 60, right };
  const [w, s, e, n] = bounds(feature.geometry);
  if (feature.geometry.type === "Point") map.flyTo({ center: [w, s], zoom: Math.max(map.getZoom(), 16.5), padding });
  else map.fitBounds([w, s, e, n], { padding, maxZoom: 17.5 });
}

function coordinates(map: MapLibreMap): HTMLElement {
  const element = h("div", { class: "coordinates", "aria-live": "off" });
  let last: [number, number] | null = null;
  const render = () => {
    element.textContent = last ? t("map.coordinates", { lon: last[0].toFixed(5), lat: last[1].toFixed(5) }) : "";
    element.hidden = !last;
  };
  map.on("mousemove", (event) => {
    last = [event.lngLat.lng, event.lngLat.lat];
    render();
  });
  map.getCanvas().addEventListener("mouseleave", () => {
    last = null;
    render();
  });
  onLangChange(render);
  render();
  return element;
}

/** One line about a feature under the mouse, with its live value where it has one (feature-state first). */
function hoverText(map: MapLibreMap, collection: string, feature: MapGeoJSONFeature): string | null {
  const p = feature.properties;
  const live = feature.source === TILES ? map.getFeatureState({ source: TILES, sourceLayer: collection, id: feature.id! }) : {};
  switch (collection) {
    case "sensors": {
      const state = String(live.alarm_state ?? p.alarm_state ?? "normal");
      return `${p.tag} · ${reading(live.value ?? p.value, p.unit)} · ${choice("sensors", "alarm_state", state)}`;
    }
    case "equipment": {
      const kg = live.inventory_kg ?? p.inventory_kg;
      return [p.name, p.substance_name, typeof kg === "number" ? mass(kg) : null].filter(Boolean).join(" · ");
    }
    case "hazard-sources": {
      const grade = typeof p.grade === "number" ? t(`grade.${p.grade}` as Key) : t("grade.none");
      const level = live.risk as RiskLevel | undefined;
      return [p.name, grade, sourceColouring() === "risk" && level ? levelLabel(level) : null].filter(Boolean).join(" · ");
    }
    case "personnel":
      return String(p.holder ?? "");
    case "alarms":
      return `${p.level === 1 || p.level === 2 ? t(`alarms.level.${p.level}` as Key) : ""} ${choice("alarms", "kind", p.kind)}`.trim();
    default:
      return p.name ? String(p.name) : null;
  }
}

/** The feature a click at ``point`` picks: the topmost of the pickable layers. */
function pick(map: MapLibreMap, point: maplibregl.PointLike): [string, MapGeoJSONFeature] | null {
  const layers = PICKABLE.map(([layer]) => layer).filter((layer) => map.getLayer(layer));
  const [x, y] = Array.isArray(point) ? point : [point.x, point.y];
  const box: [maplibregl.PointLike, maplibregl.PointLike] = [
    [x - 4, y - 4],
    [x + 4, y + 4],
  ];
  const features = map.queryRenderedFeatures(box, { layers });
  for (const [layer, collection] of PICKABLE) {
    const feature = features.find((f) => f.layer.id === layer && f.id !== undefined);
    if (feature) return [collection, feature];
  }
  return null;
}

export async function commandView(frame: Shell): Promise<CommandHandle> {
  const [tiles, home] = await Promise.all([tileJSON("map"), homeBounds()]);
  const mapElement = h("div", { class: "map", id: "map" });
  const mapArea = h("div", { class: "map-area" }, mapElement);
  frame.main.append(mapArea);
  const map = createMap(mapElement, tiles, home ? { bounds: home } : {});
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "bottom-right");
  map.addControl(new maplibregl.ScaleControl({ maxWidth: 120, unit: "metric" }), "bottom-left");
  mapArea.append(coordinates(map));

  const cardWidth = () => (card.element.hidden ? 60 : map.getContainer().clientWidth - card.element.offsetLeft + 24);
  const simulator = new Simulator(map, cardWidth);
  const handling = new HandlingPanel();
  const card = new FeatureCard(
    (feature) => zoomTo(map, feature, card.element),
    () => {
      select(map, null);
      simulator.clear();
    },
    (collection, feature) => {
      if (collection === "alarms") return handling.panel(feature);
      return collection === "equipment" && feature.properties.substance_name ? simulator.panel(feature) : null;
    },
  );
  const show = async (collection: string, id: number, known?: Item) => {
    const shown = card.current;
    if (collection !== "equipment" || shown?.feature.id !== id) simulator.clear();
    await card.show(collection, id, known);
    if (card.current) select(map, card.current.feature);
  };
  mapArea.append(card.element);

  const alarms = new AlarmStore();
  const panel = alarmPanel(alarms, (alarm) => {
    if (alarm.geometry) map.flyTo({ center: alarm.geometry.type === "Point" ? (alarm.geometry.coordinates as [number, number]) : map.getCenter(), zoom: Math.max(map.getZoom(), 16.5) });
    void show("alarms", alarm.id); // the alarm's card: its sensor's live reading, and its handling
  });
  const risk = new RiskColours(map);
  const layers = layersPanel(map, tiles, risk);
  const plans = new PlanOverlays(map);
  const georef = new GeorefPanel(map, plans);
  const vectorImport = new VectorImportPanel(map);
  mapArea.append(georef.element, vectorImport.element);
  layers.append(
    h(
      "ul",
      { class: "plan-layers" },
      plansSection(
        plans,
        (plan) => {
          card.close();
          vectorImport.close();
          georef.open(plan);
        },
        () => {
          card.close();
          georef.close();
          vectorImport.show();
        },
      ),
    ),
  );
  frame.main.prepend(layers);
  frame.main.append(panel.element);
  const start = home ?? tiles.bounds;
  map.resize(); // the panels took their room: fit the home bounds to the map as it now is
  if (start) map.fitBounds(start, { padding: 20, duration: 0 });
  frame.tools.append(
    searchBox(async (hit) => {
      const shown = show(hit.collection, hit.feature.id, hit.feature);
      zoomTo(map, hit.feature, card.element);
      await shown;
    }),
  );

  const people = new PersonnelStore();
  const liveMap = new LiveMap(map);
  const pulses = new Pulses(map);
  const live = new LiveStream(FOLLOWED);
  live.onStatus((status) => frame.setLive(status));

  const loaded = new Promise<void>((resolve) => map.once("load", () => resolve()));
  alarms.onChange(async () => {
    await loaded;
    map.getSource<GeoJSONSource>(ALARMS)?.setData(alarms.geojson());
    pulses.update(
      alarms
        .sorted()
        .filter((a) => isActive(a) && a.geometry?.type === "Point")
        .map((a) => ({
          id: a.id,
          position: (a.geometry as Point).coordinates as [number, number],
          level: Number(a.properties.level ?? 1),
        })),
    );
  });

  let lastReload = 0;
  let reloadTimer: number | null = null;
  const reloadTiles = () => {
    // Features came or went: ask for this tileset's tiles again, versioned by the newest event seen.
    const wait = Math.max(0, lastReload + RELOAD_EVERY_MS - Date.now());
    if (reloadTimer !== null) return;
    reloadTimer = window.setTimeout(() => {
      reloadTimer = null;
      lastReload = Date.now();
      const version = String(live.lastEventId ?? 0);
      const urls = tiles.tiles.map((url) => {
        const u = new URL(url, location.href);
        u.searchParams.set("v", version);
        return decodeURI(u.href);
      });
      map.getSource<maplibregl.VectorTileSource>(TILES)?.setTiles(urls);
    }, wait);
  };

  live.on((events: LiveEvent[]) => {
    liveMap.apply(events);
    simulator.live(events);
    handling.live(events);
    void alarms.apply(events);
    card.live(events);
    risk.live(events);
    if (people.apply(events)) map.getSource<GeoJSONSource>(PERSONNEL)?.setData(people.geojson());
    if (events.some((e) => RELOAD_TILES.has(e.collection) && e.action !== "update")) reloadTiles();
  });

  map.on("click", (event) => {
    if (georef.active) return georef.mapClick(event); // placing a control point, not picking a feature
    const hit = pick(map, event.point);
    if (hit) void show(hit[0], Number(hit[1].id));
  });
  const tooltip = new maplibregl.Popup({ closeButton: false, closeOnClick: false, className: "tooltip", offset: 10 });
  let hover: maplibregl.MapMouseEvent | null = null;
  map.on("mousemove", (event) => {
    if (hover === null) {
      requestAnimationFrame(() => {
        if (!hover) return;
        const hit = pick(map, hover.point);
        map.getCanvas().style.cursor = hit ? "pointer" : "";
        const text = hit ? hoverText(map, hit[0], hit[1]) : null;
        if (text) tooltip.setLngLat(hover.lngLat).setText(text).addTo(map);
        else tooltip.remove();
        hover = null;
      });
    }
    hover = event;
  });
  map.getCanvas().addEventListener("mouseleave", () => tooltip.remove());

  const ready = new Promise<void>((resolve) => {
    map.once("load", () => {
      live.start();
      risk.start();
      void plans.load();
      void loadAreaLabels(map);
      alarms.load().catch((error: Error) => panel.fail(error.message));
      people
        .load()
        .then(() => map.getSource<GeoJSONSource>(PERSONNEL)?.setData(people.geojson()))
        .catch((error: Error) => console.warn("hazmap: personnel positions not loaded", error));
      map.once("idle", () => resolve());
    });
  });
  map.on("error", (event) => console.warn("hazmap map:", event.error?.message ?? event));
  return { map, live, alarms, liveMap, pulses, card, simulator, plans, georef, vectorImport, ready };
}
