"""Plan images in: PNG, JPEG, TIFF and a PDF page (rendered with PDFium), within size and pixel limits.

:func:`prepare` checks an uploaded file before anything is kept: its format by its first bytes (PNG,
JPEG, TIFF, PDF — anything else, a VRT or a ZIP, is refused before GDAL sees it), its size in bytes,
its size in pixels (from the header, before decoding), its sample type and bands, and that it decodes
to the end (a truncated or corrupt file is refused, libjpeg's warnings counted as errors). A PDF page
is rendered by PDFium (pypdfium2) at ``dpi`` (lowered when the page would exceed the pixel limit) and
written as a TIFF beside it; that image is what control points refer to.

:func:`read_rgba` reads the image as one ``(4, height, width)`` uint8 array, red, green, blue, alpha:
grey is repeated into the three colours, palettes are expanded, 16-bit samples keep their high byte,
an image without alpha is opaque.

Pixel coordinates follow GDAL: column, row from the top-left corner of the image, the centre of the
first pixel at (0.5, 0.5).
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio._err import CPLE_BaseError  # GDAL's own errors, which rasterio raises as they are at times
from rasterio.enums import Resampling
from rasterio.errors import NotGeoreferencedWarning, RasterioError
from rasterio.windows import Window

from plant_plans.errors import PlanFileError, gettext_noop

DEFAULT_MAX_BYTES = 200 * 1024 * 1024  # 200 MiB
DEFAULT_MAX_PIXELS = 120_000_000  # 120 Mpx: an A0 sheet scanned at 300 dpi is ≈ 140 Mpx, at 250 dpi ≈ 96 Mpx
DEFAULT_PDF_DPI = 200.0
PDF_POINTS_PER_INCH = 72.0
CHECK_PIXELS = 1024  # the long side of the decimated read that checks an image decodes to its end

MAGIC = {
    b"\x89PNG\r\n\x1a\n": "png",
    b"\xff\xd8\xff": "jpeg",
    b"II*\x00": "tiff",
    b"MM\x00*": "tiff",
    b"II+\x00": "tiff",  # BigTIFF
    b"MM\x00+": "tiff",
    b"%PDF-": "pdf",
}
GDAL_DRIVERS = {"png": "PNG", "jpeg": "JPEG", "tiff": "GTiff"}


@dataclass(frozen=True)
class PlanImage:
    """A plan image that passed the checks: the raster control points refer to, and where it came from.

    ``path`` is the raster (for a PDF, the rendered page); ``format`` the uploaded format (``png``,
    ``jpeg``, ``tiff``, ``pdf``); ``width``, ``height`` in pixels; ``bands`` of the raster; ``page``
    (1-based) and ``dpi`` for a PDF.
    """

    path: Path
    format: str
    width: int
    height: int
    bands: int
    page: int | None = None
    dpi: float | None = None


@contextlib.contextmanager
def _gdal():
    """GDAL as the checks want it: libjpeg warnings are errors, no sidecar files are looked for."""
    with (
        warnings.catch_warnings(),
        rasterio.Env(GDAL_ERROR_ON_LIBJPEG_WARNING=True, GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR"),
    ):
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        yield


def sniff(path: Path) -> str:
    """The format of the file by its first bytes: ``png``, ``jpeg``, ``tiff`` or ``pdf``; else refused."""
    with open(path, "rb") as file:
        head = file.read(8)
    for magic, name in MAGIC.items():
        if head.startswith(magic):
            return name
    raise PlanFileError(gettext_noop("The file is not a PNG, JPEG, TIFF or PDF image."))


def check_size(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> int:
    """The file's size in bytes, refused (``too_large``) above ``max_bytes``."""
    size = os.path.getsize(path)
    if size > max_bytes:
        raise PlanFileError(
            gettext_noop("The file has %(size).1f MB; plans may have at most %(limit).0f MB."),
            too_large=True,
            size=size / 2**20,
            limit=max_bytes / 2**20,
        )
    if size == 0:
        raise PlanFileError(gettext_noop("The file is empty."))
    return size


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise PlanFileError(
            gettext_noop(
                "The image has %(width)d × %(height)d pixels (%(mpx).1f Mpx); plans may have at most %(limit).0f Mpx."
            ),
            too_large=True,
            width=width,
            height=height,
            mpx=width * height / 1e6,
            limit=max_pixels / 1e6,
        )


