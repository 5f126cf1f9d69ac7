"""Gateway transport compression: one shared stream compressor per connection."""

from __future__ import annotations

import zlib
from typing import Any

try:  # discord.py prefers zstd-stream whenever a zstd module is importable
    from zstandard import COMPRESSOBJ_FLUSH_BLOCK, ZstdCompressor

    def _zstd_stream() -> Any:
        c = ZstdCompressor().compressobj()
        return lambda data: c.compress(data) + c.flush(COMPRESSOBJ_FLUSH_BLOCK)
except ImportError:  # pragma: no cover - depends on the environment
    try:
        from compression.zstd import ZstdCompressor  # Python 3.14+

        def _zstd_stream() -> Any:
            c = ZstdCompressor()
            return lambda data: c.compress(data, mode=ZstdCompressor.FLUSH_BLOCK)
    except ImportError:
        _zstd_stream = None


class PlainText:
    """No transport compression: payloads go out as text frames."""

    def encode(self, text: str) -> str | bytes:
        return text


class ZlibStream:
    """`compress=zlib-stream`: one compressobj; each payload Z_SYNC_FLUSHed (ends 00 00 ff ff)."""

    def __init__(self) -> None:
        self._c = zlib.compressobj()

    def encode(self, text: str) -> bytes:
        return self._c.compress(text.encode()) + self._c.flush(zlib.Z_SYNC_FLUSH)


class ZstdStream:
    """`compress=zstd-stream`: one zstd stream; each payload flushed as a complete block."""

    def __init__(self) -> None:
        self._encode = _zstd_stream()

    def encode(self, text: str) -> bytes:
        return self._encode(text.encode())


def compressor_for(name: str | None) -> PlainText | ZlibStream | ZstdStream:
    """The compressor for a gateway `compress` query value; ValueError if unsupported."""
    if not name:
        return PlainText()
    if name == "zlib-stream":
        return ZlibStream()
    if name == "zstd-stream" and _zstd_stream is not None:
        return ZstdStream()
    raise ValueError(f"unsupported compress={name!r}")
