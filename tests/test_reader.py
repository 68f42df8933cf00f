"""The reader: where a value is on its line, and duplicate keys anywhere in a record."""

import json

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from automl_lint.reader import find_duplicate_keys, may_have_duplicate_keys, value_column

LINE = ('{"image_url": "AmlDatastore://ds/a.jpg", "label": [{"label": "a", "topX": 0.1}, '
        '{"label": "b", "topX": "0.1", "polygon": [[1, 2], [3]]}]}')


@pytest.mark.parametrize("pointer, starts", [
    ("/image_url", '"AmlDatastore'),
    ("/label/1/topX", '"0.1"'),
    ("/label/1/polygon/1/0", "3]"),
    ("", "{"),
])
def test_value_column_points_at_the_value(pointer, starts):
    col = value_column(LINE.encode(), pointer)
    assert LINE[col - 1:].startswith(starts)


@pytest.mark.parametrize("pointer", ["/label/5", "/nope", "/image_url/0", "/label/x"])
def test_value_column_is_none_for_absent_values(pointer):
    assert value_column(LINE.encode(), pointer) is None


def test_value_column_counts_characters_not_bytes():
    line = '{"image_url": "AmlDatastore://ds/café.jpg", "label": "é"}'
    col = value_column(line.encode(), "/label")
    assert line[col - 1:] == '"é"}'


def test_duplicate_keys_are_found_in_nested_objects():
    raw = b'{"image_url": "AmlDatastore://ds/a.jpg", "label": [{"label": "a", "label": "b", "topX": 0.1}]}'
    value = json.loads(raw)
    keys = len(value) + sum(len(a) for a in value["label"])
    assert may_have_duplicate_keys(raw, keys, value["image_url"].count(":"))
    assert find_duplicate_keys(raw) == ["label"]


def test_no_duplicate_keys_when_the_colons_add_up():
    raw = b'{"image_url": "AmlDatastore://ds/a.jpg", "label": [{"label": "a:b", "topX": 0.1}]}'
    value = json.loads(raw)
    keys = len(value) + sum(len(a) for a in value["label"])
    # The colon inside "a:b" is not counted as a string colon: the cheap test says "maybe", the exact says no.
    assert may_have_duplicate_keys(raw, keys, 1)
    assert find_duplicate_keys(raw) == []
    clean = b'{"image_url": "AmlDatastore://ds/a.jpg", "label": [{"label": "a", "topX": 0.1}]}'
    assert not may_have_duplicate_keys(clean, 4, 1)


# --- iter_lines: lines split a block at a time, as reading line by line would give them ---------------------------

def _line_by_line(stream, start=0, end=None, max_line_bytes=64):
    """What iter_lines yields, one readline at a time (how it read before it split blocks): each line that starts
    before ``end``, None for one whose first ``max_line_bytes + 2`` bytes hold no line end or that is longer than
    ``max_line_bytes`` without the ``\\r``/``\\n`` at its end."""
    out, pos, limit = [], start, max_line_bytes + 2
    while end is None or pos < end:
        raw = stream.readline(limit)
        if not raw:
            break
        pos += len(raw)
        if len(raw) >= limit and raw[-1:] != b"\n":
            while True:
                chunk = stream.readline(7)
                pos += len(chunk)
                if not chunk or chunk[-1:] == b"\n":
                    break
            out.append(None)
        elif len(raw) > max_line_bytes and len(raw.rstrip(b"\r\n")) > max_line_bytes:
            out.append(None)
        else:
            out.append(raw)
    return out


_PIECES = st.lists(st.sampled_from([b"a", b"bcdefgh", b"\n", b"\r", b"\r\n", b"x" * 30, b"{}", b"\n\n"]),
                   max_size=40).map(b"".join)


@settings(max_examples=600, deadline=None)
@example(data=b"ab\ncd\n", block=100, limit=10, start=0, length=3)  # `end` right after a line end
@example(data=b"ab\r\r\r\ncd", block=3, limit=1, start=0, length=None)  # short but for its line end
@example(data=b"aaaaa\nbb\ncc\n", block=3, limit=40, start=0, length=7)  # `end` after a line across blocks
@example(data=b"a" * 13 + b"\nb\nc\nd\ne\n", block=11, limit=10, start=0, length=16)  # and after an over-long one
@given(data=_PIECES, block=st.integers(1, 40), limit=st.integers(1, 40), start=st.integers(0, 200),
       length=st.one_of(st.none(), st.integers(0, 200)))
def test_lines_are_those_of_reading_line_by_line(data, block, limit, start, length):
    import io

    from automl_lint import reader

    # the range starts at a line start, as the engine's ranges do
    start = next((i for i in range(min(start, len(data)), len(data)) if i == 0 or data[i - 1:i] == b"\n"), len(data))
    end = None if length is None else start + length
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reader, "READ_BLOCK", block)
        got = list(reader.iter_lines(io.BytesIO(data[start:]), start, end, limit))
    assert got == _line_by_line(io.BytesIO(data[start:]), start, end, limit)


def test_an_over_long_line_is_never_held_whole(monkeypatch):
    import io

    from automl_lint import reader

    reads = []

    class Counting(io.BytesIO):
        def read(self, n=-1):
            reads.append(n)
            return super().read(n)

    monkeypatch.setattr(reader, "READ_BLOCK", 1000)
    data = b'{"a": 1}\n' + b"x" * 1_000_000 + b'\n{"b": 2}\n'
    assert list(reader.iter_lines(Counting(data), max_line_bytes=100)) == [b'{"a": 1}\n', None, b'{"b": 2}\n']
    assert max(reads) == 1000
