// Reading hazmap's OGC API – Features (/ogc/) and tiles (/tiles/) as the signed-in user (session cookie).

import type { Feature, Geometry } from "geojson";
import { lang, t } from "./i18n";
import { session } from "./session";

export type Properties = Record<string, unknown>;
export type Item = Feature<Geometry | null, Properties> & { id: number };
export interface Items {
  type: "FeatureCollection";
  features: Item[];
  numberMatched?: number;
  numberReturned?: number;
  links?: Array<{ rel: string; href: string }>;
}

/** An error the server answered with: its status, the message of its OGC exception body and that body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** What ``error`` says for people: the server's description, or, when the server named the fields it refused
 * (a 422's ``fields``), each field's name from ``names`` with its messages. */
export function explain(error: unknown, names: Record<string, string> = {}): string {
  const fields = error instanceof ApiError ? error.details?.fields : undefined;
  if (fields && typeof fields === "object") {
    const parts = Object.entries(fields as Record<string, unknown>).map(([name, messages]) =>
      t("error.field", { field: names[name] ?? name, message: Array.isArray(messages) ? messages.join(" ") : String(messages) }),
    );
    if (parts.length) return parts.join(" ");
  }
  return (error as Error).message;
}

/** The server answers in the interface's language (its messages and coded labels), whatever the browser's. */
function language(): string {
  return lang() === "en" ? "en" : "zh-Hans";
}

/** GET ``url`` as JSON; a failure becomes an ``ApiError`` with the server's own description. */
export async function getJSON<T>(url: string, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { Accept: "application/json", "Accept-Language": language() }, credentials: "same-origin", signal });
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    throw new ApiError(0, t("error.network"));
  }
  return answer<T>(response);
}

async function answer<T>(response: Response): Promise<T> {
  if (response.status === 401) throw new ApiError(401, t("error.signin"));
  if (!response.ok) {
    let description = `HTTP ${response.status}`;
    let body: Record<string, unknown> | undefined;
    try {
      body = (await response.json()) as Record<string, unknown>;
      if (typeof body.description === "string" && body.description) description = body.description;
    } catch {
      // not JSON: keep the status
    }
    throw new ApiError(response.status, description, body);
  }
  return (await response.json()) as T;
}

/** POST ``body`` as JSON with the session's CSRF token; a refusal becomes an ``ApiError`` with the server's words. */
export function postJSON<T>(url: string, body: unknown, signal?: AbortSignal): Promise<T> {
  return sendJSON<T>("POST", url, body, signal);
}

/** Send ``body`` as JSON with ``method`` (POST, PUT, PATCH) and the session's CSRF token, as ``postJSON``. */
export async function sendJSON<T>(method: string, url: string, body: unknown, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: {
        Accept: "application/json",
        "Accept-Language": language(),
        "Content-Type": "application/json",
        "X-CSRFToken": session().csrf,
      },
      credentials: "same-origin",
      body: JSON.stringify(body),
      signal,
    });
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    throw new ApiError(0, t("error.network"));
  }
  return answer<T>(response);
}

/** POST ``body`` as JSON (CSRF token as for ``postJSON``) for a file: the answer's bytes, or an ``ApiError`` with the server's words. */
export async function postForFile(url: string, body: unknown): Promise<Blob> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": session().csrf },
      credentials: "same-origin",
      body: JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, t("error.network"));
  }
  if (!response.ok) await answer(response); // throws with the server's description
  return response.blob();
}

/** POST ``form`` (multipart, with the CSRF token), calling ``progress`` with the share sent (0–1) as the
 * upload goes; the JSON answer, or an ``ApiError`` with the server's words. */
export function postForm<T>(url: string, form: FormData, progress: (share: number) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", url);
    request.setRequestHeader("Accept", "application/json");
    request.setRequestHeader("Accept-Language", language());
    request.setRequestHeader("X-CSRFToken", session().csrf);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) progress(event.loaded / event.total);
    });
    request.addEventListener("error", () => reject(new ApiError(0, t("error.network"))));
    request.addEventListener("load", () => {
      const response = new Response(request.responseText, { status: request.status });
      answer<T>(response).then(resolve, reject);
    });
    request.send(form);
  });
}

/** The features of ``collection`` matching ``params`` (OGC API query parameters), one page of at most ``limit``. */
export function items(
  collection: string,
  params: Record<string, string | number> = {},
  signal?: AbortSignal,
): Promise<Items> {
  const query = new URLSearchParams({ f: "json", limit: "100" });
  for (const [name, value] of Object.entries(params)) query.set(name, String(value));
  return getJSON<Items>(`/ogc/collections/${collection}/items?${query}`, signal);
}

/** Every feature of ``collection`` matching ``params``, following the ``next`` links (at most ``max``). */
export async function allItems(
  collection: string,
  params: Record<string, string | number> = {},
  max = 5000,
  signal?: AbortSignal,
): Promise<Item[]> {
  const first = await items(collection, { limit: 1000, ...params }, signal);
  const features = [...first.features];
  let next = first.links?.find((link) => link.rel === "next")?.href;
  while (next && features.length < max) {
    const page = await getJSON<Items>(sameOrigin(next), signal);
    features.push(...page.features);
    next = page.links?.find((link) => link.rel === "next")?.href;
  }
  return features.slice(0, max);
}

/** One feature of ``collection``. */
export function item(collection: string, id: number | string, signal?: AbortSignal): Promise<Item> {
  return getJSON<Item>(`/ogc/collections/${collection}/items/${id}?f=json`, signal);
}

/** A CQL2 text literal: quoted, with quotes doubled. */
export function cqlText(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A CQL2 LIKE pattern matching ``text`` anywhere (its own %, _ and \ escaped). */
export function cqlContains(text: string): string {
  return cqlText(`%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
}

/** Links the server writes are absolute; keep their path and query so they go to this page's origin. */
function sameOrigin(href: string): string {
  const url = new URL(href, location.href);
  return url.pathname + url.search;
}

/** TileJSON of a tileset (``map``: every layer of the map), as the server offers it to this user. */
export interface TileJSON {
  tiles: string[];
  minzoom: number;
  maxzoom: number;
  bounds?: [number, number, number, number];
  center?: [number, number, number];
  vector_layers: Array<{ id: string; minzoom: number; maxzoom: number; fields: Record<string, string> }>;
}

export function tileJSON(tileset: string): Promise<TileJSON> {
  return getJSON<TileJSON>(`/tiles/${tileset}.json`);
}
