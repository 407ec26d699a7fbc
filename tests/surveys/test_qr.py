"""Service point tokens, the URL they put in a QR code, and the rendered codes."""

from __future__ import annotations

import os
import re
import shutil
import string
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import png
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citizenvoice.surveys.qr import (
    QR_ALPHANUMERIC,
    QUIET_ZONE,
    TOKEN_ALPHABET,
    TOKEN_LENGTH,
    ErrorCorrection,
    build_qr,
    new_point_token,
    normalize_token,
    point_url,
    qr_png,
    qr_svg,
    qr_version,
)

TOKEN = "7K2M9XPQ4R8T"
EXAMPLE_URL = "HTTPS://CV.EXAMPLE.GOV.CN/S/7K2M9XPQ4R8T"
#: 40 characters: "https://" and a 32-character host.
BASE_40 = "https://cvservices.rating.example.gov.cn"


# --- tokens -----------------------------------------------------------------------------


def test_token_alphabet_is_crockford_and_fits_alphanumeric_mode() -> None:
    assert len(TOKEN_ALPHABET) == 32
    assert not set(TOKEN_ALPHABET) & set("ILOU")
    assert set(TOKEN_ALPHABET) <= QR_ALPHANUMERIC


def test_new_tokens_are_well_formed_and_distinct() -> None:
    tokens = {new_point_token() for _ in range(2000)}
    assert len(tokens) == 2000
    assert all(len(t) == TOKEN_LENGTH and set(t) <= set(TOKEN_ALPHABET) for t in tokens)
    assert all(normalize_token(t) == t for t in tokens)


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("7K2M9XPQ4R8T", "7K2M9XPQ4R8T"),
        ("7k2m9xpq4r8t", "7K2M9XPQ4R8T"),
        (" 7K2M 9XPQ 4R8T ", "7K2M9XPQ4R8T"),
        ("7K2M-9XPQ-4R8T", "7K2M9XPQ4R8T"),
        ("O0IiLl23456Z", "00111123456Z"),
    ],
)
def test_normalize_token_reads_what_people_type(typed: str, canonical: str) -> None:
    assert normalize_token(typed) == canonical


@pytest.mark.parametrize(
    "text",
    [
        "",
        None,
        "7K2M9XPQ4R8",  # 11 characters
        "7K2M9XPQ4R8TT",  # 13 characters
        "7K2M9XPQ4R8U",  # U is not a Crockford digit
        "7K2M9XPQ4R8_",
        "7K2M9XPQ4R8\x00",
        "7K2M9XPQ4R8ı",  # dotless i upper-cases to I; not ASCII, so not a token
        "７K2M9XPQ4R8T",  # full-width digit
        "7K2M9XPQ4R8T" * 1000,
    ],
)
def test_normalize_token_rejects_malformed_text(text: str | None) -> None:
    assert normalize_token(text) is None


@given(st.text(max_size=40))
def test_normalize_token_returns_none_or_a_canonical_token(text: str) -> None:
    result = normalize_token(text)
    assert result is None or (len(result) == TOKEN_LENGTH and set(result) <= set(TOKEN_ALPHABET))


@given(st.text(TOKEN_ALPHABET, min_size=TOKEN_LENGTH, max_size=TOKEN_LENGTH), st.data())
def test_normalize_token_undoes_case_and_spacing(token: str, data: st.DataObject) -> None:
    typed = "".join(data.draw(st.sampled_from([c, c.lower(), f" {c}", f"{c}-"])) for c in token)
    assert normalize_token(typed) == token


# --- the URL in the code ------------------------------------------------------------------


def test_point_url_is_upper_case_for_alphanumeric_mode() -> None:
    assert point_url("https://cv.example.gov.cn", TOKEN) == EXAMPLE_URL
    assert point_url("https://cv.example.gov.cn/", TOKEN.lower()) == EXAMPLE_URL
    assert point_url("http://10.0.0.5:8080", TOKEN) == "HTTP://10.0.0.5:8080/S/7K2M9XPQ4R8T"
    assert point_url("https://gov.cn/CV/", TOKEN) == "HTTPS://GOV.CN/CV/S/7K2M9XPQ4R8T"


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("https://cv_rating.example.org", "https://cv_rating.example.org/s/7K2M9XPQ4R8T"),
        ("https://user@example.org/", "https://user@example.org/s/7K2M9XPQ4R8T"),
        # Paths are case-sensitive: upper-casing /cv would point at another page.
        ("https://gov.cn/cv", "https://gov.cn/cv/s/7K2M9XPQ4R8T"),
        ("https://评价.政府.cn", "https://评价.政府.cn/s/7K2M9XPQ4R8T"),
    ],
)
def test_point_url_keeps_case_when_alphanumeric_mode_cannot_hold_it(
    base_url: str, expected: str
) -> None:
    assert point_url(base_url, TOKEN) == expected
    assert build_qr(expected).mode == "byte"


