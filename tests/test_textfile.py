"""The one decoding rule for text files, and its error inside excelkort's hierarchy."""
from __future__ import annotations

import pytest

from excelkort.errors import ExcelkortError, InputError
from excelkort.textfile import DecodeError, decode_text


def test_encodings():
    assert decode_text("æøå".encode("utf-8")) == "æøå"
    assert decode_text(b"\xef\xbb\xbf" + "æøå".encode("utf-8")) == "æøå"
    assert decode_text("æøå".encode("utf-16")) == "æøå"
    assert decode_text("æøå".encode("cp1252")) == "æøå"


def test_decode_error_is_an_excelkort_error_but_not_a_user_error():
    with pytest.raises(DecodeError) as info:
        decode_text(b"\xef\xbb\xbfok\xff")
    assert (info.value.pos, info.value.bom) == (5, True)
    assert isinstance(info.value, ExcelkortError) and not isinstance(info.value, InputError)
    with pytest.raises(DecodeError) as info:
        decode_text(b"a;b\n\x00\x01", refuse_nul=True)
    assert (info.value.pos, info.value.nul) == (4, True)
