"""QR codes for service points: opaque tokens, the encoded URL and SVG/PNG rendering.

Pure functions: no Flask, no database. A service point carries a short token; its QR code
encodes ``<base URL>/S/<token>`` upper-cased so that the whole text fits QR *alphanumeric*
mode (5.5 bits a character instead of 8), which keeps the code at version 3 for any
40-character base URL and therefore scannable from a distance on a printed sign.
"""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import png
import qrcode
import qrcode.constants
import qrcode.util

ErrorCorrection = Literal["L", "M", "Q", "H"]

#: Crockford base32 digits and letters: no I, L, O or U, every one valid in QR alphanumeric mode.
TOKEN_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # noqa: S105 - an alphabet, not a secret
#: 12 characters of base32 carry 60 random bits.
TOKEN_LENGTH = 12
#: Every character QR alphanumeric mode can hold (ISO/IEC 18004, table 5).
QR_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
#: Light modules around the symbol; the standard asks for 4 and scanners rely on it.
QUIET_ZONE = 4

_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_TOKEN_CHARS = frozenset(TOKEN_ALPHABET)
_ERROR_CORRECTION = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}
# A CSS length for the printed size of an SVG, e.g. "40mm" or "3.5cm".
_CSS_LENGTH = re.compile(r"\d{1,4}(\.\d{1,3})?(mm|cm|in|pt|px)")


@dataclass(frozen=True)
class QrSymbol:
    """An encoded QR code as plain data: the dark/light modules without the quiet zone."""

    version: int
    error_correction: ErrorCorrection
    #: "alphanumeric" or "byte": the QR mode the data was encoded in.
    mode: str
    #: rows of modules, True for dark.
    modules: tuple[tuple[bool, ...], ...]

    @property
    def size(self) -> int:
        """Modules along one side, quiet zone excluded (4 × version + 17)."""
        return len(self.modules)


def new_point_token() -> str:
    """Return a fresh random service point token: 12 Crockford base32 characters."""
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def normalize_token(text: str | None) -> str | None:
    """Return the canonical form of a token as typed or scanned, or None if it is not one.

    Case-insensitive; spaces and hyphens are ignored and the look-alikes O, I and L read as
    0, 1 and 1, as Crockford base32 does. U and every other character make it invalid.
    """
    if not isinstance(text, str) or len(text) > 4 * TOKEN_LENGTH or not text.isascii():
        return None
    compact = re.sub(r"[\s-]", "", text).upper().translate(_LOOK_ALIKES)
    if len(compact) != TOKEN_LENGTH or not _TOKEN_CHARS.issuperset(compact):
        return None
    return compact


