"""A small bar chart as a PNG, written with zlib and struct only (for the digest).

No plotting library: matplotlib costs ~0.5 s and tens of MiB to import, Pillow isn't a
dependency, and a chart of a few series per day needs neither. This module imports only
the standard library (`python -X importtime -c "import bot.chart"`: ~2 ms, docs/benchmarks.md)
and is imported by the digest alone, never on the way to an answer. It draws no text:
the digest's message carries the legend and the numbers."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

Colour = tuple[int, int, int]
WHITE: Colour = (255, 255, 255)
AXIS: Colour = (120, 120, 120)
GRID: Colour = (228, 228, 228)
# Discord's own palette, told apart in its light and dark themes alike: blurple, green,
# yellow, red — the legend's 🟦 🟩 🟨 🟥.
SERIES: tuple[Colour, ...] = ((88, 101, 242), (87, 242, 135), (254, 231, 92), (237, 66, 69))
HEIGHT = 220  # pixels: a chart Discord shows whole in an embed without a click
BAR = 6  # pixels per bar; a day's group is len(series) bars plus a gap of two bars
MARGIN = 12


def _png(width: int, height: int, rows: list[bytearray]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + bytes(row) for row in rows)  # filter 0 (none) on every row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def bar_chart(days: Sequence[Sequence[int]], colours: Sequence[Colour] = SERIES) -> bytes:
    """One group of bars per day (oldest first), one bar per series, heights to scale,
    over a baseline and four grid lines; a PNG file's bytes."""
    series = max((len(d) for d in days), default=1) or 1
    group = (series + 2) * BAR
    width = 2 * MARGIN + max(1, len(days)) * group
    plot = HEIGHT - 2 * MARGIN
    top = max((v for d in days for v in d), default=0) or 1
    rows = [bytearray(bytes(WHITE) * width) for _ in range(HEIGHT)]

    def fill(x0: int, x1: int, y0: int, y1: int, colour: Colour) -> None:
        for y in range(max(0, y0), min(HEIGHT, y1)):
            rows[y][3 * x0 : 3 * x1] = bytes(colour) * (x1 - x0)

    baseline = HEIGHT - MARGIN
    for k in range(1, 5):  # grid at quarters of the largest count
        y = baseline - round(plot * k / 4)
        fill(MARGIN, width - MARGIN, y, y + 1, GRID)
    for d, counts in enumerate(days):
        x = MARGIN + d * group + BAR
        for s, value in enumerate(counts):
            height = round(plot * value / top)
            fill(x + s * BAR, x + (s + 1) * BAR - 1, baseline - height, baseline, colours[s])
    fill(MARGIN, width - MARGIN, baseline, baseline + 1, AXIS)
    return _png(width, HEIGHT, rows)
