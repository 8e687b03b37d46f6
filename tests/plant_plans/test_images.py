"""Plan files in: formats, limits, corrupt files, PDF pages, and the RGBA they are read as.

Images are written by GDAL (rasterio's PNG, JPEG and GTiff drivers); the PDF is written by hand below
(PDF 1.4, ISO 32000-1 §7.5: header, objects, cross-reference table, trailer) so that its one black
square sits at a known place: 144 × 144 pt, 72 pt from the page's left and bottom edges.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import rasterio
from rasterio.errors import NotGeoreferencedWarning

from plant_plans import images
from plant_plans.errors import PlanFileError

A4_PT = (595, 842)


def write(path, array: np.ndarray, driver: str, **profile) -> None:
    count, height, width = array.shape
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(
            path, "w", driver=driver, width=width, height=height, count=count, dtype=array.dtype, **profile
        ) as dataset:
            dataset.write(array)


def pdf_bytes(pages: int = 1, size=A4_PT) -> bytes:
    """A PDF with ``pages`` pages of ``size`` points, each with a black 144 pt square at (72, 72) pt."""
    content = b"0 0 0 rg 72 72 144 144 re f"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(pages)).encode()
    objects.append(b"<< /Type /Pages /Kids [" + kids + b"] /Count " + str(pages).encode() + b" >>")
    for i in range(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {size[0]} {size[1]}] /Contents {4 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def test_png_jpeg_and_tiff_pass_and_are_read_as_rgba(tmp_path):
    rgb = np.zeros((3, 60, 80), dtype=np.uint8)
    rgb[0] = 200
    rgb[1, :, 40:] = 100
    for driver, name in (("PNG", "a.png"), ("JPEG", "a.jpg"), ("GTiff", "a.tif")):
        write(tmp_path / name, rgb, driver)
        image = images.prepare(tmp_path / name)
        assert (image.format, image.width, image.height, image.bands) == (
            {"PNG": "png", "JPEG": "jpeg", "GTiff": "tiff"}[driver],
            80,
            60,
            3,
        )
        rgba = images.read_rgba(image.path)
        assert rgba.shape == (4, 60, 80) and rgba.dtype == np.uint8
        assert np.all(rgba[3] == 255)
        tolerance = 3 if driver == "JPEG" else 0
        assert abs(int(rgba[0, 30, 10]) - 200) <= tolerance and abs(int(rgba[1, 30, 70]) - 100) <= tolerance


def test_grey_grey_alpha_palette_and_16_bit(tmp_path):
    grey = np.full((1, 10, 10), 77, dtype=np.uint8)
    write(tmp_path / "grey.png", grey, "PNG")
    assert images.read_rgba(tmp_path / "grey.png")[:, 5, 5].tolist() == [77, 77, 77, 255]
    grey_alpha = np.stack([grey[0], np.full((10, 10), 128, dtype=np.uint8)])
    write(tmp_path / "ga.png", grey_alpha, "PNG")
    assert images.read_rgba(tmp_path / "ga.png")[:, 5, 5].tolist() == [77, 77, 77, 128]
    indices = np.zeros((1, 10, 10), dtype=np.uint8)
    indices[0, :, 5:] = 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(tmp_path / "p.png", "w", driver="PNG", width=10, height=10, count=1, dtype="uint8") as d:
            d.write(indices)
            d.write_colormap(1, {0: (255, 0, 0, 255), 1: (0, 0, 255, 255)})
    rgba = images.read_rgba(tmp_path / "p.png")
    assert rgba[:, 0, 0].tolist() == [255, 0, 0, 255] and rgba[:, 0, 9].tolist() == [0, 0, 255, 255]
    deep = np.full((3, 10, 10), 0xABCD, dtype=np.uint16)
    write(tmp_path / "deep.tif", deep, "GTiff")
    assert images.prepare(tmp_path / "deep.tif").bands == 3
    assert images.read_rgba(tmp_path / "deep.tif")[:, 0, 0].tolist() == [0xAB, 0xAB, 0xAB, 255]


def test_a_preview_is_the_image_reduced_to_its_longest_side_and_averaged(tmp_path):
    """An 800 × 600 image of 2 × 2 blocks, red at (0, 0) and (1, 1), black otherwise: reduced to 400 px,
    every pixel averages one block, so the preview holds (200 + 200 + 0 + 0) / 4 = 100 of red."""
    pattern = np.zeros((3, 600, 800), dtype=np.uint8)
    pattern[0, 0::2, 0::2] = 200
    pattern[0, 1::2, 1::2] = 200
    write(tmp_path / "plan.png", pattern, "PNG")
    assert images.write_preview(tmp_path / "plan.png", tmp_path / "preview.png", 400) == (400, 300)
    with rasterio.open(tmp_path / "preview.png") as preview:
        assert (preview.driver, preview.count, preview.width, preview.height) == ("PNG", 4, 400, 300)
        pixels = preview.read()
    assert np.all(pixels[0] == 100) and np.all(pixels[1:3] == 0) and np.all(pixels[3] == 255)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.png", "preview.png"]
    # a smaller image is kept at its size; palette images are read by nearest neighbour
    assert images.write_preview(tmp_path / "plan.png", tmp_path / "same.png", 1000) == (800, 600)


def test_pdf_page_is_rendered_at_the_dpi_asked(tmp_path):
    (tmp_path / "plan.pdf").write_bytes(pdf_bytes(pages=2))
    image = images.prepare(tmp_path / "plan.pdf", tmp_path / "page.tif", page=2, dpi=144)
    assert (image.format, image.page, image.dpi) == ("pdf", 2, 144)
    assert (image.width, image.height) == (1190, 1684)  # 595 × 842 pt at 2 px/pt
    rgba = images.read_rgba(image.path)
    # the square: x 72–216 pt → columns 144–432; y 72–216 pt from the bottom → rows 1684 − 432 … 1684 − 144
    assert rgba[:3, 1684 - 288, 288].tolist() == [0, 0, 0]
    assert rgba[:3, 1684 - 144 - 3, 147].tolist() == [0, 0, 0]
    assert rgba[:3, 1684 - 144 + 3, 141].tolist() == [255, 255, 255]
    assert rgba[:3, 100, 100].tolist() == [255, 255, 255]


def test_pdf_dpi_is_lowered_to_the_pixel_limit(tmp_path):
    (tmp_path / "plan.pdf").write_bytes(pdf_bytes())
    image = images.prepare(tmp_path / "plan.pdf", tmp_path / "page.tif", dpi=200, max_pixels=1_000_000)
    # 72 · √(1e6 / (595 · 842)) = 101.7 dpi, floored
    assert image.dpi == 101
    assert image.width * image.height <= 1_000_000


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"GIF89a" + bytes(100), "The file is not a PNG, JPEG, TIFF or PDF image."),
        (b'<VRTDataset rasterXSize="1"/>', "The file is not a PNG, JPEG, TIFF or PDF image."),
        (b"PK\x03\x04" + bytes(100), "The file is not a PNG, JPEG, TIFF or PDF image."),
        (b"", "The file is empty."),
        (b"%PDF-1.4\n" + bytes(range(256)) * 4, "The PDF cannot be read"),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "The PNG file is corrupt or truncated"),
    ],
)
def test_unsupported_or_corrupt_files(tmp_path, content, message):
    path = tmp_path / "upload"
    path.write_bytes(content)
    with pytest.raises(PlanFileError, match=message) as refused:
        images.prepare(path, tmp_path / "page.tif")
    assert not refused.value.too_large
    assert not (tmp_path / "page.tif").exists()


@pytest.mark.parametrize(("driver", "name"), [("PNG", "cut.png"), ("JPEG", "cut.jpg"), ("GTiff", "cut.tif")])
def test_truncated_images_are_refused(tmp_path, driver, name):
    rng = np.random.default_rng(1)
    write(tmp_path / name, rng.integers(0, 255, (3, 300, 400), dtype=np.uint8), driver)
    data = (tmp_path / name).read_bytes()
    for kept in (0.5, 0.95):
        (tmp_path / name).write_bytes(data[: int(len(data) * kept)])
        with pytest.raises(PlanFileError, match="is corrupt or truncated"):
            images.prepare(tmp_path / name)


def test_pdf_page_that_does_not_exist(tmp_path):
    (tmp_path / "plan.pdf").write_bytes(pdf_bytes(pages=2))
    with pytest.raises(PlanFileError, match=r"The PDF has 2 pages; page 3 does not exist\."):
        images.prepare(tmp_path / "plan.pdf", tmp_path / "page.tif", page=3)


def test_size_and_pixel_limits(tmp_path):
    write(tmp_path / "a.png", np.zeros((3, 100, 200), dtype=np.uint8), "PNG")
    with pytest.raises(PlanFileError, match=r"plans may have at most 0 MB") as refused:
        images.prepare(tmp_path / "a.png", max_bytes=100)
    assert refused.value.too_large
    with pytest.raises(PlanFileError, match=r"The image has 200 × 100 pixels \(0.0 Mpx\)") as refused:
        images.prepare(tmp_path / "a.png", max_pixels=19_999)
    assert refused.value.too_large
    assert images.prepare(tmp_path / "a.png", max_pixels=20_000).width == 200


def test_bands_and_samples_a_plan_cannot_have(tmp_path):
    write(tmp_path / "five.tif", np.zeros((5, 10, 10), dtype=np.uint8), "GTiff")
    with pytest.raises(PlanFileError, match="The image has 5 bands"):
        images.prepare(tmp_path / "five.tif")
    write(tmp_path / "float.tif", np.zeros((1, 10, 10), dtype=np.float32), "GTiff")
    with pytest.raises(PlanFileError, match="The image's samples are float32"):
        images.prepare(tmp_path / "float.tif")


def test_messages_are_translatable_templates(tmp_path):
    (tmp_path / "x").write_bytes(b"GIF89a")
    with pytest.raises(PlanFileError) as refused:
        images.prepare(tmp_path / "x")
    assert refused.value.translated(lambda template: "«" + template + "»") == (
        "«The file is not a PNG, JPEG, TIFF or PDF image.»"
    )


@pytest.mark.parametrize("kind", ["png", "jpeg", "tiff", "pdf"])
def test_damaged_files_are_refused_or_read_never_anything_else(tmp_path, kind):
    """Bytes flipped and files cut at random places (seeded): prepare either accepts the file or raises
    PlanFileError — no other exception (which the HTTP layer would turn into a 500)."""
    rng = np.random.default_rng(18)
    good = tmp_path / f"good.{kind}"
    if kind == "pdf":
        good.write_bytes(pdf_bytes())
    else:
        driver = {"png": "PNG", "jpeg": "JPEG", "tiff": "GTiff"}[kind]
        write(good, rng.integers(0, 255, (3, 64, 96), dtype=np.uint8), driver)
    data = good.read_bytes()
    for attempt in range(40):
        damaged = bytearray(data)
        if attempt % 2:
            damaged = damaged[: int(rng.integers(8, len(damaged)))]
        else:
            for index in rng.integers(8, len(damaged), size=8):
                damaged[index] = int(rng.integers(0, 256))
        path = tmp_path / f"damaged-{attempt}"
        path.write_bytes(bytes(damaged))
        try:
            image = images.prepare(path, tmp_path / f"page-{attempt}.tif")
        except PlanFileError:
            continue
        try:  # a file that passed may still fail when read whole: with PlanFileError, never another error
            assert images.read_rgba(image.path).shape[0] == 4
        except PlanFileError:
            pass
