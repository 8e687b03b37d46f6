// Making a MapLibre map over hazmap's tiles, and the live layer that keeps it current.

import * as maplibregl from "maplibre-gl";
import type { GeoJSONSource, Map as MapLibreMap } from "maplibre-gl";
import workerUrl from "maplibre-gl/dist/maplibre-gl-worker.mjs?url";
import "maplibre-gl/dist/maplibre-gl.css";
import type { Item } from "../api";
import { lang, onLangChange } from "../i18n";
import type { LiveEvent } from "../live";
import { session } from "../session";
import { registerGcj02 } from "./basemap";
import { SELECTION, TILES, buildStyle } from "./style";
import type { TileJSON } from "../api";

maplibregl.setWorkerUrl(workerUrl); // the worker is a file of its own in the build

// MapLibre's own control labels; the scale bar says m / km in both languages.
const UI_STRINGS = {
  zh: {
    "NavigationControl.ZoomIn": "放大",
    "NavigationControl.ZoomOut": "缩小",
    "NavigationControl.ResetBearing": "指北",
    "GeolocateControl.FindMyLocation": "定位",
    "Popup.Close": "关闭",
  },
  en: {
    "NavigationControl.ZoomIn": "Zoom in",
    "NavigationControl.ZoomOut": "Zoom out",
    "NavigationControl.ResetBearing": "Reset bearing to north",
    "GeolocateControl.FindMyLocation": "Find my location",
    "Popup.Close": "Close",
  },
};
const CONTROL_BUTTONS: Array<[string, keyof (typeof UI_STRINGS)["zh"]]> = [
  [".maplibregl-ctrl-zoom-in", "NavigationControl.ZoomIn"],
  [".maplibregl-ctrl-zoom-out", "NavigationControl.ZoomOut"],
  [".maplibregl-ctrl-compass", "NavigationControl.ResetBearing"],
  [".maplibregl-ctrl-geolocate", "GeolocateControl.FindMyLocation"],
];

/** Give the map's control buttons the titles of the current language (MapLibre sets them once). */
function relabelControls(container: HTMLElement): void {
  for (const [selector, key] of CONTROL_BUTTONS) {
    for (const button of container.querySelectorAll<HTMLElement>(selector)) {
      button.title = UI_STRINGS[lang()][key];
      button.setAttribute("aria-label", UI_STRINGS[lang()][key]);
    }
  }
}

/**
 * A map of the `map` tileset in ``container``, fitted to the bounds of what the user sees, over the
 * configured basemap if there is one (with its credit in the corner).
 */
export function createMap(container: HTMLElement, tiles: TileJSON, options: Partial<maplibregl.MapOptions> = {}): MapLibreMap {
  const basemap = session().basemap;
  if (basemap) registerGcj02(basemap);
  const map = new maplibregl.Map({
    container,
    style: buildStyle(tiles, basemap),
    bounds: tiles.bounds,
    fitBoundsOptions: { padding: 20 },
    maxZoom: 19,
    attributionControl: false,
    dragRotate: false,
    pitchWithRotate: false,
    locale: UI_STRINGS[lang()],
    ...options,
  });
  map.touchZoomRotate.disableRotation();
  if (basemap?.attribution) map.addControl(new maplibregl.AttributionControl({ compact: true }));
  onLangChange(() => relabelControls(container));
  return map;
}

/** Show ``feature`` as the selection (blue outline), or clear it with null. */
export function select(map: MapLibreMap, feature: Item | null): void {
  const source = map.getSource<GeoJSONSource>(SELECTION);
  source?.setData({
    type: "FeatureCollection",
    features: feature?.geometry ? [{ type: "Feature", geometry: feature.geometry, properties: {} }] : [],
  });
}

/**
 * Live values on the map without reloading tiles: sensors and tanks take the stream's values as
 * feature-state of their tile features (the next frame draws them; no tile is fetched again).
 */
export class LiveMap {
  constructor(private readonly map: MapLibreMap) {}

  apply(events: LiveEvent[]): void {
    const latest = new Map<string, LiveEvent>();
    for (const event of events) {
      if (event.collection !== "sensors" && event.collection !== "equipment") continue;
      const key = `${event.collection}/${event.featureId}`;
      const known = latest.get(key);
      latest.set(key, known ? { ...event, properties: { ...known.properties, ...event.properties } } : event);
    }
    for (const event of latest.values()) {
      const state: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(event.properties)) {
        if (typeof value === "number" || typeof value === "string" || typeof value === "boolean") state[name] = value;
      }
      this.map.setFeatureState({ source: TILES, sourceLayer: event.collection, id: event.featureId }, state);
    }
  }
}

/**
 * Pulsing rings on what is in alarm now. They are HTML markers animated by CSS, so the browser's
 * compositor runs the animation: the map itself is not redrawn for it (a WebGL animation would
 * redraw the whole map every frame for as long as an alarm lasts).
 */
export class Pulses {
  private readonly markers = new Map<number, maplibregl.Marker>();

  constructor(private readonly map: MapLibreMap) {}

  /** Show exactly ``points`` (id, position, level 1 or 2) as pulsing rings. */
  update(points: Array<{ id: number; position: [number, number]; level: number }>): void {
    const wanted = new Set(points.map((p) => p.id));
    for (const [id, marker] of this.markers) {
      if (!wanted.has(id)) {
        marker.remove();
        this.markers.delete(id);
      }
    }
    for (const point of points) {
      const known = this.markers.get(point.id);
      if (known) {
        known.setLngLat(point.position);
        continue;
      }
      const element = document.createElement("div");
      element.className = `alarm-pulse level-${point.level}`;
      element.dataset.id = String(point.id);
      const marker = new maplibregl.Marker({ element }).setLngLat(point.position).addTo(this.map);
      this.markers.set(point.id, marker);
    }
  }

  get count(): number {
    return this.markers.size;
  }
}
