"""Vector tiles (MVT) and TileJSON for the collections of the registry; raster tiles of plant plans."""
