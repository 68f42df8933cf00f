"""The reader: where a value is on its line, and duplicate keys anywhere in a record."""

import json

import pytest

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
