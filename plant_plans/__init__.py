"""Site plans in plain Python (no Django): georeferenced raster plans, vector plans read with fiona, and
the coordinates they come in.

The API the platform calls
==========================

Plain values in, rasterio/shapely/NumPy objects out::

    from plant_plans import coords, georef, images

    image = images.prepare("upload.pdf", "page.tif", page=1, dpi=200)   # PlanFileError when corrupt or too big
    points = [georef.ControlPoint(col=120.5, row=88.0, x=121.3312, y=30.8117), ...]
    fit = georef.fit(points, crs="GCJ02", kind="affine", width=image.width, height=image.height)
    fit.report()        # residual of each point (m and px), RMS in both; ControlPointError when unusable
    cog = georef.write_cog(fit, image.path, "plan.tif")   # EPSG:3857 COG with overviews and alpha
    cog.outline         # the plan's border on the map (shapely Polygon, EPSG:4326)

    coords.gcj02_to_wgs84(lon, lat)                      # and wgs84_to_gcj02, bd09_to_wgs84, wgs84_to_bd09
    coords.transform(x, y, "EPSG:4547", "EPSG:4326")     # any two EPSG CRSs (always x, y), GCJ02, BD09
    grid = coords.ConstructionGrid("EPSG:4547", x0_m=3410000, y0_m=500000, azimuth_deg=30)
    grid.to_crs(a, b)                                    # plant A/B grid → lon/lat, by a PROJ pipeline

Every refusal is a :class:`~plant_plans.errors.PlanError` (a ``ValueError``): ``CRSError`` (unknown or
unsuitable CRS), ``ControlPointError`` (points that make no transform), ``PlanFileError`` (corrupt,
unsupported, too large). Their messages are English templates the caller may translate.

Modules
=======

``coords``   EPSG CRS codes, GCJ-02 and BD-09 (iterative inverses), construction grids (PROJ pipeline)
``images``   plan files in: format by content, size and pixel limits, PDF pages rendered by PDFium
``georef``   affine and second-order fits, residuals, the warp to a Cloud-Optimized GeoTIFF
``errors``   the refusals of raster plans
``vector``   vector plans (DXF, Shapefile, GeoPackage, GeoJSON, KML) read with fiona: preview, mapping, features
             in EPSG:4326 (its own refusals, ``vector.PlanError``)
"""