@pytest.mark.parametrize(
    ("base_url", "token"),
    [
        ("https://cv.example.gov.cn", "7K2M9XPQ4R8U"),
        ("https://cv.example.gov.cn", "7K2M9XPQ4R8"),
        ("https://cv.example.gov.cn?", TOKEN),
        ("https://cv.example.gov.cn/?x=1", TOKEN),
        ("https://cv.example.gov.cn#top", TOKEN),
        ("ftp://cv.example.gov.cn", TOKEN),
        ("javascript:alert(1)", TOKEN),
        ("cv.example.gov.cn", TOKEN),
    ],
)
def test_point_url_refuses_bad_tokens_and_base_urls(base_url: str, token: str) -> None:
    with pytest.raises(ValueError):
        point_url(base_url, token)


# --- encoding -----------------------------------------------------------------------------


def test_upper_case_url_is_encoded_in_alphanumeric_mode_and_stays_small() -> None:
    url = point_url(BASE_40, TOKEN)
    assert len(url) == 55
    symbol = build_qr(url)
    assert symbol.mode == "alphanumeric"
    assert (symbol.version, symbol.size) == (3, 29)
    assert symbol.modules[0][:7] == (True,) * 7  # finder pattern in the corner
    # The same text in byte mode needs version 4: upper case is what buys version 3.
    assert build_qr(url.lower()).version == 4


@pytest.mark.parametrize(("level", "version"), [("L", 3), ("M", 3), ("Q", 4), ("H", 5)])
def test_version_per_error_correction_for_a_40_character_base(
    level: ErrorCorrection, version: int
) -> None:
    assert qr_version(point_url(BASE_40, TOKEN), level) == version


@st.composite
def hostnames(draw: st.DrawFn, length: int) -> str:
    """Valid DNS host names of exactly ``length`` (at most 64) characters, in any letter case."""
    assert length <= 64  # so the last label always fits in 63 characters
    tld = draw(st.text(string.ascii_letters, min_size=2, max_size=6))
    remaining = length - len(tld) - 1
    labels = []
    while remaining > 0:
        size = draw(st.integers(1, remaining))
        if size >= remaining - 1:  # no room for a dot and another label: this one is the last
            size = remaining
        edge = string.ascii_letters + string.digits
        if size == 1:
            label = draw(st.text(edge, min_size=1, max_size=1))
        else:
            inner = draw(st.text(edge + "-", min_size=size - 2, max_size=size - 2))
            label = draw(st.sampled_from(edge)) + inner + draw(st.sampled_from(edge))
        labels.append(label)
        remaining -= size + 1
    host = ".".join([*labels, tld])
    assert len(host) == length
    return host


@st.composite
def base_urls_of_40_characters(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["https://", "http://", "HTTPS://"]))
    port = draw(st.sampled_from(["", ":443", ":8080"]))
    host = draw(hostnames(40 - len(scheme) - len(port)))
    return scheme + host + port


@settings(max_examples=300)
@given(base_urls_of_40_characters(), st.text(TOKEN_ALPHABET, min_size=12, max_size=12))
def test_any_40_character_base_url_gives_version_3_at_most(base_url: str, token: str) -> None:
    assert len(base_url) == 40
    url = point_url(base_url, token)
    symbol = build_qr(url, "M")
    assert symbol.mode == "alphanumeric"
    assert symbol.version <= 3


# --- rendering, checked with a real decoder -------------------------------------------------


@pytest.fixture(scope="module")
def zbarimg() -> str:
    path = shutil.which("zbarimg")
    if path is None:
        reason = "zbarimg not found: run scripts/ensure-system-deps (Debian package zbar-tools)"
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return path


def decode(zbarimg: str, image: Path) -> str:
    result = subprocess.run(
        [zbarimg, "--raw", "--quiet", "-Sbinary", str(image)],
        capture_output=True,
        check=True,
        timeout=30,
    )
    return result.stdout.decode("utf-8").removesuffix("\n")


