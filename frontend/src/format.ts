// Values as people read them: SI inside (kg, Pa, K, m), tonnes, MPa, °C and km on screen.

import { choice, num, t, time } from "./i18n";

export function mass(kg: number): string {
  return Math.abs(kg) >= 1000 ? t("unit.t", { n: num(kg / 1000, 2) }) : t("unit.kg", { n: num(kg, 1) });
}

export function distance(m: number): string {
  return m >= 1000 ? t("unit.km", { n: num(m / 1000, m >= 10000 ? 0 : 1) }) : t("unit.m", { n: num(m, 0) });
}

/** A live reading: three significant digits and its unit. */
export function reading(value: unknown, unit: unknown): string {
  if (typeof value !== "number" || !Number.isFinite(value)) return t("card.no-value");
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${num(value, digits)} ${unit ?? ""}`.trim();
}

const CHOICE_FIELDS = new Set([
  "kind",
  "level",
  "state",
  "alarm_state",
  "quality",
  "industry",
  "registry_status",
  "storage",
  "tank_type",
  "severity",
]);

/** Any public attribute of ``collection`` shown as text, by its name's convention (``_kg``, ``_pa``, ``_k``…). */
export function attribute(collection: string, field: string, value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") return value ? t("yes") : t("no");
  if (CHOICE_FIELDS.has(field)) return choice(collection, field, value);
  if (typeof value === "number") {
    if (field.endsWith("_kg")) return mass(value);
    if (field.endsWith("_pa")) return t("unit.mpa", { n: num(value / 1e6, 3) });
    if (field.endsWith("_k")) return t("unit.celsius", { n: num(value - 273.15, 1) });
    if (field.endsWith("_m")) return distance(value);
    if (field.endsWith("_m3")) return `${num(value, 0)} m³`;
    if (field.endsWith("_pct")) return `${num(value, 0)} %`;
    return num(value, 3);
  }
  if (typeof value === "string" && /^\d{4}-\d\d-\d\dT/.test(value)) return time(value, true);
  return String(value);
}
