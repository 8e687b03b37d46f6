// The offline default style: every layer drawn from hazmap's own `map` tileset (region boundaries
// included), so the map needs no internet basemap. Text labels are drawn by MapLibre from the
// browser's own fonts (no `glyphs` URL: MapLibre GL JS ≥ 5.11 renders glyphs locally then).
//
// Live attributes are not read from the tiles alone: sensors and tanks take their live values from
// feature-state (set from the event stream), open alarms and personnel positions are GeoJSON
// overlays kept current by the stream, so a changing value never reloads a tile. What is in alarm
// pulses as HTML markers (setup.ts, Pulses), so the pulse never redraws the map.
//
// A configured basemap (Tianditu, any XYZ/WMTS URL; basemap.ts) is drawn between the background and
// hazmap's layers; the layer switcher turns it off.

import type {
  DataDrivenPropertyValueSpecification,
  ExpressionSpecification,
  LayerSpecification,
  StyleSpecification,
} from "maplibre-gl";
import type { TileJSON } from "../api";
import { BASEMAP_LAYERS, basemapStyle, type Basemap } from "./basemap";
import {
  ALARM_STATES,
  FAULT_STATES,
  FENCE_COLOR,
  GRADE_COLORS,
  LAYOUT_COLORS,
  NOT_MAJOR,
  PERSON_COLOR,
  RESOURCE_COLOR,
  RISK_COLORS,
  SENSOR_COLORS,
  TANK_COLOR,
  TARGET_COLOR,
  WARNING_STATES,
  ZONE_COLORS,
} from "./colors";

export const TILES = "hz"; // the source of the `map` tileset
export const ALARMS = "live-alarms"; // GeoJSON overlay: open alarms
export const PERSONNEL = "live-personnel"; // GeoJSON overlay: personnel positions
export const SELECTION = "selection"; // GeoJSON overlay: the selected feature's outline
export const BACKGROUND = "#eef1f4"; // the offline background: what shows where no basemap is drawn
const FONT = ["sans-serif"];


const isPoint: ExpressionSpecification = ["==", ["geometry-type"], "Point"];
const isArea: ExpressionSpecification = ["==", ["geometry-type"], "Polygon"];

/** A sensor's alarm state: the live one (feature-state) if the stream sent one, else the tile's. */
export const sensorState: ExpressionSpecification = [
  "coalesce",
  ["feature-state", "alarm_state"],
  ["get", "alarm_state"],
  "normal",
];

const sensorColor: ExpressionSpecification = [
  "match",
  sensorState,
  ALARM_STATES,
  SENSOR_COLORS.alarm,
  WARNING_STATES,
  SENSOR_COLORS.warning,
  FAULT_STATES,
  SENSOR_COLORS.fault,
  SENSOR_COLORS.normal,
];

const gradeColor: ExpressionSpecification = [
  "match",
  ["coalesce", ["get", "grade"], 0],
  1,
  GRADE_COLORS[1],
  2,
  GRADE_COLORS[2],
  3,
  GRADE_COLORS[3],
  4,
  GRADE_COLORS[4],
  NOT_MAJOR,
];

/** A hazard source's risk level is not in its tiles (it moves with alarms, sensors and time): the map keeps it
 * as feature-state ``risk`` (risk.ts); grey until it is known. */
const riskColor: ExpressionSpecification = [
  "match",
  ["coalesce", ["feature-state", "risk"], ""],
  "red",
  RISK_COLORS.red,
  "orange",
  RISK_COLORS.orange,
  "yellow",
  RISK_COLORS.yellow,
  "blue",
  RISK_COLORS.blue,
  NOT_MAJOR,
];

/** What the hazard sources are coloured by: their GB 18218 grade or their risk level. */
export type SourceColouring = "grade" | "risk";
/** The layers of hazard sources and the colour property of each. */
export const SOURCE_COLOUR_PAINT: Array<[string, "fill-color" | "line-color" | "circle-color"]> = [
  ["hazard-sources-fill", "fill-color"],
  ["hazard-sources-line", "line-color"],
  ["hazard-sources-point", "circle-color"],
];
/** The colour expression of hazard sources coloured ``by``. */
export function sourceColour(by: SourceColouring): ExpressionSpecification {
  return by === "risk" ? riskColor : gradeColor;
}