@pytest.mark.parametrize(
    "data",
    [
        EXAMPLE_URL,
        point_url(BASE_40, TOKEN),
        "https://cv_rating.example.org/s/7K2M9XPQ4R8T",
        "https://评价.政府.cn/s/7K2M9XPQ4R8T",
    ],
)
@pytest.mark.parametrize("level", ["L", "M", "Q", "H"])
def test_png_decodes_to_the_url(
    zbarimg: str, tmp_path: Path, data: str, level: ErrorCorrection
) -> None:
    image = tmp_path / "code.png"
    image.write_bytes(qr_png(data, box_size=4, error_correction=level))
    assert decode(zbarimg, image) == data


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(base_urls_of_40_characters(), st.text(TOKEN_ALPHABET, min_size=12, max_size=12))
def test_png_of_random_point_urls_decodes(
    zbarimg: str, tmp_path: Path, base_url: str, token: str
) -> None:
    url = point_url(base_url, token)
    image = tmp_path / "code.png"
    image.write_bytes(qr_png(url))
    assert decode(zbarimg, image) == url


def test_png_has_quiet_zone_and_box_size() -> None:
    width, height, rows, info = png.Reader(bytes=qr_png(EXAMPLE_URL, box_size=5)).read()
    side = (build_qr(EXAMPLE_URL).size + 2 * QUIET_ZONE) * 5
    assert (width, height) == (side, side)
    assert info["greyscale"] and info["bitdepth"] == 1
    pixels = [list(row) for row in rows]
    margin = QUIET_ZONE * 5
    assert all(p == 1 for row in pixels[:margin] for p in row)  # light quiet zone
    assert all(row[margin - 1] == 1 and row[margin] == 0 for row in pixels[margin : margin + 35])


def test_png_refuses_absurd_box_sizes() -> None:
    with pytest.raises(ValueError):
        qr_png(EXAMPLE_URL, box_size=0)


def svg_modules(svg: str) -> tuple[int, list[list[bool]]]:
    """Parse our SVG back into (side incl. quiet zone, module grid incl. quiet zone)."""
    root = ET.fromstring(svg)  # noqa: S314 - parsing our own output, not untrusted XML
    _, _, width, height = (int(v) for v in root.attrib["viewBox"].split())
    assert width == height
    grid = [[False] * width for _ in range(width)]
    path = root.find("{http://www.w3.org/2000/svg}path")
    assert path is not None
    commands = path.attrib["d"]
    runs = re.findall(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z", commands)
    assert "".join(f"M{x} {y}h{n}v1h-{m}z" for x, y, n, m in runs) == commands
    for x, y, n, m in runs:
        assert n == m
        for column in range(int(x), int(x) + int(n)):
            grid[int(y)][column] = True
    return width, grid


@pytest.mark.parametrize("data", [EXAMPLE_URL, "https://cv_rating.example.org/s/7K2M9XPQ4R8T"])
def test_svg_draws_exactly_the_modules_with_a_quiet_zone(data: str) -> None:
    symbol = build_qr(data)
    side, grid = svg_modules(qr_svg(data))
    assert side == symbol.size + 2 * QUIET_ZONE == 4 * symbol.version + 17 + 8
    inner = [row[QUIET_ZONE:-QUIET_ZONE] for row in grid[QUIET_ZONE:-QUIET_ZONE]]
    assert inner == [list(row) for row in symbol.modules]
    border = (
        grid[:QUIET_ZONE] + grid[-QUIET_ZONE:] + [r[:QUIET_ZONE] + r[-QUIET_ZONE:] for r in grid]
    )
    assert not any(any(row) for row in border)


def test_svg_is_self_contained() -> None:
    hostile = '"><script>alert(1)</script><image href="https://evil.example/x.png"/>'
    for data in (EXAMPLE_URL, hostile):
        svg = qr_svg(data, size="40mm")
        assert "<script" not in svg.lower()
        assert "href" not in svg.lower()
        assert "url(" not in svg
        root = ET.fromstring(svg)  # noqa: S314 - parsing our own output
        elements = [element.tag.split("}")[1] for element in root.iter()]
        assert elements == ["svg", "rect", "path"]
        assert root.attrib["width"] == root.attrib["height"] == "40mm"
        assert root.attrib["shape-rendering"] == "crispEdges"


@pytest.mark.parametrize("size", ["40", "40mm;", '40mm" onload="x', "-1mm", "1e9mm"])
def test_svg_size_must_be_a_plain_css_length(size: str) -> None:
    with pytest.raises(ValueError):
        qr_svg(EXAMPLE_URL, size=size)
