"""Joining Parquet parts that share one schema into one file by copying their row groups' bytes as they are.

A Parquet file is b"PAR1", its column chunks, a footer (Thrift compact protocol), the footer's length and
b"PAR1". The joined file holds each part's bytes between its magics, one part after another, and one footer:
the first part's, listing every part's row groups with each file offset moved by where its bytes now start.
No page is decoded or encoded again; the footer is read and written field by field, unknown fields kept.
"""

import struct
from collections.abc import Callable
from typing import Any, BinaryIO

MAGIC = b"PAR1"
TAIL_BYTES = 8  # the footer's length (4 bytes, little-endian) and the closing magic
COPY_BLOCK_BYTES = 8 << 20
STOP, TRUE, FALSE, BYTE, I16, I32, I64, DOUBLE, BINARY, LIST, SET, MAP, STRUCT = range(13)
# Offsets into the file, by Thrift field id: FileMetaData.row_groups -> RowGroup.columns -> ColumnChunk.meta_data
ROW_GROUPS, NUM_ROWS = 4, 3
RG_COLUMNS, RG_FILE_OFFSET, RG_ORDINAL = 1, 5, 7
CC_FILE_OFFSET, CC_META, CC_OFFSET_INDEX, CC_COLUMN_INDEX = 2, 3, 4, 6
META_OFFSETS = (9, 10, 11, 14)  # data_page_offset, index_page_offset, dictionary_page_offset, bloom_filter_offset

Field = list  # [field id, Thrift type, value]


def join(parts: list[Callable[[], BinaryIO]], dest: BinaryIO) -> int:
    """Write the parts (openers of Parquet files with one schema) into dest as one Parquet file; returns its rows."""
    footer: list[Field] | None = None
    groups, rows, position = [], 0, len(MAGIC)
    dest.write(MAGIC)
    for opener in parts:
        with opener() as f:
            data_end, meta = _footer(f)
            shift = position - len(MAGIC)
            part_groups = _value(meta, ROW_GROUPS, (STRUCT, []))[1]
            groups += [_moved(group, shift) for group in part_groups]
            rows += _value(meta, NUM_ROWS, 0)
            footer = footer or meta
            f.seek(len(MAGIC))
            position += _copy(f, dest, data_end - len(MAGIC))
    assert footer is not None, "join() needs at least one part"
    _set(footer, NUM_ROWS, I64, rows)
    _set(footer, ROW_GROUPS, LIST, (STRUCT, [_numbered(g, i) for i, g in enumerate(groups)]))
    encoded = _encode_struct(footer)
    dest.write(encoded + struct.pack("<I", len(encoded)) + MAGIC)
    return rows


def _footer(f: BinaryIO) -> tuple[int, list[Field]]:
    """(where the footer starts, the decoded footer)."""
    size = f.seek(0, 2)
    f.seek(size - TAIL_BYTES)
    length, magic = struct.unpack("<I4s", f.read(TAIL_BYTES))
    if magic != MAGIC:
        raise ValueError("not a Parquet file (no closing PAR1)")
    start = size - TAIL_BYTES - length
    f.seek(start)
    return start, _Reader(f.read(length)).struct()


def _copy(src: BinaryIO, dest: BinaryIO, n_bytes: int) -> int:
    left = n_bytes
    while left:
        block = src.read(min(COPY_BLOCK_BYTES, left))
        if not block:
            raise ValueError("a Parquet part ended early")
        dest.write(block)
        left -= len(block)
    return n_bytes


def _moved(group: list[Field], shift: int) -> list[Field]:
    """A row group with every offset into the file moved by shift bytes."""
    _shift(group, RG_FILE_OFFSET, shift)
    for chunk in _value(group, RG_COLUMNS, (STRUCT, []))[1]:
        for fid in (CC_FILE_OFFSET, CC_OFFSET_INDEX, CC_COLUMN_INDEX):
            _shift(chunk, fid, shift)
        meta = _value(chunk, CC_META, None)
        for fid in META_OFFSETS if meta is not None else ():
            _shift(meta, fid, shift)
    return group


