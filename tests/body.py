"""tests/body.py — the text of a stored documents.body for the Python
checks: a zstd frame (what opine writes) or a zlib stream (databases
written before opine moved to zstd; see pipeline/zblob.h)."""
import zlib

import zstandard

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_zstd = zstandard.ZstdDecompressor()


def raw(blob):
    """The body's bytes."""
    if blob[:4] == ZSTD_MAGIC:
        return _zstd.decompress(blob)
    return zlib.decompress(blob)


def text(blob):
    """The body as text."""
    return raw(blob).decode("utf-8")
