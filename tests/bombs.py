"""Hostile uploads for tests: a zip whose headers lie about its size, a YAML alias bomb, corrupt zips."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

MB = 1 << 20


def deflated_zeros(size: int) -> bytes:
    """A raw deflate stream of ``size`` zero bytes, built from one compressed megabyte repeated.

    A full flush ends each block on a byte boundary with no history, so the same compressed
    megabyte can be concatenated; a final empty block closes the stream.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = compressor.compress(b"\0" * MB) + compressor.flush(zlib.Z_FULL_FLUSH)
    last = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS).flush()
    assert size % MB == 0
    return block * (size // MB) + last


def zip_with_member(name: str, compressed: bytes, *, claimed: int, crc: int, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A one-member zip written by hand, so its headers can say whatever the test wants."""
    encoded = name.encode()
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc, len(compressed), claimed,
                        len(encoded), 0) + encoded + compressed
    central = struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, method, 0, 0x21, crc, len(compressed),
                          claimed, len(encoded), 0, 0, 0, 0, 0, 0) + encoded
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local), 0)
    return local + central + end


def lying_zip_bomb(inflated: int = 1024 * MB, claimed: int = 1000) -> bytes:
    """About 1 MB of zip whose headers claim ``claimed`` bytes and whose member inflates to ``inflated``."""
    return zip_with_member("entries/bomb.yaml", deflated_zeros(inflated), claimed=claimed,
                           crc=zlib.crc32(b"\0" * claimed))


def yaml_alias_bomb(key: str = "terms", levels: int = 9) -> str:
    """"Billion laughs": nine levels of nine aliases each, about 400 bytes, 9**9 strings if expanded."""
    lines = ["l0: &l0 [" + ", ".join(['"lol"'] * 9) + "]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    lines.append(f"{key}: *l{levels - 1}")
    return "\n".join(lines) + "\n"


def entry_alias_bomb() -> str:
    """The same bomb inside an entry's ``aliases``."""
    bomb = yaml_alias_bomb("bomb").replace("\n", "\n  ")
    return f"anchors:\n  {bomb}\nentries:\n  - id: BOMB\n    kind: event\n    aliases: *l8\n"


def small_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def corrupt_zips(member: bytes) -> dict[str, bytes]:
    """A good one-member zip spoiled three ways: bad deflate data, wrong CRC-32, truncated."""
    name = "entries/sessions.yaml"
    compressed = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    stream = compressed.compress(member) + compressed.flush()
    crc = zlib.crc32(member)
    garbage = bytes([0xFF]) * 8 + stream[8:]  # 0xFF opens a block of the reserved type 3
    good = zip_with_member(name, stream, claimed=len(member), crc=crc)
    return {
        "bad-deflate": zip_with_member(name, garbage, claimed=len(member), crc=crc),
        "wrong-crc": zip_with_member(name, stream, claimed=len(member), crc=crc ^ 0xFFFF),
        "truncated-stream": zip_with_member(name, stream[: len(stream) // 2], claimed=len(member), crc=crc),
        "truncated-file": good[: len(good) // 2],
        "bzip2": zip_with_member(name, stream, claimed=len(member), crc=crc, method=zipfile.ZIP_BZIP2),
    }
