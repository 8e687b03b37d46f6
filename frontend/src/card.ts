// The card of one feature: its attributes in the user's language, and for hazard sources, tanks and
// enterprises what belongs to them (equipment, live readings, hazard sources). Live values change
// in place as the stream brings them.

import { item, items, type Item, type Properties } from "./api";
import { h, replace } from "./dom";
import { attribute, mass, reading } from "./format";
import { choice, collectionTitle, fieldName, onLangChange, t, time, type Key } from "./i18n";
import type { LiveEvent } from "./live";
import { gradeColor, sensorColor } from "./map/colors";
import { registrySection } from "./registry";
import { riskSection } from "./risk";

/** The attributes a card lists for each collection, in order (the others stay in the OGC API). */
const FACTS: Record<string, string[]> = {
  "hazard-sources": ["code", "kind", "enterprise_name", "gb_r", "gb_s", "registry_status", "registered_on"],
  equipment: [
    "code",
    "kind",
    "tank_type",
    "substance_name",
    "substance_cas",
    "storage",
    "capacity_m3",
    "design_pressure_pa",
    "design_temperature_k",
  ],
  sensors: ["tag", "kind", "substance_name", "lolo", "lo", "hi", "hihi", "quality", "device_code"],
  alarms: ["kind", "level", "state", "message", "enterprise_name", "sensor_tag", "started_at", "ended_at"],
  enterprises: ["industry", "credit_code", "address", "population_500m"],
  personnel: ["code", "kind", "holder", "department", "job", "enterprise_name", "position_time", "battery_pct", "sos"],
  fences: ["kind", "min_people", "max_people", "active"],
  "emergency-resources": ["kind", "contact_phone", "capacity", "description"],
  "sensitive-targets": ["kind", "population"],
  "consequence-zones": ["scenario_name", "substance_name", "endpoint", "severity", "max_distance_m", "max_width_m"],
  regions: ["code", "level"],
};

const RESPONSIBLE = ["principal_name", "technical_name", "operational_name"];

export interface Related {
  equipment: Item[];
  sensors: Item[];
  sources: Item[];
}

/** Read what a card of ``collection`` shows beside the feature itself. */
export async function related(collection: string, feature: Item, signal?: AbortSignal): Promise<Related> {
  const none: Item[] = [];
  const list = async (c: string, params: Record<string, string | number>) =>
    (await items(c, { limit: 200, skipGeometry: "true", ...params }, signal)).features;
  switch (collection) {
    case "hazard-sources": {
      const [equipment, sensors] = await Promise.all([
        list("equipment", { hazard_source_id: feature.id }),
        list("sensors", { hazard_source_id: feature.id }),
      ]);
      return { equipment, sensors, sources: none };
    }
    case "equipment":
      return { equipment: none, sensors: await list("sensors", { equipment_id: feature.id }), sources: none };
    case "enterprises":
      return { equipment: none, sensors: none, sources: await list("hazard-sources", { enterprise_id: feature.id }) };
    case "alarms": {
      const sensor = feature.properties.sensor_id;
      return {
        equipment: none,
        sensors: typeof sensor === "number" ? [await item("sensors", sensor, signal)] : none,
        sources: none,
      };
    }
    default:
      return { equipment: none, sensors: none, sources: none };
  }
}

function facts(collection: string, properties: Properties, fields: string[]): HTMLElement {
  return h(
    "dl",
    { class: "facts" },
    ...fields
      .filter((field) => properties[field] !== undefined && properties[field] !== null && properties[field] !== "")
      .flatMap((field) => [
        h("dt", {}, shownName(collection, field)),
        h("dd", { "data-field": field }, attribute(collection, field, properties[field])),
      ]),
  );
}

/** An attribute's name as the card shows it: without the SI unit its value is no longer shown in. */
function shownName(collection: string, field: string): string {
  const name = fieldName(collection, field);
  return /_(pa|k|kg)$/.test(field) ? name.replace(/\s*[（(][^（()）]*[)）]$/, "") : name;
}

/** The GB 18218 grade as a coloured badge. */
export function gradeBadge(grade: unknown): HTMLElement {
  const text = typeof grade === "number" ? t("grade.badge", { grade: t(`grade.${grade}` as Key) }) : t("grade.badge.none");
  return h("span", { class: "grade", style: `--grade:${gradeColor(grade)}` }, text);
}

function readingRow(sensor: Item): HTMLElement {
  const p = sensor.properties;
  const state = String(p.alarm_state ?? "normal");
  return h(
    "li",
    {
      class: "reading",
      "data-sensor": sensor.id,
      "data-state": state,
      "data-unit": String(p.unit ?? ""),
      style: `--state:${sensorColor(state)}`,
    },
    h("span", { class: "reading-name" }, h("b", {}, String(p.name ?? p.tag)), h("small", {}, String(p.tag ?? ""))),
    h("span", { class: "reading-value" }, reading(p.value, p.unit)),
    h("span", { class: "reading-state" }, choice("sensors", "alarm_state", state)),
  );
}

