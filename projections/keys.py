"""Ids as read-model keys (text), made fast: a rebuild makes several for each event of the log."""

from __future__ import annotations

from functools import lru_cache
from hashlib import sha1
from uuid import UUID


@lru_cache(maxsize=1 << 16)  # a batch of the log touches few episodes, each many times
def text(uuid: UUID) -> str:
    return str(uuid)


@lru_cache(maxsize=1 << 14)  # asked by several read models for each event of a batch
def entry_key(episode_id: UUID, version: int) -> str:
    """`str(domain.tracks.entry_id(episode_id, version))`, without building UUID objects.

    The same uuid5 (RFC 4122: SHA-1 of the namespace's bytes and the name, version and variant
    bits set), spelled out: uuid5 and str() weighed on every rebuild (ops/bench/DECISIONS.md).
    """
    digest = bytearray(sha1(episode_id.bytes + b"%d" % version).digest()[:16])
    digest[6] = digest[6] & 0x0F | 0x50
    digest[8] = digest[8] & 0x3F | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
