// Name labels of areas (enterprise sites, sensitive targets) placed once per feature, at the centre
// of its bounds, from the OGC API: labels from the tiles would repeat in every tile an area crosses.

import type { GeoJSONSource, Map as MapLibreMap } from "maplibre-gl";
import { allItems } from "../api";
import { anchor } from "./geometry";
import { LABELLED_AREAS, labelSource } from "./style";

export async function loadAreaLabels(map: MapLibreMap): Promise<void> {
  await Promise.all(
    LABELLED_AREAS.map(async (collection) => {
      const features = await allItems(collection, { properties: "name" }, 5000).catch(() => []);
      map.getSource<GeoJSONSource>(labelSource(collection))?.setData({
        type: "FeatureCollection",
        features: features
          .filter((f) => f.geometry)
          .map((f) => ({ type: "Feature", geometry: { type: "Point", coordinates: anchor(f.geometry!) }, properties: { name: f.properties.name } })),
      });
    }),
  );
}