function inventory(p: Properties): HTMLElement | null {
  const design = typeof p.design_max_kg === "number" ? p.design_max_kg : null;
  const live = typeof p.inventory_kg === "number" ? p.inventory_kg : null;
  if (design === null && live === null) return null;
  if (live === null && p.kind !== "tank") return h("div", { class: "inventory" }, t("card.design-max"), " ", mass(design!));
  const share = design && live !== null ? Math.max(0, Math.min(1, live / design)) : null;
  return h(
    "div",
    { class: "inventory" },
    h(
      "div",
      { class: "inventory-text" },
      h("span", {}, t("card.inventory"), " ", h("b", { "data-live": "inventory_kg" }, live === null ? "—" : mass(live))),
      design !== null ? h("span", {}, t("card.design-max"), " ", mass(design)) : null,
    ),
    share !== null ? h("div", { class: "bar" }, h("span", { style: `width:${(share * 100).toFixed(1)}%` })) : null,
  );
}

function section(title: string, ...children: Array<Node | null>): HTMLElement {
  return h("section", {}, h("h3", {}, title), ...children);
}

/** The body of the card of ``feature`` (a feature of ``collection``) with what belongs to it. */
export function cardBody(collection: string, feature: Item, rel: Related, onPick?: (c: string, f: Item) => void): Node[] {
  const p = feature.properties;
  const parts: Node[] = [];
  if (collection === "hazard-sources") {
    parts.push(h("p", {}, gradeBadge(p.grade)));
    const accidents = (["fire", "explosion", "poisoning"] as const).filter((a) => p[`accident_${a}`] === true);
    parts.push(facts(collection, p, FACTS[collection]));
    if (accidents.length) {
      parts.push(
        section(t("card.accidents"), h("p", { class: "tags" }, ...accidents.map((a) => h("span", { class: "tag" }, t(`card.${a}`))))),
      );
    }
    parts.push(section(t("card.responsible"), facts(collection, p, RESPONSIBLE)));
    parts.push(riskSection(feature.id));
    parts.push(registrySection(feature.id, () => onPick?.("hazard-sources", feature)));
  } else if (collection === "sensors") {
    parts.push(h("ul", { class: "readings" }, readingRow(feature)));
    parts.push(facts(collection, p, FACTS.sensors));
    if (p.value_time) parts.push(h("p", { class: "muted" }, t("card.updated", { time: time(p.value_time as string, true) })));
  } else if (collection === "equipment") {
    parts.push(...[inventory(p)].filter((x): x is HTMLElement => x !== null));
    parts.push(facts(collection, p, FACTS.equipment));
  } else {
    parts.push(facts(collection, p, FACTS[collection] ?? Object.keys(p)));
  }
  if (rel.equipment.length) {
    parts.push(
      section(
        t("card.equipment"),
        h(
          "ul",
          { class: "equipment" },
          ...rel.equipment.map((e) =>
            h(
              "li",
              { "data-equipment": e.id },
              h(
                "button",
                { type: "button", class: "link", onclick: () => onPick?.("equipment", e) },
                String(e.properties.name ?? e.properties.code),
              ),
              h("small", {}, [e.properties.substance_name, choice("equipment", "storage", e.properties.storage)].filter(Boolean).join(" · ")),
              inventory(e.properties),
            ),
          ),
        ),
      ),
    );
  }
  if (collection !== "sensors" && (rel.sensors.length || collection === "hazard-sources" || collection === "equipment")) {
    parts.push(
      section(
        t("card.readings"),
        rel.sensors.length
          ? h("ul", { class: "readings" }, ...rel.sensors.map(readingRow))
          : h("p", { class: "muted" }, t("card.no-readings")),
      ),
    );
  }
  if (rel.sources.length) {
    parts.push(
      section(
        t("card.hazard-sources"),
        h(
          "ul",
          { class: "sources" },
          ...rel.sources.map((s) =>
            h(
              "li",
              {},
              h("button", { type: "button", class: "link", onclick: () => onPick?.("hazard-sources", s) }, String(s.properties.name)),
              " ",
              gradeBadge(s.properties.grade),
            ),
          ),
        ),
      ),
    );
  }
  return parts;
}

