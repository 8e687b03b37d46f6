// Open alarms: loaded from the OGC API, kept current by the live stream, shown as a panel and as a
// pulsing overlay on the map.

import type { FeatureCollection, Point } from "geojson";
import { item, items, type Item } from "./api";
import { h, replace } from "./dom";
import { choice, onLangChange, t, time } from "./i18n";
import type { LiveEvent } from "./live";

const OPEN = "state <> 'closed'";
const MAX_SHOWN = 200;

export class AlarmStore {
  readonly alarms = new Map<number, Item>();
  private readonly listeners: Array<() => void> = [];

  /** Read the open alarms (newest first) the user may see. */
  async load(): Promise<void> {
    const page = await items("alarms", { filter: OPEN, sortby: "-started_at", limit: MAX_SHOWN });
    for (const alarm of page.features) this.alarms.set(alarm.id, alarm);
    this.changed();
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Apply the stream's alarm events: new alarms appear, closed ones go, others take their new values. */
  async apply(events: LiveEvent[]): Promise<void> {
    let changed = false;
    const missing: number[] = [];
    for (const event of events) {
      if (event.collection !== "alarms") continue;
      changed = true;
      const known = this.alarms.get(event.featureId);
      if (event.action === "delete" || event.properties.state === "closed") {
        this.alarms.delete(event.featureId);
      } else if (known) {
        known.properties = { ...known.properties, ...event.properties };
      } else if (event.properties.kind !== undefined && event.properties.started_at !== undefined) {
        this.alarms.set(event.featureId, {
          type: "Feature",
          id: event.featureId,
          geometry: event.geometry,
          properties: { ...event.properties },
        });
      } else {
        missing.push(event.featureId); // an update of an alarm this page has not seen: read it whole
      }
    }
    for (const alarm of await Promise.all(missing.map((id) => item("alarms", id).catch(() => null)))) {
      if (alarm && alarm.properties.state !== "closed") this.alarms.set(alarm.id, alarm);
    }
    if (changed) this.changed();
  }

  /** Open alarms, the ones still active first, newest first. */
  sorted(): Item[] {
    return [...this.alarms.values()].sort((a, b) => {
      const active = Number(isActive(b)) - Number(isActive(a));
      return active || String(b.properties.started_at).localeCompare(String(a.properties.started_at));
    });
  }

  /** The overlay of the map: one point per located alarm; ``active`` while its condition lasts. */
  geojson(): FeatureCollection<Point> {
    const features = [];
    for (const alarm of this.alarms.values()) {
      if (alarm.geometry?.type !== "Point") continue;
      features.push({
        type: "Feature" as const,
        id: alarm.id,
        geometry: alarm.geometry,
        properties: { id: alarm.id, level: alarm.properties.level, kind: alarm.properties.kind, active: isActive(alarm) },
      });
    }
    return { type: "FeatureCollection", features };
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}

/** An alarm whose condition lasts (not yet ended). */
export function isActive(alarm: Item): boolean {
  return !alarm.properties.ended_at;
}

export interface AlarmPanel {
  element: HTMLElement;
  /** Show that the list could not be loaded (``message`` says why). */
  fail(message: string): void;
}

/** The alarm panel: a count and the list; ``onPick`` is called with the alarm a person clicks. */
export function alarmPanel(store: AlarmStore, onPick: (alarm: Item) => void): AlarmPanel {
  const heading = h("h2", {});
  const count = h("span", { class: "count" });
  const list = h("ol", { class: "alarm-list" });
  const status = h("p", { class: "empty" });
  const panel = h("section", { class: "panel alarms", "aria-live": "polite" }, h("header", {}, heading, count), status, list);
  let error: string | null = null;

  const render = () => {
    heading.textContent = t("alarms.title");
    const alarms = store.sorted();
    const active = alarms.filter(isActive).length;
    count.textContent = alarms.length ? t("alarms.active", { count: alarms.length }) : "";
    count.dataset.active = String(active);
    status.textContent = error ?? (alarms.length ? "" : t("alarms.none"));
    status.hidden = !status.textContent;
    replace(
      list,
      ...alarms.slice(0, MAX_SHOWN).map((alarm) => {
        const p = alarm.properties;
        return h(
          "li",
          { "data-id": alarm.id, "data-active": String(isActive(alarm)), "data-level": String(p.level ?? "") },
          h(
            "button",
            { type: "button", onclick: () => onPick(alarm) },
            h(
              "span",
              { class: "alarm-head" },
              h("span", { class: "badge" }, p.level === 1 || p.level === 2 ? t(`alarms.level.${p.level}`) : ""),
              h("b", {}, choice("alarms", "kind", p.kind)),
              h("time", { datetime: String(p.started_at ?? "") }, time(p.started_at as string)),
            ),
            h("span", { class: "alarm-message" }, String(p.message ?? "")),
            h(
              "span",
              { class: "alarm-foot" },
              String(p.enterprise_name ?? ""),
              h("span", { class: "state" }, isActive(alarm) ? choice("alarms", "state", p.state) : t("alarms.ended")),
            ),
          ),
        );
      }),
    );
  };
  store.onChange(render);
  onLangChange(render);
  render();
  return {
    element: panel,
    fail(message: string) {
      error = t("alarms.load-failed", { error: message });
      render();
    },
  };
}
