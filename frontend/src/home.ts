// Where a person's map opens: their enterprise's site, else their region, else what the tiles cover.

import { item, items, type Item } from "./api";
import { bounds, type Bounds } from "./map/geometry";
import { session } from "./session";

/** The bounds of the user's enterprise or region (null when neither has a geometry). */
export async function homeBounds(): Promise<Bounds | null> {
  const user = session().user;
  try {
    let home: Item | undefined;
    if (user.enterprise) home = await item("enterprises", user.enterprise.id);
    else if (user.region) home = (await items("regions", { code: user.region.code, limit: 1 })).features[0];
    return home?.geometry ? bounds(home.geometry) : null;
  } catch {
    return null; // the map still opens, on what the tiles cover
  }
}
