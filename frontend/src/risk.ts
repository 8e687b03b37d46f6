// The risk level of hazard sources (red / orange / yellow / blue, geo.risk) on the map and on the card.
//
// The level is not a tile attribute: it moves with alarms, sensors, hidden dangers and time, while
// hazard-source tiles change only when sources do. The map reads every level of the user's scope at once
// (/app/risk/levels, one SQL expression on the server) and keeps it as feature-state ``risk`` of the
// tile features, read again when the stream says an alarm, a sensor or a source changed, and every
// minute (an inspection falls due with time alone). Which colouring the map shows — GB 18218 grade or
// risk level — is the user's choice, remembered in this browser.
//
// The weights behind the levels are hazmap's own, not an official formula; the legend and the card say so
// with the server's note.

import type { Map as MapLibreMap } from "maplibre-gl";
import { getJSON } from "./api";
import { h, replace } from "./dom";
import { choice, t } from "./i18n";
import type { LiveEvent } from "./live";
import { RISK_COLORS, type RiskLevel } from "./map/colors";
import { SOURCE_COLOUR_PAINT, TILES, sourceColour, type SourceColouring } from "./map/style";

export interface RiskLevels {
  note: string;
  computed_at: string;
  counts: Record<RiskLevel, number>;
  levels: Record<string, RiskLevel>;
}

interface RiskFactor {
  factor: string;
  title: string;
  detail: string;
  points: number;
  max_points: number;
}

interface RiskAssessment {
  note: string;
  level: RiskLevel;
  level_label: string;
  points: number;
  factors: RiskFactor[];
}

const STORAGE_KEY = "hazmap.colour-sources-by";
const REFRESH_EVERY_MS = 60_000;
const AFTER_EVENTS_MS = 2_000; // events come in bursts: one read after the burst
/** Collections whose changes may move a level. */
const MOVES_LEVELS = new Set(["alarms", "sensors", "hazard-sources"]);

const listeners: Array<(by: SourceColouring) => void> = [];

/** What the map colours hazard sources by, as the user last chose (grade by default). */
export function sourceColouring(): SourceColouring {
  return localStorage.getItem(STORAGE_KEY) === "risk" ? "risk" : "grade";
}

/** Colour hazard sources ``by`` grade or risk, on every map that follows the choice. */
export function setSourceColouring(by: SourceColouring): void {
  localStorage.setItem(STORAGE_KEY, by);
  listeners.forEach((listener) => listener(by));
}

export function onSourceColouringChange(listener: (by: SourceColouring) => void): void {
  listeners.push(listener);
}

/** The risk levels of ``map``'s hazard sources as feature-state, and the map's colouring choice applied. */
export class RiskColours {
  private known = new Set<string>();
  private timer: number | null = null;
  private readonly changed: Array<(levels: RiskLevels) => void> = [];
  latest: RiskLevels | null = null;

  constructor(private readonly map: MapLibreMap) {
    onSourceColouringChange((by) => this.colour(by));
  }

  /** Read the levels now and every minute; colour the sources as the user chose. */
  start(): void {
    this.colour(sourceColouring());
    void this.refresh();
    window.setInterval(() => void this.refresh(), REFRESH_EVERY_MS);
  }

  /** Call ``listener`` with the levels each time they are read. */
  onChange(listener: (levels: RiskLevels) => void): void {
    this.changed.push(listener);
    if (this.latest) listener(this.latest);
  }

  /** Read the levels again shortly after the stream reports a change that may move them. */
  live(events: LiveEvent[]): void {
    if (this.timer !== null || !events.some((e) => MOVES_LEVELS.has(e.collection))) return;
    this.timer = window.setTimeout(() => {
      this.timer = null;
      void this.refresh();
    }, AFTER_EVENTS_MS);
  }

  async refresh(): Promise<void> {
    let answer: RiskLevels;
    try {
      answer = await getJSON<RiskLevels>("/app/risk/levels");
    } catch (error) {
      console.warn("hazmap: risk levels not read", error);
      return;
    }
    const target = { source: TILES, sourceLayer: "hazard-sources" };
    for (const id of this.known) {
      if (!(id in answer.levels)) this.map.removeFeatureState({ ...target, id: Number(id) }, "risk");
    }
    for (const [id, level] of Object.entries(answer.levels)) this.map.setFeatureState({ ...target, id: Number(id) }, { risk: level });
    this.known = new Set(Object.keys(answer.levels));
    this.latest = answer;
    this.map.getContainer().dataset.riskLevels = String(this.known.size); // for tests: levels applied
    this.changed.forEach((listener) => listener(answer));
  }

  private colour(by: SourceColouring): void {
    const apply = () => {
      for (const [layer, property] of SOURCE_COLOUR_PAINT) {
        if (this.map.getLayer(layer)) this.map.setPaintProperty(layer, property, sourceColour(by));
      }
      this.map.getContainer().dataset.sourceColouring = by;
    };
    if (this.map.isStyleLoaded()) apply();
    else this.map.once("style.load", apply);
  }
}

/** The label of a level in the interface's language (红色：重大风险). */
export function levelLabel(level: RiskLevel): string {
  return choice("hazard-sources", "risk_level", level);
}

/** The risk section of hazard source ``id``'s card: its level, its points and every factor that makes them. */
export function riskSection(id: number): HTMLElement {
  const root = h("section", { class: "risk", "data-source": id }, h("h3", {}, t("risk.title")), h("p", { class: "muted" }, t("card.loading")));
  void getJSON<RiskAssessment>(`/app/risk/${id}`)
    .then((risk) => {
      replace(
        root,
        h("h3", {}, t("risk.title")),
        h(
          "p",
          {},
          h("span", { class: "tag risk-level", "data-level": risk.level, style: `--color:${RISK_COLORS[risk.level]}` }, risk.level_label),
          " ",
          h("small", {}, t("risk.points", { points: risk.points })),
        ),
        h(
          "table",
          { class: "risk-factors" },
          h("tbody", {}, ...risk.factors.map((f) =>
            h(
              "tr",
              { "data-factor": f.factor },
              h("th", {}, f.title),
              h("td", { class: "num" }, `${f.points} / ${f.max_points}`),
              h("td", { class: "muted" }, f.detail),
            ),
          )),
        ),
        h("p", { class: "muted risk-note" }, risk.note),
      );
    })
    .catch((error: Error) => replace(root, h("h3", {}, t("risk.title")), h("p", { class: "error" }, t("card.failed", { error: error.message }))));
  return root;
}