const layoutColor: ExpressionSpecification = [
  "match",
  ["get", "kind"],
  ...Object.entries(LAYOUT_COLORS).flat(),
  "#8a96a3",
] as unknown as ExpressionSpecification;

const zoneColor: ExpressionSpecification = [
  "match",
  ["get", "severity"],
  "red",
  ZONE_COLORS.red,
  "orange",
  ZONE_COLORS.orange,
  ZONE_COLORS.yellow,
];

function byZoom(...stops: number[]): DataDrivenPropertyValueSpecification<number> {
  return ["interpolate", ["linear"], ["zoom"], ...stops] as ExpressionSpecification;
}

/** The GeoJSON source of the name labels of an area collection (one point per feature, see labels.ts). */
export const labelSource = (collection: string) => `labels-${collection}`;
/** Area collections labelled from one point per feature: a label from the tiles would repeat in every tile the area crosses. */
export const LABELLED_AREAS = ["enterprises", "hazard-sources", "sensitive-targets"];

function label(
  id: string,
  sourceLayer: string | null,
  minzoom: number,
  size: number,
  color: string,
  extra: Partial<{ offset: [number, number]; filter: ExpressionSpecification }> = {},
): LayerSpecification {
  return {
    id,
    type: "symbol",
    ...(sourceLayer ? { source: TILES, "source-layer": sourceLayer } : { source: labelSource(id.replace(/-label$/, "")) }),
    minzoom,
    ...(extra.filter ? { filter: extra.filter } : {}),
    layout: {
      "text-field": ["get", "name"],
      "text-font": FONT,
      "text-size": size,
      "text-max-width": 10,
      "text-offset": extra.offset ?? [0, 0],
      "text-anchor": extra.offset ? "top" : "center",
      "text-optional": true,
    },
    paint: { "text-color": color, "text-halo-color": "rgba(255,255,255,0.9)", "text-halo-width": 1.4 },
  };
}

/** Layers of each entry of the layer switcher, in the order the legend lists them. */
export const LAYER_GROUPS: Record<string, string[]> = {
  "hazard-sources": ["hazard-sources-fill", "hazard-sources-line", "hazard-sources-point", "hazard-sources-label"],
  alarms: ["alarms-point"],
  sensors: ["sensors-point"],
  equipment: ["equipment-fill", "equipment-line"],
  personnel: ["personnel-point"],
  fences: ["fences-line"],
  "emergency-resources": ["emergency-resources-point", "emergency-resources-label"],
  "sensitive-targets": ["sensitive-targets-fill", "sensitive-targets-line", "sensitive-targets-label"],
  "consequence-zones": ["consequence-zones-fill", "consequence-zones-line"],
  enterprises: ["enterprises-fill", "enterprises-line", "enterprises-label"],
  "layout-features": ["layout-features-fill", "layout-features-line", "layout-features-footprint"],
  regions: ["regions-fill", "regions-line", "regions-park-line"],
  basemap: BASEMAP_LAYERS, // only when one is configured (basemap.ts)
};

/** The layers a click on the map can pick, top first, with the collection each shows. */
export const PICKABLE: Array<[string, string]> = [
  ["alarms-point", "alarms"],
  ["personnel-point", "personnel"],
  ["sensors-point", "sensors"],
  ["emergency-resources-point", "emergency-resources"],
  ["equipment-fill", "equipment"],
  ["hazard-sources-point", "hazard-sources"],
  ["hazard-sources-fill", "hazard-sources"],
  ["sensitive-targets-fill", "sensitive-targets"],
  ["consequence-zones-fill", "consequence-zones"],
  ["fences-line", "fences"],
  ["layout-features-fill", "layout-features"],
  ["layout-features-line", "layout-features"],
  ["enterprises-fill", "enterprises"],
];

