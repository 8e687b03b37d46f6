// Personnel positions: read once from the OGC API, then moved by the live stream (a GeoJSON overlay,
// since positions move the feature itself, which feature-state cannot).

import type { FeatureCollection, Point } from "geojson";
import { allItems, type Properties } from "./api";
import type { LiveEvent } from "./live";

export class PersonnelStore {
  private readonly people = new Map<number, { geometry: Point; properties: Properties }>();

  /** Read every located tag the user may see (none for roles that may not see positions). */
  async load(): Promise<void> {
    for (const tag of await allItems("personnel", {}, 20000)) {
      if (tag.geometry?.type === "Point") this.people.set(tag.id, { geometry: tag.geometry, properties: tag.properties });
    }
  }

  /** Apply the stream's personnel events; true when anything moved or changed. */
  apply(events: LiveEvent[]): boolean {
    let changed = false;
    for (const event of events) {
      if (event.collection !== "personnel") continue;
      changed = true;
      if (event.action === "delete") {
        this.people.delete(event.featureId);
        continue;
      }
      const known = this.people.get(event.featureId);
      const geometry = event.geometry ?? known?.geometry;
      if (!geometry) continue;
      this.people.set(event.featureId, { geometry, properties: { ...known?.properties, ...event.properties } });
    }
    return changed;
  }

  geojson(): FeatureCollection<Point> {
    return {
      type: "FeatureCollection",
      features: [...this.people].map(([id, tag]) => ({
        type: "Feature",
        id,
        geometry: tag.geometry,
        properties: { id, sos: tag.properties.sos === true, holder: tag.properties.holder ?? "" },
      })),
    };
  }
}
