// The layer switcher and legend in one list: each entry turns a group of map layers on or off and
// shows what its colours mean; the configured basemap (底图) is the last entry. The choice is remembered
// in this browser.

import type { Map as MapLibreMap } from "maplibre-gl";
import type { TileJSON } from "./api";
import { h, replace } from "./dom";
import { onLangChange, t, type Key } from "./i18n";
import {
  FENCE_COLOR,
  GRADE_COLORS,
  LAYOUT_COLORS,
  NOT_MAJOR,
  PERSON_COLOR,
  RESOURCE_COLOR,
  RISK_COLORS,
  RISK_LEVELS,
  SENSOR_COLORS,
  TANK_COLOR,
  TARGET_COLOR,
  ZONE_COLORS,
} from "./map/colors";
import { LAYER_GROUPS } from "./map/style";
import { levelLabel, setSourceColouring, sourceColouring, type RiskColours, type RiskLevels } from "./risk";
import { session } from "./session";

type Swatch = { shape: "dot" | "area" | "line" | "dash" | "pulse"; color: string; label: () => string };

const LEGEND: Record<string, Swatch[]> = {
  "hazard-sources": [
    ...[1, 2, 3, 4].map((g) => ({ shape: "area" as const, color: GRADE_COLORS[g], label: () => t(`grade.${g}` as Key) })),
    { shape: "area", color: NOT_MAJOR, label: () => t("grade.none") },
  ],
  alarms: [{ shape: "pulse", color: SENSOR_COLORS.alarm, label: () => t("layer.alarms") }],
  sensors: [
    { shape: "dot", color: SENSOR_COLORS.normal, label: () => t("sensor.normal") },
    { shape: "dot", color: SENSOR_COLORS.warning, label: () => t("sensor.warning") },
    { shape: "dot", color: SENSOR_COLORS.alarm, label: () => t("sensor.alarm") },
    { shape: "dot", color: SENSOR_COLORS.fault, label: () => t("sensor.fault") },
  ],
  equipment: [
    { shape: "area", color: TANK_COLOR, label: () => t("equipment.tank") },
    { shape: "area", color: "#9aa8b6", label: () => t("equipment.other") },
  ],
  personnel: [{ shape: "dot", color: PERSON_COLOR, label: () => t("layer.personnel") }],
  fences: [{ shape: "dash", color: FENCE_COLOR, label: () => t("layer.fences") }],
  "emergency-resources": [{ shape: "dot", color: RESOURCE_COLOR, label: () => t("layer.emergency-resources") }],
  "sensitive-targets": [{ shape: "area", color: TARGET_COLOR, label: () => t("layer.sensitive-targets") }],
  "consequence-zones": [
    { shape: "area", color: ZONE_COLORS.red, label: () => t("zones.red") },
    { shape: "area", color: ZONE_COLORS.orange, label: () => t("zones.orange") },
    { shape: "area", color: ZONE_COLORS.yellow, label: () => t("zones.yellow") },
  ],
  enterprises: [{ shape: "area", color: "#c9d3de", label: () => t("layer.enterprises") }],
  "layout-features": [
    { shape: "area", color: LAYOUT_COLORS.building, label: () => t("layout.building") },
    { shape: "area", color: LAYOUT_COLORS.tank, label: () => t("layout.tank") },
    { shape: "line", color: LAYOUT_COLORS.dike, label: () => t("layout.dike") },
    { shape: "line", color: LAYOUT_COLORS.road, label: () => t("layout.road") },
    { shape: "line", color: LAYOUT_COLORS.fence, label: () => t("layout.fence") },
    { shape: "dash", color: LAYOUT_COLORS.hazard_source, label: () => t("layout.hazard_source") },
  ],
  regions: [{ shape: "line", color: "#7d8c9c", label: () => t("layer.regions") }],
};

/** The legend of hazard sources coloured by risk level, with the count of each level once read. */
function riskLegend(levels: RiskLevels | null): Swatch[] {
  return RISK_LEVELS.map((level) => ({
    shape: "area" as const,
    color: RISK_COLORS[level],
    label: () => (levels ? `${levelLabel(level)} (${levels.counts[level]})` : levelLabel(level)),
  }));
}