/** The style for the `map` tileset described by ``tiles`` (its TileJSON), over ``basemap`` when one is configured. */
export function buildStyle(tiles: TileJSON, basemap: Basemap | null = null): StyleSpecification {
  const layerMinzoom = Object.fromEntries(tiles.vector_layers.map((layer) => [layer.id, layer.minzoom]));
  const from = (collection: string) => layerMinzoom[collection] ?? 0;
  const layers: LayerSpecification[] = [
    { id: "background", type: "background", paint: { "background-color": BACKGROUND } },
    ...(basemap ? basemapStyle(basemap).layers : []),
    {
      id: "regions-fill",
      type: "fill",
      source: TILES,
      "source-layer": "regions",
      filter: ["==", ["get", "level"], "park"],
      paint: { "fill-color": "#e2eadf", "fill-opacity": 0.8 },
    },
    {
      id: "regions-line",
      type: "line",
      source: TILES,
      "source-layer": "regions",
      filter: ["!=", ["get", "level"], "park"],
      paint: {
        "line-color": "#7d8c9c",
        "line-width": ["match", ["get", "level"], "province", 2.2, "city", 1.6, 1.1],
      },
    },
    {
      id: "regions-park-line",
      type: "line",
      source: TILES,
      "source-layer": "regions",
      filter: ["==", ["get", "level"], "park"],
      paint: { "line-color": "#4f7a45", "line-width": 1.8, "line-dasharray": [3, 2] },
    },
    {
      id: "enterprises-fill",
      type: "fill",
      source: TILES,
      "source-layer": "enterprises",
      minzoom: from("enterprises"),
      filter: isArea,
      paint: { "fill-color": "#d9e1ea", "fill-opacity": 0.75 },
    },
    {
      id: "enterprises-line",
      type: "line",
      source: TILES,
      "source-layer": "enterprises",
      minzoom: from("enterprises"),
      paint: { "line-color": "#8a9bb0", "line-width": 1 },
    },
    {
      id: "sensitive-targets-fill",
      type: "fill",
      source: TILES,
      "source-layer": "sensitive-targets",
      minzoom: from("sensitive-targets"),
      filter: isArea,
      paint: { "fill-color": TARGET_COLOR, "fill-opacity": 0.14 },
    },
    {
      id: "sensitive-targets-line",
      type: "line",
      source: TILES,
      "source-layer": "sensitive-targets",
      minzoom: from("sensitive-targets"),
      paint: { "line-color": TARGET_COLOR, "line-width": 1.2 },
    },
    // the general layout imported from a plant plan (plant_plans.vector): buildings and tanks filled, dikes,
    // roads and fences as lines (a polygon's outline), a hazard source's footprint as a dashed outline
    {
      id: "layout-features-fill",
      type: "fill",
      source: TILES,
      "source-layer": "layout-features",
      minzoom: from("layout-features"),
      filter: ["all", isArea, ["match", ["get", "kind"], ["building", "tank"], true, false]],
      paint: { "fill-color": layoutColor, "fill-opacity": 0.6 },
    },
    {
      id: "layout-features-line",
      type: "line",
      source: TILES,
      "source-layer": "layout-features",
      minzoom: from("layout-features"),
      filter: ["!=", ["get", "kind"], "hazard_source"],
      paint: {
        "line-color": layoutColor,
        "line-width": [
          "interpolate",
          ["linear"],
          ["zoom"],
          14,
          ["match", ["get", "kind"], "road", 2, "dike", 1.5, "fence", 1, 0.6],
          18,
          ["match", ["get", "kind"], "road", 9, "dike", 2.5, "fence", 1.8, 1],
        ],
        "line-opacity": ["match", ["get", "kind"], "road", 0.7, 1],
      },
    },
    {
      id: "layout-features-footprint",
      type: "line",
      source: TILES,
      "source-layer": "layout-features",
      minzoom: from("layout-features"),
      filter: ["==", ["get", "kind"], "hazard_source"],
      paint: { "line-color": LAYOUT_COLORS.hazard_source, "line-width": 1.6, "line-dasharray": [4, 2] },
    },
    {
      id: "consequence-zones-fill",
      type: "fill",
      source: TILES,
      "source-layer": "consequence-zones",
      paint: { "fill-color": zoneColor, "fill-opacity": 0.22 },
    },
    {
      id: "consequence-zones-line",
      type: "line",
      source: TILES,
      "source-layer": "consequence-zones",
      paint: { "line-color": zoneColor, "line-width": 1.5 },
    },
    {
      id: "hazard-sources-fill",
      type: "fill",
      source: TILES,
      "source-layer": "hazard-sources",
      filter: isArea,
      paint: { "fill-color": gradeColor, "fill-opacity": 0.42 },
    },
    {
      id: "hazard-sources-line",
      type: "line",
      source: TILES,
      "source-layer": "hazard-sources",
      filter: isArea,
      paint: { "line-color": gradeColor, "line-width": byZoom(12, 1, 17, 2.5) },
    },
    {
      id: "hazard-sources-point",
      type: "circle",
      source: TILES,
      "source-layer": "hazard-sources",
      filter: isPoint,
      paint: {
        "circle-color": gradeColor,
        "circle-radius": byZoom(6, 3, 12, 6),
        "circle-stroke-color": "#fff",
        "circle-stroke-width": 1.2,
      },
    },
    {
      id: "fences-line",
      type: "line",
      source: TILES,
      "source-layer": "fences",
      minzoom: from("fences"),
      filter: ["!=", ["get", "active"], false],
      paint: { "line-color": FENCE_COLOR, "line-width": 1.3, "line-dasharray": [2, 2], "line-opacity": 0.8 },
    },
    {
      id: "equipment-fill",
      type: "fill",
      source: TILES,
      "source-layer": "equipment",
      minzoom: from("equipment"),
      paint: {
        "fill-color": ["match", ["get", "kind"], "tank", TANK_COLOR, "#9aa8b6"],
        "fill-opacity": 0.7,
      },
    },
    {
      id: "equipment-line",
      type: "line",
      source: TILES,
      "source-layer": "equipment",
      minzoom: from("equipment"),
      paint: { "line-color": "#33414f", "line-width": 0.8 },
    },
    {
      id: "emergency-resources-point",
      type: "circle",
      source: TILES,
      "source-layer": "emergency-resources",
      minzoom: from("emergency-resources"),
      paint: {
        "circle-color": RESOURCE_COLOR,
        "circle-radius": byZoom(10, 4, 16, 8),
        "circle-stroke-color": "#fff",
        "circle-stroke-width": 2,
      },
    },
    {
      id: "sensors-point",
      type: "circle",
      source: TILES,
      "source-layer": "sensors",
      minzoom: from("sensors"),
      paint: {
        "circle-color": sensorColor,
        "circle-radius": byZoom(14, 1.8, 16, 2.8, 18, 5.5),
        "circle-stroke-color": "#fff",
        "circle-stroke-width": byZoom(14, 0.4, 17, 1),
      },
    },
    {
      id: "personnel-point",
      type: "circle",
      source: PERSONNEL,
      paint: {
        "circle-color": ["case", ["==", ["get", "sos"], true], SENSOR_COLORS.alarm, PERSON_COLOR],
        "circle-radius": 5,
        "circle-stroke-color": "#fff",
        "circle-stroke-width": 1.5,
      },
    },
    {
      id: "alarms-point",
      type: "circle",
      source: ALARMS,
      paint: {
        // GB 50493: the first-level alarm is the lower threshold, the second-level the higher one
        "circle-color": ["case", ["==", ["get", "level"], 2], SENSOR_COLORS.alarm, SENSOR_COLORS.warning],
        "circle-radius": 5,
        "circle-stroke-color": "#fff",
        "circle-stroke-width": 1.5,
        "circle-opacity": ["case", ["==", ["get", "active"], true], 1, 0.55],
      },
    },
    {
      id: "selection-line",
      type: "line",
      source: SELECTION,
      paint: { "line-color": "#1f6feb", "line-width": 3 },
    },
    {
      id: "selection-point",
      type: "circle",
      source: SELECTION,
      filter: isPoint,
      paint: {
        "circle-color": "rgba(0,0,0,0)",
        "circle-radius": 10,
        "circle-stroke-color": "#1f6feb",
        "circle-stroke-width": 3,
      },
    },
    label("enterprises-label", null, 13, 12, "#3d4b5c"),
    label("hazard-sources-label", null, 15.5, 11, "#26313d"),
    label("emergency-resources-label", "emergency-resources", 13, 11, RESOURCE_COLOR, { offset: [0, 0.9] }),
    label("sensitive-targets-label", null, 12, 11, TARGET_COLOR),
  ];
  const empty = { type: "geojson" as const, data: { type: "FeatureCollection" as const, features: [] } };
  return {
    version: 8,
    sources: {
      [TILES]: {
        type: "vector",
        tiles: tiles.tiles,
        minzoom: tiles.minzoom,
        maxzoom: tiles.maxzoom,
        ...(tiles.bounds ? { bounds: tiles.bounds } : {}),
      },
      ...(basemap ? basemapStyle(basemap).sources : {}),
      [ALARMS]: { ...empty },
      [PERSONNEL]: { ...empty },
      [SELECTION]: { ...empty },
      ...Object.fromEntries(LABELLED_AREAS.map((collection) => [labelSource(collection), { ...empty }])),
    },
    layers,
  };
}
