"""QGIS as a client of hazmap: run with Debian's /usr/bin/python3 (python3-qgis), not the project's venv.

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 qgis_client.py oapif BASE_URL TOKEN COLLECTION
    QT_QPA_PLATFORM=offscreen /usr/bin/python3 qgis_client.py tiles TILEJSON_URL LON LAT ZOOM

``oapif`` loads the collection with QGIS's OAPIF provider from BASE_URL as a user types it
(``http://host/ogc``), the token given as ``?token=`` in that landing page URL (QGIS 3.22 sends the
query of that URL with every request; its authentication methods have no bearer header), and reads
every feature. ``tiles`` reads TileJSON as a map client
does and loads its XYZ tile URL as a QGIS vector tile layer, then renders the map around (LON, LAT)
at ZOOM with a renderer that keeps the features QGIS decoded from the tiles. Each prints one JSON
object on stdout: whether the layer is valid, and the features (attributes, and lon/lat).
"""

from __future__ import annotations

import json
import sys
import urllib.request

from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsDataSourceUri,
    QgsExpression,
    QgsMapRendererCustomPainterJob,
    QgsMapSettings,
    QgsPalLayerSettings,
    QgsPointXY,
    QgsProject,
    QgsRectangle,
    QgsVectorLayer,
    QgsVectorTileBasicLabeling,
    QgsVectorTileBasicLabelingStyle,
    QgsVectorTileLayer,
    QgsVectorTileRenderer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QImage, QPainter

WGS84 = QgsCoordinateReferenceSystem("EPSG:4326")
WEB_MERCATOR = QgsCoordinateReferenceSystem("EPSG:3857")


def read_collection(base_url: str, token: str, collection_id: str) -> dict:
    uri = QgsDataSourceUri()
    uri.setParam("url", f"{base_url}?token={token}")
    uri.setParam("typename", collection_id)
    layer = QgsVectorLayer(uri.uri(expandAuthConfig=False), collection_id, "OAPIF")
    if not layer.isValid():  # (layer.error() of an invalid OAPIF layer crashes QGIS 3.22)
        return {"valid": False}
    features = []
    for feature in layer.getFeatures():
        point = feature.geometry().centroid().asPoint()
        attributes = {field.name(): feature[field.name()] for field in layer.fields()}
        features.append({"attributes": _plain(attributes), "lon": point.x(), "lat": point.y()})
    return {
        "valid": True,
        "count": layer.featureCount(),
        "crs": layer.crs().authid(),
        "fields": layer.fields().names(),
        "features": features,
    }


class KeepingRenderer(QgsVectorTileRenderer):
    """A vector tile renderer that draws nothing and keeps the features of every tile it is given."""

    def __init__(self, layers: dict[str, list[str]], kept: list) -> None:
        super().__init__()
        self.layers = layers
        self.kept = kept

    def type(self) -> str:
        return "keeping"

    def clone(self) -> KeepingRenderer:
        return KeepingRenderer(self.layers, self.kept)

    def startRender(self, context, tile_zoom, tile_range) -> None:  # QGIS's method names
        pass

    def stopRender(self, context) -> None:
        pass

    def requiredLayers(self, context, tile_zoom) -> set:
        return set(self.layers)

    def renderTile(self, tile, context) -> None:
        to_lonlat = QgsCoordinateTransform(WEB_MERCATOR, WGS84, QgsProject.instance())
        for layer_name in tile.layers():
            for feature in tile.layerFeatures(layer_name):
                point = to_lonlat.transform(feature.geometry().centroid().asPoint())
                attributes = {field.name(): feature[field.name()] for field in feature.fields()}
                self.kept.append(
                    {"layer": layer_name, "attributes": _plain(attributes), "lon": point.x(), "lat": point.y()}
                )

    def writeXml(self, element, context) -> None:
        pass

    def readXml(self, element, context) -> None:
        pass


def labeling_naming(layers: dict[str, list[str]]) -> QgsVectorTileBasicLabeling:
    """Labels made of every attribute of every layer: QGIS 3.22 decodes the attributes that the
    labeling (or the renderer, whose ``usedAttributes`` Python cannot override) asks for."""
    labeling = QgsVectorTileBasicLabeling()
    styles = []
    for name, fields in layers.items():
        for geometry_type in (QgsWkbTypes.PointGeometry, QgsWkbTypes.LineGeometry, QgsWkbTypes.PolygonGeometry):
            settings = QgsPalLayerSettings()
            settings.isExpression = True
            settings.fieldName = "concat(" + ", ".join(QgsExpression.quotedColumnRef(f) for f in fields) + ")"
            style = QgsVectorTileBasicLabelingStyle()
            style.setLayerName(name)
            style.setGeometryType(geometry_type)
            style.setLabelSettings(settings)
            styles.append(style)
    labeling.setStyles(styles)
    return labeling


def read_tiles(tilejson_url: str, lon: float, lat: float, zoom: int) -> dict:
    with urllib.request.urlopen(tilejson_url, timeout=30) as response:
        tilejson = json.load(response)
    uri = QgsDataSourceUri()
    uri.setParam("type", "xyz")
    uri.setParam("url", tilejson["tiles"][0])
    uri.setParam("zmin", str(tilejson["minzoom"]))
    uri.setParam("zmax", str(tilejson["maxzoom"]))
    layer = QgsVectorTileLayer(bytes(uri.encodedUri()).decode(), tilejson["name"])
    if not layer.isValid():
        return {"valid": False}
    kept: list = []
    layers = {v["id"]: list(v["fields"]) for v in tilejson["vector_layers"]}
    layer.setRenderer(KeepingRenderer(layers, kept))
    layer.setLabeling(labeling_naming(layers))
    centre = QgsCoordinateTransform(WGS84, WEB_MERCATOR, QgsProject.instance()).transform(QgsPointXY(lon, lat))
    half = 2 * 20037508.342789244 / (1 << zoom) / 2  # half a tile of that zoom, in metres
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(WEB_MERCATOR)
    settings.setOutputSize(QSize(512, 512))
    settings.setOutputDpi(96)
    settings.setExtent(QgsRectangle(centre.x() - half, centre.y() - half, centre.x() + half, centre.y() + half))
    image = QImage(settings.outputSize(), QImage.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    job = QgsMapRendererCustomPainterJob(settings, painter)
    job.renderSynchronously()
    painter.end()
    errors = [f"{error.layerID}: {error.message}" for error in job.errors()]
    return {"valid": True, "source": layer.source(), "errors": errors, "features": kept}


def _plain(attributes: dict) -> dict:
    """QGIS values (QVariant NULL, QDateTime…) as JSON values."""
    out = {}
    for name, value in attributes.items():
        if value is None or (hasattr(value, "isNull") and value.isNull()):
            out[name] = None
        elif isinstance(value, (bool, int, float, str)):
            out[name] = value
        else:
            out[name] = value.toString() if hasattr(value, "toString") else str(value)
    return out


def main() -> None:
    app = QgsApplication([], False)
    QgsApplication.setPrefixPath("/usr", True)  # Debian's QGIS: providers and resources under /usr
    app.initQgis()
    try:
        if sys.argv[1] == "oapif":
            result = read_collection(sys.argv[2], sys.argv[3], sys.argv[4])
        else:
            result = read_tiles(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
        print(json.dumps(result, ensure_ascii=False))
    finally:
        app.exitQgis()


if __name__ == "__main__":
    main()
