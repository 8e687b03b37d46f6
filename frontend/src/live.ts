// The live event stream (/ogc/events, server-sent events of feature changes in the user's scope).
//
// Events are handed on in batches (every BATCH_MS) so that hundreds of changes a second cost one
// map update, not hundreds. The browser's EventSource reconnects by itself after a network error,
// sending the last event id it saw; when the server answers with an error instead (a restart, a
// 503), EventSource gives up, so the stream opens a new one after a growing pause, passing the last
// id as ``lastEventId`` so that nothing recent is lost.

import type { Point } from "geojson";
import type { Properties } from "./api";

export interface LiveEvent {
  id: number;
  collection: string;
  featureId: number;
  action: "create" | "update" | "delete";
  time: string;
  properties: Properties;
  geometry: Point | null;
}

export type LiveStatus = "connecting" | "connected" | "reconnecting";

const BATCH_MS = 100;
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 15000;

export class LiveStream {
  status: LiveStatus = "connecting";
  lastEventId: number | null = null;
  received = 0;
  private source: EventSource | null = null;
  private pending: LiveEvent[] = [];
  private flushTimer: number | null = null;
  private retryTimer: number | null = null;
  private retryMs = RETRY_MIN_MS;
  private readonly listeners: Array<(events: LiveEvent[]) => void> = [];
  private readonly statusListeners: Array<(status: LiveStatus) => void> = [];

  /** Follow ``collections`` (all when empty), only changes located in ``bbox`` (west, south, east, north) if given. */
  constructor(
    private readonly collections: string[] = [],
    private readonly bbox: [number, number, number, number] | null = null,
  ) {}

  /** Call ``listener`` with each batch of events, oldest first. */
  on(listener: (events: LiveEvent[]) => void): void {
    this.listeners.push(listener);
  }

  /** Call ``listener`` whenever the connection's status changes. */
  onStatus(listener: (status: LiveStatus) => void): void {
    this.statusListeners.push(listener);
    listener(this.status);
  }

  start(): void {
    this.stop();
    const query = new URLSearchParams();
    if (this.collections.length) query.set("collections", this.collections.join(","));
    if (this.bbox) query.set("bbox", this.bbox.map((x) => x.toFixed(6)).join(","));
    if (this.lastEventId !== null) query.set("lastEventId", String(this.lastEventId));
    const source = new EventSource(`/ogc/events${query.size ? `?${query}` : ""}`, { withCredentials: true });
    this.source = source;
    source.onopen = () => {
      this.retryMs = RETRY_MIN_MS;
      this.setStatus("connected");
    };
    source.onmessage = (message: MessageEvent<string>) => this.receive(message);
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        this.scheduleRetry(); // the server answered with an error: EventSource will not try again
      } else {
        this.setStatus("reconnecting"); // the browser reconnects by itself, with Last-Event-ID
      }
    };
  }

  stop(): void {
    this.source?.close();
    this.source = null;
    if (this.retryTimer !== null) window.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private receive(message: MessageEvent<string>): void {
    const data = JSON.parse(message.data) as {
      collection: string;
      id: number;
      action: LiveEvent["action"];
      time: string;
      properties: Properties;
      geometry: Point | null;
    };
    const id = Number(message.lastEventId);
    if (Number.isFinite(id)) this.lastEventId = id;
    this.received += 1;
    this.pending.push({
      id,
      collection: data.collection,
      featureId: data.id,
      action: data.action,
      time: data.time,
      properties: data.properties ?? {},
      geometry: data.geometry,
    });
    if (this.flushTimer === null) this.flushTimer = window.setTimeout(() => this.flush(), BATCH_MS);
  }

  private flush(): void {
    this.flushTimer = null;
    const batch = this.pending;
    this.pending = [];
    for (const listener of this.listeners) {
      try {
        listener(batch);
      } catch (error) {
        console.error("hazmap: a live-event listener failed", error);
      }
    }
  }

  private scheduleRetry(): void {
    this.setStatus("reconnecting");
    this.source?.close();
    this.source = null;
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    this.retryTimer = window.setTimeout(() => this.start(), wait);
  }

  private setStatus(status: LiveStatus): void {
    if (status === this.status) return;
    this.status = status;
    for (const listener of this.statusListeners) listener(status);
  }
}
