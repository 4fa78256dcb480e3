"""Array parameters built directly in PostgreSQL's binary format.

psycopg picks a dumper for a list by inspecting its elements, and does it again on every call,
a large share of a command's CPU (ops/bench/DECISIONS.md). These arrays are built in one pass,
and their dumper only hands the bytes over.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import ClassVar, Self
from uuid import UUID

import psycopg
from psycopg.adapt import Dumper
from psycopg.pq import Format

# array_send: dimensions, has nulls, element type; then per dimension: length, lower bound.
_HEADER = struct.Struct("!iiIii")
_LENGTH = struct.Struct("!i")
_UUID_LENGTH = _LENGTH.pack(16)


class BinaryArray:
    """A one-dimensional array without nulls, ready to send."""

    __slots__ = ("data",)
    element_oid: ClassVar[int]

    def __init__(self, data: bytes) -> None:
        self.data = data

    @classmethod
    def header(cls, length: int) -> bytes:
        return _HEADER.pack(1, 0, cls.element_oid, length, 1)

    @classmethod
    def _of_bytes(cls, values: Sequence[bytes]) -> Self:
        """Elements of any length, each after its length."""
        return cls(cls.header(len(values)) + b"".join(_LENGTH.pack(len(v)) + v for v in values))


class UuidArray(BinaryArray):
    element_oid = 2950

    @classmethod
    def of(cls, values: Sequence[UUID | str]) -> UuidArray:
        uuids = (v if isinstance(v, UUID) else UUID(v) for v in values)
        body = b"".join(_UUID_LENGTH + v.bytes for v in uuids)
        return cls(cls.header(len(values)) + body)


class BigintArray(BinaryArray):
    element_oid = 20

    @classmethod
    def of(cls, values: Sequence[int]) -> BigintArray:
        body = struct.pack("!" + "iq" * len(values), *(x for v in values for x in (8, v)))
        return cls(cls.header(len(values)) + body)


class ByteaArray(BinaryArray):
    element_oid = 17

    @classmethod
    def of(cls, values: Sequence[bytes]) -> ByteaArray:
        return cls._of_bytes(values)


class TextArray(BinaryArray):
    element_oid = 25

    @classmethod
    def of(cls, values: Sequence[str]) -> TextArray:
        return cls._of_bytes([v.encode() for v in values])


def _register(cls: type[BinaryArray], array_oid: int) -> None:
    class ArrayDumper(Dumper):
        format = Format.BINARY
        oid = array_oid

        def dump(self, obj: BinaryArray) -> bytes:
            return obj.data

    psycopg.adapters.register_dumper(cls, ArrayDumper)


# Connections copy the global adapters when they open: this module is imported before any is.
for _cls, _oid in ((UuidArray, 2951), (BigintArray, 1016), (ByteaArray, 1001), (TextArray, 1009)):
    _register(_cls, _oid)
