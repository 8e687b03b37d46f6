// Making a MapLibre map over hazmap's tiles, and the live layer that keeps it current.

import * as maplibregl from "maplibre-gl";
import type { GeoJSONSource, Map as MapLibreMap } from "maplibre-gl";
import workerUrl from "maplibre-gl/dist/maplibre-gl-worker.mjs?url";
import "maplibre-gl/dist/maplibre-gl.css";
import type { Item } from "../api";
import { lang, onLangChange } from "../i18n";
import type { LiveEvent } from "../live";
import { PULSE_MS, PULSING_LAYERS, SELECTION, TILES, buildStyle } from "./style";
import type { TileJSON } from "../api";
import { PULSING_STATES } from "./colors";

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

/** A map of the `map` tileset in ``container``, fitted to the bounds of what the user sees. */
export function createMap(container: HTMLElement, tiles: TileJSON, options: Partial<maplibregl.MapOptions> = {}): MapLibreMap {
  const map = new maplibregl.Map({
    container,
    style: buildStyle(tiles),
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
 * feature-state of their tile features; alarmed sensors and open alarms pulse while there are any.
 */
export class LiveMap {
  /** Sensors whose latest known state pulses (from the stream; tiles carry the state they were made with). */
  private readonly alarmed = new Set<number>();
  private pulseTimer: number | null = null;
  private big = false;

  constructor(
    private readonly map: MapLibreMap,
    private readonly hasOpenAlarms: () => boolean,
  ) {
    map.on("idle", () => this.countTileAlarms());
  }

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
      if (event.collection === "sensors" && typeof event.properties.alarm_state === "string") {
        if (PULSING_STATES.includes(event.properties.alarm_state)) this.alarmed.add(event.featureId);
        else this.alarmed.delete(event.featureId);
      }
    }
    this.updatePulse();
  }

  /** Sensors in the loaded tiles whose tile state pulses count too (until the stream says otherwise). */
  private countTileAlarms(): void {
    if (!this.map.getLayer("sensors-point")) return;
    for (const feature of this.map.querySourceFeatures(TILES, { sourceLayer: "sensors" })) {
      if (typeof feature.id !== "number") continue;
      const live = this.map.getFeatureState({ source: TILES, sourceLayer: "sensors", id: feature.id });
      const state = (live.alarm_state ?? feature.properties.alarm_state) as string | undefined;
      if (state && PULSING_STATES.includes(state)) this.alarmed.add(feature.id);
    }
    this.updatePulse();
  }

  /** Pulse while anything is in alarm: two constant radius changes per beat, MapLibre animates between them. */
  updatePulse(): void {
    const wanted = this.alarmed.size > 0 || this.hasOpenAlarms();
    if (wanted && this.pulseTimer === null) {
      this.pulseTimer = window.setInterval(() => this.beat(), PULSE_MS);
      this.beat();
    } else if (!wanted && this.pulseTimer !== null) {
      window.clearInterval(this.pulseTimer);
      this.pulseTimer = null;
    }
  }

  get pulsing(): boolean {
    return this.pulseTimer !== null;
  }

  private beat(): void {
    this.big = !this.big;
    for (const [layer, small, large] of PULSING_LAYERS) {
      if (this.map.getLayer(layer)) this.map.setPaintProperty(layer, "circle-radius", this.big ? large : small);
    }
  }
}