def _numbered(group: list[Field], ordinal: int) -> list[Field]:
    if any(f[0] == RG_ORDINAL for f in group):
        _set(group, RG_ORDINAL, I16, ordinal)
    return group


def _value(fields: list[Field], fid: int, default: Any) -> Any:
    return next((f[2] for f in fields if f[0] == fid), default)


def _shift(fields: list[Field], fid: int, shift: int) -> None:
    for f in fields:
        if f[0] == fid:
            f[2] += shift


def _set(fields: list[Field], fid: int, kind: int, value: Any) -> None:
    for f in fields:
        if f[0] == fid:
            f[1], f[2] = kind, value
            return
    fields.append([fid, kind, value])
    fields.sort(key=lambda f: f[0])


class _Reader:
    """Thrift compact protocol, decoded generically: a struct is a list of [field id, type, value]."""

    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def byte(self) -> int:
        self.pos += 1
        return self.data[self.pos - 1]

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def struct(self) -> list[Field]:
        fields, last = [], 0
        while (header := self.byte()) != STOP:
            kind, delta = header & 0x0F, header >> 4
            last = last + delta if delta else self.zigzag()
            fields.append([last, kind, None if kind in (TRUE, FALSE) else self.value(kind)])
        return fields

    def value(self, kind: int) -> Any:
        if kind in (TRUE, FALSE, BYTE):
            return self.byte()  # a bool inside a list is one byte; kept as it was
        if kind in (I16, I32, I64):
            return self.zigzag()
        if kind == DOUBLE:
            self.pos += 8
            return self.data[self.pos - 8:self.pos]
        if kind == BINARY:
            n = self.varint()
            self.pos += n
            return self.data[self.pos - n:self.pos]
        if kind in (LIST, SET):
            header = self.byte()
            n, element = header >> 4, header & 0x0F
            n = self.varint() if n == 15 else n
            return element, [self.value(element) for _ in range(n)]
        if kind == MAP:
            n = self.varint()
            types = self.byte() if n else 0
            return types, [(self.value(types >> 4), self.value(types & 0x0F)) for _ in range(n)]
        if kind == STRUCT:
            return self.struct()
        raise ValueError(f"unknown Thrift type {kind} in a Parquet footer")


def _encode_struct(fields: list[Field]) -> bytes:
    out, last = bytearray(), 0
    for fid, kind, value in fields:
        if 0 < fid - last <= 15:
            out.append((fid - last) << 4 | kind)
        else:
            out.append(kind)
            out += _varint(_zig(fid))
        last = fid
        if kind not in (TRUE, FALSE):
            out += _encode(kind, value)
    out.append(STOP)
    return bytes(out)


def _encode(kind: int, value: Any) -> bytes:
    if kind in (TRUE, FALSE, BYTE):
        return bytes([value])
    if kind in (I16, I32, I64):
        return _varint(_zig(value))
    if kind == DOUBLE:
        return value
    if kind == BINARY:
        return _varint(len(value)) + value
    if kind in (LIST, SET):
        element, items = value
        head = bytes([len(items) << 4 | element]) if len(items) < 15 else bytes([0xF0 | element]) + _varint(len(items))
        return head + b"".join(_encode(element, v) for v in items)
    if kind == MAP:
        types, pairs = value
        body = b"".join(_encode(types >> 4, k) + _encode(types & 0x0F, v) for k, v in pairs)
        return _varint(len(pairs)) + (bytes([types]) + body if pairs else b"")
    if kind == STRUCT:
        return _encode_struct(value)
    raise ValueError(f"unknown Thrift type {kind}")


def _zig(n: int) -> int:
    return (n << 1) ^ (n >> 63)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        if n < 0x80:
            out.append(n)
            return bytes(out)
        out.append(n & 0x7F | 0x80)
        n >>= 7
