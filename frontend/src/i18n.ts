// The interface's words in Chinese (the default) and English. The words of the data (collection
// titles, attribute names, coded values) come from the server with the session (web/labels.py).

import { session, type Lang } from "./session";

const zh = {
  "app.name": "hazmap",
  "view.command": "一张图",
  "view.inspector": "巡检",
  "view.dashboard": "统计",
  "view.planner": "规划",
  "lang.switch": "English",
  "lang.switch.title": "Switch to English",
  "user.signout": "退出登录",
  "user.admin": "后台管理",
  "live.connected": "实时数据已连接",
  "live.connecting": "正在连接实时数据…",
  "live.reconnecting": "实时数据中断，正在重连…",
  "search.placeholder": "搜索名称、编码或位号",
  "search.none": "没有找到“{q}”",
  "search.failed": "搜索失败：{error}",
  "layers.title": "图层与图例",
  "layers.hide": "收起",
  "layers.show": "图层",
  "layer.regions": "行政区划",
  "layer.enterprises": "企业",
  "layer.hazard-sources": "重大危险源",
  "layer.equipment": "储罐与设备",
  "layer.sensors": "监测点",
  "layer.alarms": "报警",
  "layer.personnel": "人员定位",
  "layer.fences": "电子围栏",
  "layer.consequence-zones": "后果区域",
  "layer.emergency-resources": "应急资源",
  "layer.sensitive-targets": "敏感目标",
  "layer.from-zoom": "{zoom} 级起显示",
  "grade.1": "一级",
  "grade.2": "二级",
  "grade.3": "三级",
  "grade.4": "四级",
  "grade.none": "非重大危险源",
  "grade.title": "GB 18218 分级",
  "grade.badge": "{grade}重大危险源",
  "grade.badge.none": "非重大危险源",
  "sensor.normal": "正常",
  "sensor.warning": "高报 / 低报",
  "sensor.alarm": "高高报 / 低低报",
  "sensor.fault": "离线 / 数据异常",
  "equipment.tank": "储罐",
  "equipment.other": "仓库 / 装置",
  "zones.red": "致死区",
  "zones.orange": "重伤区",
  "zones.yellow": "轻伤区",
  "alarms.title": "报警",
  "alarms.active": "{count} 条未关闭",
  "alarms.none": "当前没有未关闭的报警",
  "alarms.level.1": "一级报警",
  "alarms.level.2": "二级报警",
  "alarms.ended": "已恢复",
  "alarms.load-failed": "报警列表加载失败：{error}",
  "card.close": "关闭",
  "card.loading": "正在加载…",
  "card.failed": "加载失败：{error}",
  "card.readings": "实时监测",
  "card.equipment": "储罐与设备",
  "card.hazard-sources": "危险源",
  "card.responsible": "责任人",
  "card.hazard": "危险特性",
  "card.accidents": "可能引发的事故",
  "card.fire": "火灾",
  "card.explosion": "爆炸",
  "card.poisoning": "中毒",
  "card.no-readings": "没有监测点",
  "card.no-value": "无数据",
  "card.inventory": "实时存量",
  "card.design-max": "设计最大量",
  "card.updated": "更新于 {time}",
  "card.zoom-to": "定位",
  "map.coordinates": "经度 {lon}，纬度 {lat}",
  "map.load-failed": "地图加载失败：{error}",
  "yes": "是",
  "no": "否",
  "inspector.title": "附近的危险源",
  "inspector.locating": "正在定位…",
  "inspector.located": "已定位（精度约 {accuracy} 米）",
  "inspector.fallback": "无法获取位置（{reason}），以{place}为当前位置",
  "inspector.fallback.place": "辖区中心",
  "inspector.denied": "定位权限被拒绝",
  "inspector.unavailable": "定位不可用",
  "inspector.timeout": "定位超时",
  "inspector.relocate": "重新定位",
  "inspector.none": "附近 {km} 公里内没有危险源",
  "inspector.back": "返回列表",
  "inspector.way": "前往路线",
  "inspector.way.detail": "直线距离 {distance}，方位 {bearing}（{direction}）",
  "inspector.navigate": "用导航应用打开",
  "inspector.show-map": "地图",
  "inspector.show-list": "列表",
  "direction.N": "北",
  "direction.NE": "东北",
  "direction.E": "东",
  "direction.SE": "东南",
  "direction.S": "南",
  "direction.SW": "西南",
  "direction.W": "西",
  "direction.NW": "西北",
  "unit.m": "{n} 米",
  "unit.km": "{n} 公里",
  "unit.t": "{n} 吨",
  "unit.kg": "{n} 千克",
  "unit.mpa": "{n} MPa",
  "unit.celsius": "{n} ℃",
  "error.network": "无法连接服务器",
  "error.signin": "登录已失效，请重新登录",
} as const;

