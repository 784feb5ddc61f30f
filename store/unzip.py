"""Read one zip member with its real inflated size bounded, whatever the zip's headers claim.

``zipfile`` trusts the size in the headers and inflates a member's whole compressed stream in one
call: a 1 MB member whose headers claim 1,000 bytes inflates to a gigabyte in memory before the
size check sees it. Here the compressed bytes are inflated in small steps, counting the output,
and reading stops as soon as it passes the limit; only then are the size and CRC-32 in the
headers compared with what was actually read.
"""

from __future__ import annotations

import struct
import zipfile
import zlib

LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")  # the 30 bytes before a member's name and data
LOCAL_SIGNATURE = b"PK\x03\x04"
STEP = 64 * 1024  # bytes of output inflated at a time


class MemberInvalid(ValueError):
    """The member cannot be read as it claims to be: corrupt, truncated, or an unsupported kind."""


class MemberTooLarge(ValueError):
    """The member inflates to more than the limit (found while reading, not from the headers)."""


def _compressed_bytes(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """The member's compressed bytes, located through its local header."""
    start = info.header_offset
    if start < 0 or start + LOCAL_HEADER.size > len(data):
        raise MemberInvalid("the archive is truncated")
    fields = LOCAL_HEADER.unpack_from(data, start)
    if fields[0] != LOCAL_SIGNATURE:
        raise MemberInvalid("the archive is corrupt (no local header where the directory points)")
    name_length, extra_length = fields[9], fields[10]
    begin = start + LOCAL_HEADER.size + name_length + extra_length
    end = begin + info.compress_size
    if end > len(data):
        raise MemberInvalid("the archive is truncated")
    return data[begin:end]


def _inflate(compressed: bytes, limit: int) -> bytes:
    """Inflate a raw deflate stream, never holding more than ``limit`` bytes plus one step."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    out = bytearray()
    pending = compressed
    try:
        while True:
            step = inflater.decompress(pending, STEP)
            out += step
            if len(out) > limit:
                raise MemberTooLarge(f"inflates to more than {limit} bytes")
            if inflater.eof:
                return bytes(out)
            pending = inflater.unconsumed_tail
            if not pending and not step:  # all input read, no output pending, no end marker
                raise MemberInvalid("the compressed data is truncated")
    except zlib.error as exc:
        raise MemberInvalid(f"the compressed data is corrupt ({exc})") from None


def read_member(data: bytes, info: zipfile.ZipInfo, limit: int) -> bytes:
    """The member's bytes; MemberTooLarge past ``limit``, MemberInvalid when corrupt or unusual."""
    if info.flag_bits & 0x1:
        raise MemberInvalid("encrypted files are not allowed")
    compressed = _compressed_bytes(data, info)
    if info.compress_type == zipfile.ZIP_STORED:
        if len(compressed) > limit:
            raise MemberTooLarge(f"is more than {limit} bytes")
        raw = compressed
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        raw = _inflate(compressed, limit)
    else:
        raise MemberInvalid("only stored or deflated files are accepted (compression method "
                            f"{info.compress_type})")
    if len(raw) != info.file_size:
        raise MemberInvalid(f"the zip header says {info.file_size} bytes but the file holds {len(raw)}")
    if zlib.crc32(raw) != info.CRC:
        raise MemberInvalid("the file is corrupt (wrong CRC-32)")
    return raw