def prepare(
    path: str | os.PathLike,
    rendered_path: str | os.PathLike | None = None,
    *,
    page: int = 1,
    dpi: float = DEFAULT_PDF_DPI,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> PlanImage:
    """Check an uploaded plan (see the module docstring) and return it; a PDF page is rendered to ``rendered_path``.

    Raises :class:`PlanFileError` for a file that is not a plan image, is corrupt or is over the limits.
    """
    path = Path(path)
    check_size(path, max_bytes)
    kind = sniff(path)
    if kind == "pdf":
        if rendered_path is None:
            raise ValueError("a PDF needs rendered_path, where its page is written as a TIFF")
        return _render_pdf(path, Path(rendered_path), page, dpi, max_pixels)
    with _gdal():
        try:
            with rasterio.open(path, driver=GDAL_DRIVERS[kind]) as dataset:
                _check_pixels(dataset.width, dataset.height, max_pixels)
                _check_samples(dataset)
                scale = max(1.0, max(dataset.width, dataset.height) / CHECK_PIXELS)
                shape = (max(1, round(dataset.height / scale)), max(1, round(dataset.width / scale)))
                # Decode to the end: the last row alone (GDAL's PNG driver reports a truncated file on a
                # windowed read, not on a whole-image one), then every block at a decimated resolution.
                dataset.read(1, window=Window(0, dataset.height - 1, dataset.width, 1))
                dataset.read(1, out_shape=shape)
                return PlanImage(path, kind, dataset.width, dataset.height, dataset.count)
        except (RasterioError, CPLE_BaseError) as error:
            raise PlanFileError(
                gettext_noop("The %(format)s file is corrupt or truncated (%(reason)s)."),
                format=kind.upper(),
                reason=str(error)[:200],
            ) from None


def _check_samples(dataset) -> None:
    if dataset.count not in (1, 2, 3, 4):
        raise PlanFileError(
            gettext_noop(
                "The image has %(bands)d bands; a plan has 1 (grey or palette), 2 (grey, alpha), 3 (RGB) or 4 (RGBA)."
            ),
            bands=dataset.count,
        )
    if dataset.dtypes[0] not in ("uint8", "uint16"):
        raise PlanFileError(
            gettext_noop("The image's samples are %(dtype)s; a plan has 8- or 16-bit unsigned samples."),
            dtype=dataset.dtypes[0],
        )


_PDFIUM = threading.Lock()  # PDFium is not thread-safe (pypdfium2's documentation): one document at a time


def _render_pdf(path: Path, rendered_path: Path, page: int, dpi: float, max_pixels: int) -> PlanImage:
    """Render page ``page`` (1-based) at ``dpi`` (lowered to fit ``max_pixels``) and write it as a TIFF."""
    with _PDFIUM:
        return _render_pdf_locked(path, rendered_path, page, dpi, max_pixels)


def _render_pdf_locked(path: Path, rendered_path: Path, page: int, dpi: float, max_pixels: int) -> PlanImage:
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(str(path))
    except pypdfium2.PdfiumError as error:
        raise PlanFileError(gettext_noop("The PDF cannot be read (%(reason)s)."), reason=str(error)[:200]) from None
    try:
        pages = len(document)
        if not isinstance(page, int) or not 1 <= page <= pages:
            raise PlanFileError(
                gettext_noop("The PDF has %(pages)d pages; page %(page)s does not exist."), pages=pages, page=page
            )
        pdf_page = document[page - 1]
        width_pt, height_pt = pdf_page.get_size()
        if not (width_pt > 0 and height_pt > 0):
            raise PlanFileError(gettext_noop("The PDF page has no size."))
        fitting_dpi = PDF_POINTS_PER_INCH * math.sqrt(max_pixels / (width_pt * height_pt))
        used_dpi = min(float(dpi), math.floor(fitting_dpi))
        scale = used_dpi / PDF_POINTS_PER_INCH
        bitmap = pdf_page.render(scale=scale, rev_byteorder=True, fill_color=(255, 255, 255, 255))
        pixels = bitmap.to_numpy()  # (rows, columns, 3) RGB
        rows, columns = pixels.shape[:2]
        _check_pixels(columns, rows, max_pixels)
        with (
            _gdal(),
            rasterio.open(
                rendered_path,
                "w",
                driver="GTiff",
                width=columns,
                height=rows,
                count=3,
                dtype="uint8",
                photometric="RGB",
                compress="deflate",
                zlevel=1,
                tiled=True,
            ) as rendered,
        ):
            rendered.write(np.moveaxis(pixels[:, :, :3], -1, 0))
        return PlanImage(rendered_path, "pdf", columns, rows, 3, page=page, dpi=used_dpi)
    except pypdfium2.PdfiumError as error:
        raise PlanFileError(gettext_noop("The PDF cannot be rendered (%(reason)s)."), reason=str(error)[:200]) from None
    finally:
        document.close()


def read_rgba(path: str | os.PathLike, max_side: int | None = None) -> np.ndarray:
    """The image at ``path`` as a ``(4, rows, columns)`` uint8 array: red, green, blue, alpha (see the module).

    With ``max_side`` (pixels), an image whose longer side is longer is read reduced to that side (averaged;
    a palette image by nearest neighbour), keeping its proportions.

    The array is a view of pixel-interleaved memory (``np.moveaxis(rgba, 0, -1)`` is C-contiguous): each
    pixel's four bytes lie together, so that the warp can move a pixel as one 32-bit value.
    """
    with _gdal():
        try:
            with rasterio.open(path) as dataset:
                _check_samples(dataset)
                rows, cols = dataset.height, dataset.width
                if max_side is not None and max(rows, cols) > max_side:
                    scale = max_side / max(rows, cols)
                    rows, cols = max(1, round(rows * scale)), max(1, round(cols * scale))
                pixels = np.empty((rows, cols, 4), dtype=np.uint8)
                rgba = np.moveaxis(pixels, -1, 0)
                if dataset.count == 1 and _has_colormap(dataset):
                    lut = np.zeros((256, 4), dtype=np.uint8)
                    for index, colour in dataset.colormap(1).items():
                        if 0 <= index < 256:
                            lut[index] = colour
                    indices = dataset.read(1, out_shape=(rows, cols), resampling=Resampling.nearest)
                    np.take(lut.view(np.uint32)[:, 0], indices, out=pixels.view(np.uint32)[..., 0])
                    return rgba
                if dataset.dtypes[0] == "uint8" and dataset.count in (3, 4):
                    # straight into the interleaved memory
                    dataset.read(out=rgba[: dataset.count], resampling=Resampling.average)
                else:
                    bands = _read_bytes(dataset, (rows, cols))
                    rgba[0:3] = bands[0] if dataset.count <= 2 else bands[0:3]
                    if dataset.count in (2, 4):
                        rgba[3] = bands[-1]
                if dataset.count in (1, 3):
                    rgba[3] = 255
                return rgba
        except (RasterioError, CPLE_BaseError) as error:
            raise PlanFileError(
                gettext_noop("The image is corrupt or truncated (%(reason)s)."), reason=str(error)[:200]
            ) from None


def _has_colormap(dataset) -> bool:
    try:
        return bool(dataset.colormap(1))
    except ValueError:  # rasterio: "NULL color table"
        return False


def _read_bytes(dataset, shape: tuple[int, int]) -> np.ndarray:
    """Every band as uint8 (16-bit samples keep their high byte), read at ``shape`` (rows, columns)."""
    bands = dataset.read(out_shape=(dataset.count, *shape), resampling=Resampling.average)
    if dataset.dtypes[0] == "uint8":
        return bands
    return (bands >> 8).astype(np.uint8)


def write_preview(path: str | os.PathLike, target: str | os.PathLike, max_side: int) -> tuple[int, int]:
    """Write the image at ``path`` as an RGBA PNG at ``target``, its longer side at most ``max_side`` pixels;
    answer its (width, height) in pixels. The file appears complete or not at all."""
    rgba = read_rgba(path, max_side)
    partial = Path(f"{target}.part")
    with _gdal(), warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(
            partial, "w", driver="PNG", width=rgba.shape[2], height=rgba.shape[1], count=4, dtype="uint8"
        ) as out:
            out.write(rgba)
    os.replace(partial, target)
    Path(f"{partial}.aux.xml").unlink(missing_ok=True)
    return rgba.shape[2], rgba.shape[1]