export type Key = keyof typeof zh;

const en: Record<Key, string> = {
  "app.name": "hazmap",
  "view.command": "One map",
  "view.inspector": "Inspect",
  "view.dashboard": "Statistics",
  "view.planner": "Planning",
  "lang.switch": "中文",
  "lang.switch.title": "切换到中文",
  "user.signout": "Sign out",
  "user.admin": "Admin",
  "live.connected": "Live data connected",
  "live.connecting": "Connecting to live data…",
  "live.reconnecting": "Live data interrupted, reconnecting…",
  "search.placeholder": "Search by name, code or tag",
  "search.none": "Nothing found for “{q}”",
  "search.failed": "Search failed: {error}",
  "layers.title": "Layers and legend",
  "layers.hide": "Hide",
  "layers.show": "Layers",
  "layer.regions": "Administrative regions",
  "layer.enterprises": "Enterprises",
  "layer.hazard-sources": "Major hazard sources",
  "layer.equipment": "Tanks and equipment",
  "layer.sensors": "Monitoring points",
  "layer.alarms": "Alarms",
  "layer.personnel": "Personnel positions",
  "layer.fences": "Electronic fences",
  "layer.consequence-zones": "Consequence zones",
  "layer.emergency-resources": "Emergency resources",
  "layer.sensitive-targets": "Sensitive targets",
  "layer.from-zoom": "zoom ≥ {zoom}",
  "grade.1": "Grade 1",
  "grade.2": "Grade 2",
  "grade.3": "Grade 3",
  "grade.4": "Grade 4",
  "grade.none": "Not major",
  "grade.title": "GB 18218 grade",
  "grade.badge": "{grade} major hazard source",
  "grade.badge.none": "Not a major hazard source",
  "sensor.normal": "Normal",
  "sensor.warning": "High / low",
  "sensor.alarm": "High-high / low-low",
  "sensor.fault": "Offline / bad data",
  "equipment.tank": "Tank",
  "equipment.other": "Warehouse / unit",
  "zones.red": "Lethal zone",
  "zones.orange": "Serious-injury zone",
  "zones.yellow": "Minor-injury zone",
  "alarms.title": "Alarms",
  "alarms.active": "{count} open",
  "alarms.none": "No open alarms",
  "alarms.level.1": "Level 1",
  "alarms.level.2": "Level 2",
  "alarms.ended": "Cleared",
  "alarms.load-failed": "The alarm list could not be loaded: {error}",
  "card.close": "Close",
  "card.loading": "Loading…",
  "card.failed": "Could not load: {error}",
  "card.readings": "Live readings",
  "card.equipment": "Tanks and equipment",
  "card.hazard-sources": "Hazard sources",
  "card.responsible": "Responsible persons",
  "card.hazard": "Hazard facts",
  "card.accidents": "Possible accidents",
  "card.fire": "fire",
  "card.explosion": "explosion",
  "card.poisoning": "poisoning",
  "card.no-readings": "No monitoring points",
  "card.no-value": "no data",
  "card.inventory": "Live inventory",
  "card.design-max": "Design maximum",
  "card.updated": "updated {time}",
  "card.zoom-to": "Zoom to",
  "map.coordinates": "Lon {lon}, lat {lat}",
  "map.load-failed": "The map could not be loaded: {error}",
  "yes": "yes",
  "no": "no",
  "inspector.title": "Hazard sources near me",
  "inspector.locating": "Finding your position…",
  "inspector.located": "Located (within about {accuracy} m)",
  "inspector.fallback": "No position ({reason}); using {place} instead",
  "inspector.fallback.place": "the centre of your area",
  "inspector.denied": "location permission denied",
  "inspector.unavailable": "location unavailable",
  "inspector.timeout": "location timed out",
  "inspector.relocate": "Locate again",
  "inspector.none": "No hazard source within {km} km",
  "inspector.back": "Back to the list",
  "inspector.way": "The way there",
  "inspector.way.detail": "{distance} in a straight line, bearing {bearing} ({direction})",
  "inspector.navigate": "Open in a navigation app",
  "inspector.show-map": "Map",
  "inspector.show-list": "List",
  "direction.N": "north",
  "direction.NE": "north-east",
  "direction.E": "east",
  "direction.SE": "south-east",
  "direction.S": "south",
  "direction.SW": "south-west",
  "direction.W": "west",
  "direction.NW": "north-west",
  "unit.m": "{n} m",
  "unit.km": "{n} km",
  "unit.t": "{n} t",
  "unit.kg": "{n} kg",
  "unit.mpa": "{n} MPa",
  "unit.celsius": "{n} °C",
  "error.network": "The server cannot be reached",
  "error.signin": "Your session has ended; please sign in again",
};

