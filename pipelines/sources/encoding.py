"""Decode a delivered text file: UTF-8 (with or without BOM), UTF-16 with BOM, or one of the two
8-bit encodings New Zealand extracts arrive in, told apart by what the letters would be.

Windows-1252 and ISO-8859-13 put different letters on the same bytes: 0xE2 is 'â' in one and
'ā' in the other. A file is decoded with the candidate whose non-ASCII letters are plausible in
New Zealand data (macron vowels, common Western accents) and rejected, naming the encoding
charset-normalizer detects, when neither is (docs/file-rejection.md).
"""

from __future__ import annotations

import codecs

MACRONS = set("āēīōūĀĒĪŌŪ")
# Western accented letters seen in names and places here; circumflex vowels are not (in a
# non-UTF-8 file they are almost always a misread macron).
WESTERN = set("áàäåãéèëíìïóòöõøúùüñçßæÁÀÄÅÃÉÈËÍÌÏÓÒÖÕØÚÙÜÑÇÆ")
CANDIDATES = {"cp1252": "Windows-1252", "iso8859_13": "ISO-8859-13"}


class UndecodableText(ValueError):
    """The bytes are in no encoding we can decode with confidence; the message says which."""


def decode_text(data: bytes) -> str:
    """The text of `data`, or UndecodableText naming the encoding detected."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise UndecodableText("starts as UTF-16 but does not decode as UTF-16: export it "
                                 "again as UTF-8 CSV") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = _best_8bit(data)
    if best is not None:
        return best
    raise UndecodableText(
        f"not UTF-8, and neither Windows-1252 nor ISO-8859-13 gives plausible letters "
        f"(detected: {_detected(data)}): export it again as UTF-8 CSV")


def _best_8bit(data: bytes) -> str | None:
    scored = []
    for codec in CANDIDATES:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        letters = [c for c in set(text) if ord(c) > 127 and c.isalpha()]
        allowed = MACRONS | WESTERN if codec == "iso8859_13" else WESTERN
        plausible = sum(text.count(c) for c in letters if c in allowed)
        implausible = sum(text.count(c) for c in letters if c not in allowed)
        scored.append((implausible, -plausible, codec, text))
    scored.sort(key=lambda s: s[:2])
    if not scored or scored[0][0] > 0:
        return None
    return scored[0][3]


def _detected(data: bytes) -> str:
    from charset_normalizer import from_bytes

    match = from_bytes(data[:200_000]).best()
    return match.encoding if match else "unknown"
