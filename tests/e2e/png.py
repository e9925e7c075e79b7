"""Small PNGs for docs/screenshots/ without an image library: Chromium writes 24-bit
PNGs with a few thousand colours (the anti-aliased edges of text); `to_palette` rewrites
one with the 256 most used colours, each other colour drawn as the nearest of them (as
pngquant does without dithering), at about a third of the size."""

from __future__ import annotations

import struct
import zlib
from collections import Counter
from pathlib import Path

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunks(data: bytes):
    assert data.startswith(SIGNATURE), "not a PNG"
    pos = len(SIGNATURE)
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        yield data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def _pixels(data: bytes) -> tuple[int, int, list[list[bytes]]]:
    """Width, height and rows of (r, g, b) pixels of an 8-bit RGB or RGBA, non-interlaced PNG."""
    chunks = list(_chunks(data))
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert depth == 8 and colour in (2, 6) and not interlace, "an 8-bit RGB(A) PNG, as Chromium writes"
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride = width * bpp
    previous = bytearray(stride)
    rows = []
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = previous[i]
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 255
            elif kind == 4:
                line[i] = (line[i] + _paeth(a, b, previous[i - bpp] if i >= bpp else 0)) & 255
        rows.append([bytes(line[x : x + 3]) for x in range(0, stride, bpp)])
        previous = line
    return width, height, rows


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def to_palette(path: Path) -> int:
    """Rewrite the PNG at `path` as an 8-bit palette PNG; returns its new size in bytes."""
    width, height, rows = _pixels(path.read_bytes())
    used = Counter(pixel for row in rows for pixel in row)
    palette = [colour for colour, _ in used.most_common(256)]
    index = {colour: i for i, colour in enumerate(palette)}
    for colour in used:
        if colour not in index:
            r, g, b = colour
            index[colour] = min(
                range(len(palette)),
                key=lambda i: (palette[i][0] - r) ** 2 + (palette[i][1] - g) ** 2 + (palette[i][2] - b) ** 2,
            )
    raw = b"".join(b"\x00" + bytes(index[pixel] for pixel in row) for row in rows)
    png = (
        SIGNATURE
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0))
        + _chunk(b"PLTE", b"".join(palette))
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )
    path.write_bytes(png)
    return len(png)
