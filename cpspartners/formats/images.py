"""Checking and cleaning an uploaded story image: PNG or JPEG only, told by its bytes (never by
its name or the browser's word), within a size, and with its metadata taken out (a phone's
photo carries where and when it was taken in EXIF). Pure: bytes in, bytes out, no Flask.
"""

import struct

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The chunks that draw the picture; the rest (eXIf, tEXt, iTXt, zTXt, tIME...) is metadata.
PNG_KEEP = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"sRGB", b"cHRM", b"pHYs"}
MAX_SIDE = 6000  # pixels: larger is a photo nobody resized, or a decompression trap


class BadImage(ValueError):
    """Not an image we accept; the message is a code the caller turns into words."""


def kind_of(data):
    """ "png" or "jpg" from the first bytes, or None."""
    if data.startswith(PNG_SIGNATURE):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    return None


def clean(data, max_bytes):
    """(extension, cleaned bytes) for an acceptable image; raises ``BadImage`` otherwise."""
    if not data:
        raise BadImage("empty")
    if len(data) > max_bytes:
        raise BadImage("too_big")
    kind = kind_of(data)
    if kind is None:
        raise BadImage("type")
    try:
        cleaned = _clean_png(data) if kind == "png" else _clean_jpeg(data)
    except (struct.error, IndexError) as error:
        raise BadImage("broken") from error
    return kind, cleaned


def _check_size(width, height):
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise BadImage("dimensions")


def _clean_png(data):
    out, pos, seen_end = [PNG_SIGNATURE], len(PNG_SIGNATURE), False
    while pos < len(data) and not seen_end:
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        chunk_type = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data):
            raise BadImage("broken")
        if chunk_type == b"IHDR":
            _check_size(*struct.unpack(">II", data[pos + 8 : pos + 16]))
        if chunk_type in PNG_KEEP:
            out.append(data[pos:end])
        seen_end = chunk_type == b"IEND"
        pos = end
    if not seen_end or len(out) < 3:
        raise BadImage("broken")
    return b"".join(out)


# JPEG markers that carry metadata: APP1-APP15 (EXIF, XMP, ...) and comments. APP0 (JFIF) stays.
JPEG_DROP = set(range(0xE1, 0xF0)) | {0xFE}
JPEG_FRAMES = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _clean_jpeg(data):
    out, pos, sized = [b"\xff\xd8"], 2, False
    while pos < len(data):
        if data[pos] != 0xFF:
            raise BadImage("broken")
        marker = data[pos + 1]
        if marker == 0xDA:  # start of scan: the picture data runs to the end
            if not sized:
                raise BadImage("broken")
            out.append(data[pos:])
            return b"".join(out)
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        segment = data[pos : pos + 2 + length]
        if marker in JPEG_FRAMES:
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            _check_size(width, height)
            sized = True
        if marker not in JPEG_DROP:
            out.append(segment)
        pos += 2 + length
    raise BadImage("broken")