def point_url(base_url: str, token: str) -> str:
    """Return the URL a service point's QR code encodes: ``<base>/S/<token>`` in upper case.

    Upper case lets the whole URL use QR alphanumeric mode; scheme, host and token are
    case-insensitive and the app routes both /s/ and /S/. When upper-casing would change
    the meaning (a lower-case path in the base URL) or leave characters outside the
    alphanumeric set (``_``, ``@``, non-ASCII…), the URL keeps its case and ``/s/`` so that
    it is encoded in byte mode instead.

    Raises ValueError for a malformed token or a base URL that is not plain http(s).
    """
    canonical = normalize_token(token)
    if canonical is None:
        raise ValueError(f"not a service point token: {token!r}")
    parts = urlsplit(base_url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base URL must be http(s)://host: {base_url!r}")
    if parts.query or parts.fragment or "?" in base_url or "#" in base_url:
        raise ValueError(f"base URL must not carry a query or fragment: {base_url!r}")
    path = parts.path.rstrip("/")
    shouted = f"{parts.scheme.upper()}://{parts.netloc.upper()}{path}/S/{canonical}"
    if path == path.upper() and is_alphanumeric_safe(shouted):
        return shouted
    return f"{parts.scheme}://{parts.netloc}{path}/s/{canonical}"


def is_alphanumeric_safe(data: str) -> bool:
    """Whether every character of ``data`` fits QR alphanumeric mode."""
    return QR_ALPHANUMERIC.issuperset(data)


def build_qr(data: str, error_correction: ErrorCorrection = "M") -> QrSymbol:
    """Encode ``data`` in the smallest QR version that holds it.

    Text made only of alphanumeric-mode characters is encoded in that mode as one segment;
    anything else as UTF-8 bytes.
    """
    level = _ERROR_CORRECTION[error_correction]
    if is_alphanumeric_safe(data):
        mode, segment = "alphanumeric", qrcode.util.QRData(data, mode=qrcode.util.MODE_ALPHA_NUM)
    else:
        mode, segment = "byte", qrcode.util.QRData(data, mode=qrcode.util.MODE_8BIT_BYTE)
    code = qrcode.QRCode(version=None, error_correction=level, border=0)
    code.add_data(segment)
    code.make(fit=True)
    modules = tuple(tuple(bool(cell) for cell in row) for row in code.modules)
    return QrSymbol(code.version, error_correction, mode, modules)


def qr_version(data: str, error_correction: ErrorCorrection = "M") -> int:
    """Return the QR version (1–40) ``data`` needs at the given error correction level."""
    return build_qr(data, error_correction).version


def qr_svg(data: str, error_correction: ErrorCorrection = "M", size: str | None = None) -> str:
    """Return a standalone SVG document of the QR code of ``data``.

    One ``<path>`` of unit squares on a white background with a 4-module quiet zone;
    ``crispEdges`` keeps module edges sharp at any print size. No scripts, no external
    references. ``size`` optionally fixes the printed width and height as a CSS length
    (e.g. ``"40mm"``); without it the drawing scales to its container.
    """
    symbol = build_qr(data, error_correction)
    side = symbol.size + 2 * QUIET_ZONE
    dimensions = ""
    if size is not None:
        if not _CSS_LENGTH.fullmatch(size):
            raise ValueError(f"size must be a CSS length such as '40mm': {size!r}")
        dimensions = f' width="{size}" height="{size}"'
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}"{dimensions}'
        ' shape-rendering="crispEdges">'
        f'<rect width="{side}" height="{side}" fill="#fff"/>'
        f'<path fill="#000" d="{_dark_runs_path(symbol.modules)}"/>'
        "</svg>\n"
    )


def _dark_runs_path(modules: tuple[tuple[bool, ...], ...]) -> str:
    """SVG path data with one rectangle per horizontal run of dark modules."""
    commands = []
    for y, row in enumerate(modules):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            run = x - start
            commands.append(f"M{start + QUIET_ZONE} {y + QUIET_ZONE}h{run}v1h-{run}z")
    return "".join(commands)


def qr_png(data: str, box_size: int = 10, error_correction: ErrorCorrection = "M") -> bytes:
    """Return a 1-bit greyscale PNG of the QR code of ``data``.

    Each module is ``box_size`` pixels square, with a 4-module quiet zone.
    """
    if not 1 <= box_size <= 100:
        raise ValueError(f"box_size must be between 1 and 100 pixels: {box_size}")
    symbol = build_qr(data, error_correction)
    light_row = [1] * (symbol.size + 2 * QUIET_ZONE)
    padding = [1] * QUIET_ZONE
    module_rows = [light_row] * QUIET_ZONE
    module_rows += [
        padding + [0 if dark else 1 for dark in row] + padding for row in symbol.modules
    ]
    module_rows += [light_row] * QUIET_ZONE
    pixel_rows = [
        [pixel for pixel in row for _ in range(box_size)]
        for row in module_rows
        for _ in range(box_size)
    ]
    side = len(light_row) * box_size
    buffer = io.BytesIO()
    png.Writer(side, side, greyscale=True, bitdepth=1).write(buffer, pixel_rows)
    return buffer.getvalue()
