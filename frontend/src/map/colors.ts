// The map's colours. Hazard sources take the colours of the four GB 18218 grades as the regulators'
// "red, orange, yellow, blue" risk scale shows them (grade 1 = red … grade 4 = blue).

export const GRADE_COLORS: Record<number, string> = {
  1: "#d7191c",
  2: "#f46d1b",
  3: "#e8b400",
  4: "#2b6cb0",
};
export const NOT_MAJOR = "#8a96a3";

/** The risk levels (geo.risk: 重大 / 较大 / 一般 / 低), worst first, in the same four colours. */
export const RISK_LEVELS = ["red", "orange", "yellow", "blue"] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];
export const RISK_COLORS: Record<RiskLevel, string> = {
  red: GRADE_COLORS[1],
  orange: GRADE_COLORS[2],
  yellow: GRADE_COLORS[3],
  blue: GRADE_COLORS[4],
};

/** Sensor alarm states grouped as the legend shows them. */
export const SENSOR_COLORS = {
  normal: "#23a455",
  warning: "#f08c00", // hi, lo
  alarm: "#d7191c", // hihi, lolo, rate
  fault: "#8a96a3", // stale, offline, bad_quality
} as const;

export const WARNING_STATES = ["hi", "lo"];
export const ALARM_STATES = ["hihi", "lolo", "rate"];
export const FAULT_STATES = ["stale", "offline", "bad_quality"];

export const ZONE_COLORS = { red: "#d7191c", orange: "#f46d1b", yellow: "#f2c200" } as const;

export const RESOURCE_COLOR = "#0f8a7e";
export const TARGET_COLOR = "#8e44ad";
export const PERSON_COLOR = "#1f6feb";
export const FENCE_COLOR = "#c2185b";
export const TANK_COLOR = "#5c6f82";

/** The features of an imported general layout (总平面布置图, layout-features) by kind. */
export const LAYOUT_COLORS = {
  building: "#c9b79c",
  tank: "#97a6b5",
  dike: "#8d6e4a",
  road: "#a9b3bd",
  fence: "#4a5560",
  hazard_source: "#c0392b",
} as const;

/** The colour of a sensor in ``state`` (an ``alarm_state`` code). */
export function sensorColor(state: string | null | undefined): string {
  if (state && ALARM_STATES.includes(state)) return SENSOR_COLORS.alarm;
  if (state && WARNING_STATES.includes(state)) return SENSOR_COLORS.warning;
  if (state && FAULT_STATES.includes(state)) return SENSOR_COLORS.fault;
  return SENSOR_COLORS.normal;
}

/** The colour of a hazard source of ``grade`` (1–4; null when not a major hazard source). */
export function gradeColor(grade: unknown): string {
  return typeof grade === "number" && GRADE_COLORS[grade] ? GRADE_COLORS[grade] : NOT_MAJOR;
}