/** Put the live values of ``events`` into the card's ``element`` where it shows them. */
export function applyLive(element: HTMLElement, events: LiveEvent[]): void {
  for (const event of events) {
    if (event.collection === "sensors") {
      for (const row of element.querySelectorAll<HTMLElement>(`li.reading[data-sensor="${event.featureId}"]`)) {
        const p = event.properties;
        if (p.value !== undefined) row.querySelector(".reading-value")!.textContent = reading(p.value, row.dataset.unit);
        if (typeof p.alarm_state === "string") {
          row.dataset.state = p.alarm_state;
          row.style.setProperty("--state", sensorColor(p.alarm_state));
          row.querySelector(".reading-state")!.textContent = choice("sensors", "alarm_state", p.alarm_state);
        }
      }
    } else if (event.collection === "equipment" && typeof event.properties.inventory_kg === "number") {
      const scope = element.querySelector<HTMLElement>(`[data-equipment="${event.featureId}"]`) ??
        (element.dataset.collection === "equipment" && element.dataset.id === String(event.featureId) ? element : null);
      const target = scope?.querySelector('[data-live="inventory_kg"]');
      if (target) target.textContent = mass(event.properties.inventory_kg);
    }
  }
}

/** The card panel: ``show`` a feature, follow live values, close. */
export class FeatureCard {
  readonly element = h("aside", { class: "card", hidden: true, "aria-live": "polite" });
  current: { collection: string; feature: Item } | null = null;
  private abort: AbortController | null = null;
  private rel: Related | null = null;

  constructor(
    private readonly onZoom: (feature: Item) => void,
    private readonly onClose: () => void,
    /** A section of the view's own for a feature (the command view's release simulation), or null. */
    private readonly extra: (collection: string, feature: Item) => Node | null = () => null,
  ) {
    onLangChange(() => this.render());
  }

  /** Show ``collection``/``id`` (``known``: the feature as already read, e.g. from a list). */
  async show(collection: string, id: number, known?: Item): Promise<void> {
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    this.current = known ? { collection, feature: known } : null;
    this.rel = null;
    this.element.hidden = false;
    this.element.dataset.collection = collection;
    this.element.dataset.id = String(id);
    this.render(collection);
    try {
      const feature = await item(collection, id, abort.signal);
      this.current = { collection, feature };
      this.render();
      this.rel = await related(collection, feature, abort.signal);
      this.render();
    } catch (error) {
      if ((error as Error).name === "AbortError") return;
      this.fail((error as Error).message);
    }
  }

  close(): void {
    this.abort?.abort();
    this.current = null;
    this.element.hidden = true;
    this.onClose();
  }

  live(events: LiveEvent[]): void {
    if (this.element.hidden || !this.current) return;
    let redraw = false;
    for (const event of events) {
      const mine = event.collection === this.current.collection && event.featureId === this.current.feature.id;
      if (mine) Object.assign(this.current.feature.properties, event.properties);
      redraw ||= mine && event.collection === "alarms"; // its handling state and end are facts of the card
      const sensor = this.rel?.sensors.find((s) => event.collection === "sensors" && s.id === event.featureId);
      if (sensor) Object.assign(sensor.properties, event.properties);
      const tank = this.rel?.equipment.find((e) => event.collection === "equipment" && e.id === event.featureId);
      if (tank) Object.assign(tank.properties, event.properties);
    }
    if (redraw) this.render();
    applyLive(this.element, events);
  }

  private fail(message: string): void {
    replace(this.element, this.header(), h("p", { class: "error" }, t("card.failed", { error: message })));
  }

  private header(): HTMLElement {
    const collection = this.current?.collection ?? this.element.dataset.collection ?? "";
    const p = this.current?.feature.properties ?? {};
    const name = String(p.name ?? p.holder ?? p.tag ?? p.message ?? p.scenario_name ?? "");
    return h(
      "header",
      {},
      h("small", {}, collectionTitle(collection)),
      h("h2", {}, name || t("card.loading")),
      h(
        "div",
        { class: "card-actions" },
        this.current?.feature.geometry
          ? h("button", { type: "button", class: "link", onclick: () => this.current && this.onZoom(this.current.feature) }, t("card.zoom-to"))
          : null,
        h("button", { type: "button", class: "close", "aria-label": t("card.close"), title: t("card.close"), onclick: () => this.close() }, "×"),
      ),
    );
  }

  private render(collection?: string): void {
    if (this.element.hidden) return;
    if (!this.current) {
      replace(this.element, this.header(), h("p", { class: "muted" }, t("card.loading")));
      return;
    }
    const body = cardBody(collection ?? this.current.collection, this.current.feature, this.rel ?? { equipment: [], sensors: [], sources: [] }, (c, f) =>
      this.show(c, f.id, f),
    );
    const extra = this.extra(collection ?? this.current.collection, this.current.feature);
    replace(this.element, this.header(), h("div", { class: "card-body" }, ...body, extra));
  }
}
