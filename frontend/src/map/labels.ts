// Name labels of areas (enterprise sites, sensitive targets) placed once per feature, at the centre
// of its bounds, from the OGC API: labels from the tiles would repeat in every tile an area crosses.

import type { ExpressionSpecification, GeoJSONSource, Map as MapLibreMap } from "maplibre-gl";
import { allItems } from "../api";
import { lang, onLangChange } from "../i18n";
import { anchor } from "./geometry";
import { LABELLED_AREAS, labelSource } from "./style";

/** Collections with an English name beside the Chinese one. */
const ENGLISH_NAMES = new Set(["enterprises"]);

function textField(collection: string): ExpressionSpecification {
  return lang() === "en" && ENGLISH_NAMES.has(collection) ? ["coalesce", ["get", "name_en"], ["get", "name"]] : ["get", "name"];
}

export async function loadAreaLabels(map: MapLibreMap): Promise<void> {
  await Promise.all(
    LABELLED_AREAS.map(async (collection) => {
      const properties = ENGLISH_NAMES.has(collection) ? "name,name_en" : "name";
      const features = await allItems(collection, { properties }, 5000).catch(() => []);
      map.getSource<GeoJSONSource>(labelSource(collection))?.setData({
        type: "FeatureCollection",
        features: features
          .filter((f) => f.geometry)
          .map((f) => ({
            type: "Feature",
            geometry: { type: "Point", coordinates: anchor(f.geometry!) },
            properties: { name: f.properties.name, name_en: f.properties.name_en || null },
          })),
      });
      map.setLayoutProperty(`${collection}-label`, "text-field", textField(collection));
    }),
  );
  onLangChange(() => {
    for (const collection of LABELLED_AREAS) map.setLayoutProperty(`${collection}-label`, "text-field", textField(collection));
  });
}
