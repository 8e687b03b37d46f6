"""The WebMercatorQuad grid: tile boxes and the tile matrix set match the published definitions."""

from __future__ import annotations

import pytest

from tiles import grid

# ST_TileEnvelope(2, 1, 1) in the PostGIS manual (ST_TileEnvelope, example 1).
POSTGIS_TILE_2_1_1 = (-10018754.1713945, 0.0, 0.0, 10018754.1713945)
# mercantile.bounds(486, 332, 10) in the mercantile README: LngLatBbox(west, south, east, north).
MERCANTILE_486_332_10 = (-9.140625, 53.12040528310657, -8.7890625, 53.33087298301705)
# WebMercatorQuad in OGC 17-083r2 Annex D (as published in the TileMatrixSet JSON): zoom → scale denominator.
OGC_SCALE_DENOMINATORS = {0: 559082264.028717, 8: 2183915.09386217, 18: 2132.72958384978, 24: 33.3238997476528}


def test_a_tile_box_in_web_mercator_is_the_one_postgis_gives():
    assert grid.Tile(2, 1, 1).bounds_3857() == pytest.approx(POSTGIS_TILE_2_1_1, abs=1e-6)


def test_a_tile_box_in_degrees_is_the_one_mercantile_gives():
    assert grid.Tile(10, 486, 332).bounds_4326() == pytest.approx(MERCANTILE_486_332_10, abs=1e-12)


def test_a_margin_widens_the_box_on_every_side_and_stops_at_the_edge_of_the_grid():
    xmin, ymin, xmax, ymax = grid.Tile(2, 1, 1).bounds_3857(margin=0.5)
    assert (xmax - xmin, ymax - ymin) == pytest.approx((2 * 10018754.1713945, 2 * 10018754.1713945))
    assert grid.Tile(0, 0, 0).bounds_4326(margin=0.5) == pytest.approx(
        (-180, -grid.MAX_LATITUDE, 180, grid.MAX_LATITUDE)
    )


def test_the_tile_matrix_set_has_the_ogc_scale_denominators_and_matrix_sizes():
    tms = grid.tile_matrix_set()
    assert (tms["id"], tms["uri"], tms["crs"]) == (
        "WebMercatorQuad",
        "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad",
        "http://www.opengis.net/def/crs/EPSG/0/3857",
    )
    matrices = {int(m["id"]): m for m in tms["tileMatrices"]}
    assert sorted(matrices) == list(range(25))
    for z, scale in OGC_SCALE_DENOMINATORS.items():
        assert matrices[z]["scaleDenominator"] == pytest.approx(scale, rel=1e-12)
        assert matrices[z]["matrixWidth"] == matrices[z]["matrixHeight"] == 2**z
        assert matrices[z]["pointOfOrigin"] == pytest.approx([-20037508.3427892, 20037508.3427892])


@pytest.mark.parametrize(
    ("z", "x", "y", "status"),
    [
        ("a", "0", "0", 400),
        ("1", "-1", "0", 400),
        ("1", "0", "1.5", 400),
        ("1", "٣", "0", 400),  # an Arabic-Indic digit is a digit to Python, not to a URL
        ("1", "0", "9" * 40, 400),
        ("25", "0", "0", 404),
        ("1", "2", "0", 404),
        ("1", "0", "2", 404),
    ],
)
def test_an_address_that_is_not_a_tile_is_refused_with_400_or_404(z, x, y, status):
    with pytest.raises(grid.TileAddressError) as error:
        grid.parse(z, x, y)
    assert error.value.status == status


def test_the_last_tile_of_a_zoom_is_a_tile():
    assert grid.parse("24", str(2**24 - 1), "0") == grid.Tile(24, 2**24 - 1, 0)