const dictionaries: Record<Lang, Record<Key, string>> = { zh, en };
const LANGUAGE_COOKIE = "django_language"; // Django's LANGUAGE_COOKIE_NAME: the server speaks the same
const listeners: Array<() => void> = [];
let language: Lang | null = null;

/** The language of the interface: the session's (the user's last choice), Chinese by default. */
export function lang(): Lang {
  if (language === null) language = session().language === "en" ? "en" : "zh";
  return language;
}

/** Switch the interface language, remember it for the server (its cookie), and redraw. */
export function setLang(next: Lang): void {
  if (next === lang()) return;
  language = next;
  document.cookie = `${LANGUAGE_COOKIE}=${next === "en" ? "en" : "zh-hans"}; path=/; max-age=31536000; samesite=lax`;
  document.documentElement.lang = next === "en" ? "en" : "zh-Hans";
  for (const listener of listeners) listener();
}

/** Call ``listener`` after every language switch. */
export function onLangChange(listener: () => void): void {
  listeners.push(listener);
}

/** The interface text ``key`` in the current language, ``{name}`` replaced by ``vars[name]``. */
export function t(key: Key, vars: Record<string, string | number> = {}): string {
  return dictionaries[lang()][key].replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`));
}

/** The title of a collection (``hazard-sources`` → 危险源). */
export function collectionTitle(collection: string): string {
  return session().labels[lang()].collections[collection] ?? collection;
}

/** The name of an attribute of a collection (``sensors``, ``alarm_state`` → 报警状态). */
export function fieldName(collection: string, field: string): string {
  return session().labels[lang()].fields[collection]?.[field] ?? field;
}

/** The label of a coded value (``sensors``, ``alarm_state``, ``hihi`` → 高高报); the code itself if unknown. */
export function choice(collection: string, field: string, value: unknown): string {
  if (value === null || value === undefined) return "";
  return session().labels[lang()].choices[collection]?.[field]?.[String(value)] ?? String(value);
}

/** A place's name in the current language. */
export function placeName(place: { name: string; name_en?: string | null }): string {
  return lang() === "en" && place.name_en ? place.name_en : place.name;
}

/** A number formatted for the current language with at most ``digits`` decimals. */
export function num(value: number, digits = 1): string {
  return value.toLocaleString(lang() === "en" ? "en-GB" : "zh-CN", { maximumFractionDigits: digits });
}

/** A time shown in Asia/Shanghai (the platform's time zone), e.g. 08:15:02 or 12-03 08:15. */
export function time(iso: string | null | undefined, withDate = false): string {
  if (!iso) return "";
  const options: Intl.DateTimeFormatOptions = {
    timeZone: "Asia/Shanghai",
    hour: "2-digit",
    minute: "2-digit",
    second: withDate ? undefined : "2-digit",
    month: withDate ? "2-digit" : undefined,
    day: withDate ? "2-digit" : undefined,
    hour12: false,
  };
  return new Date(iso).toLocaleString(lang() === "en" ? "en-GB" : "zh-CN", options);
}