/** The switch between colouring hazard sources by GB 18218 grade and by risk level. */
function colouringSwitch(onChange: () => void): HTMLElement {
  const current = sourceColouring();
  const option = (by: "grade" | "risk") => {
    const input = h("input", { type: "radio", name: "source-colouring", value: by, checked: current === by });
    input.addEventListener("change", () => {
      setSourceColouring(by);
      onChange();
    });
    return h("label", {}, input, t(`layers.colour-by.${by}`));
  };
  return h("div", { class: "colour-by", role: "radiogroup", "aria-label": t("layers.colour-by") }, option("grade"), option("risk"));
}

const STORAGE_KEY = "hazmap.hidden-layers";

function hiddenGroups(): Set<string> {
  try {
    return new Set(JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "[]") as string[]);
  } catch {
    return new Set();
  }
}

/** Show or hide every map layer of ``group``. */
export function setGroupVisible(map: MapLibreMap, group: string, visible: boolean): void {
  for (const layer of LAYER_GROUPS[group] ?? []) {
    if (map.getLayer(layer)) map.setLayoutProperty(layer, "visibility", visible ? "visible" : "none");
  }
  if (group === "alarms") map.getContainer().classList.toggle("hide-alarms", !visible); // the pulsing rings
}

/** The panel for ``map``, whose tileset is described by ``tiles`` (for the zoom each layer starts at); with
 * ``risk``, hazard sources may be coloured by risk level as well as by grade. */
export function layersPanel(map: MapLibreMap, tiles: TileJSON, risk?: RiskColours): HTMLElement {
  const hidden = hiddenGroups();
  const minzoom = Object.fromEntries(tiles.vector_layers.map((layer) => [layer.id, layer.minzoom]));
  const groups = Object.keys(LAYER_GROUPS).filter((group) => group !== "basemap" || session().basemap !== null);
  // the style's layers exist once it has loaded (MapLibre loads a style object a frame later)
  const hideRemembered = () => hidden.forEach((group) => setGroupVisible(map, group, false));
  if (map.isStyleLoaded()) hideRemembered();
  else map.once("style.load", hideRemembered);
  const heading = h("h2", {});
  const list = h("ul", { class: "layer-list" });
  const toggle = h("button", { type: "button", class: "panel-toggle", "aria-expanded": "true" });
  const panel = h("section", { class: "panel layers" }, h("header", {}, heading, toggle), list);

  toggle.addEventListener("click", () => {
    const open = panel.classList.toggle("collapsed");
    toggle.setAttribute("aria-expanded", String(!open));
    render();
  });
  const render = () => {
    heading.textContent = t("layers.title");
    toggle.textContent = panel.classList.contains("collapsed") ? t("layers.show") : t("layers.hide");
    replace(
      list,
      ...groups.map((group) => {
        const checkbox = h("input", { type: "checkbox", "data-group": group, checked: !hidden.has(group) });
        checkbox.addEventListener("change", () => {
          if (checkbox.checked) hidden.delete(group);
          else hidden.add(group);
          localStorage.setItem(STORAGE_KEY, JSON.stringify([...hidden]));
          setGroupVisible(map, group, checkbox.checked);
        });
        const from = minzoom[group] ?? 0;
        const byRisk = group === "hazard-sources" && risk !== undefined && sourceColouring() === "risk";
        const swatches = byRisk ? riskLegend(risk.latest) : (LEGEND[group] ?? []);
        const swatch = (item: Swatch) => h("i", { class: `swatch ${item.shape}`, style: `--color:${item.color}` });
        return h(
          "li",
          {},
          h(
            "label",
            {},
            checkbox,
            swatches.length === 1 ? swatch(swatches[0]) : null,
            h("span", { class: "layer-name" }, t(`layer.${group}` as Key)),
            from > 0 ? h("small", {}, t("layer.from-zoom", { zoom: from })) : null,
          ),
          group === "hazard-sources" && risk ? colouringSwitch(render) : null,
          swatches.length > 1
            ? h("ul", { class: "legend" }, ...swatches.map((item) => h("li", {}, swatch(item), item.label())))
            : null,
          byRisk && risk.latest ? h("p", { class: "muted risk-note" }, risk.latest.note) : null,
        );
      }),
    );
  };
  render();
  risk?.onChange(() => {
    if (sourceColouring() === "risk") render();
  });
  onLangChange(render);
  return panel;
}
