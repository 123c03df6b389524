"""Decoding delivered text: UTF-8/UTF-16 as such, Windows-1252 vs ISO-8859-13 by which letters
are plausible, anything else rejected naming the encoding detected."""

from __future__ import annotations

import codecs

import pytest

from pipelines.sources.encoding import UndecodableText, decode_text

TEXT = "district,ethnic_group,name\n011,Māori,Tairāwhiti\n012,Pacific peoples,Whanganui\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "iso8859_13", "cp1257"])
def test_macrons_survive(encoding):
    assert decode_text(TEXT.encode(encoding)) == TEXT


def test_windows_1252_keeps_its_accents():
    text = "name\nCrème José Zoë Müller\n"
    assert decode_text(text.encode("cp1252")) == text


def test_the_same_byte_is_read_as_a_macron_not_a_circumflex():
    assert decode_text(b"group\nM\xe2ori\n") == "group\nMāori\n"  # 0xE2: ā, never â


def test_an_undecidable_encoding_is_rejected_naming_what_was_detected():
    with pytest.raises(UndecodableText, match=r"not UTF-8, .*\(detected: [\w-]+\)"):
        decode_text("name\nПривет мир больница\n".encode("cp1251"))


def test_a_broken_utf16_file_is_rejected():
    with pytest.raises(UndecodableText, match="UTF-16"):
        decode_text(codecs.BOM_UTF16_LE + b"a\x00b")
