#!/usr/bin/env python3
"""The reading-layer corpus: JSONL and MLTable cases, and what Azure's real MLTable engine does with them.

Writes tests/reading_cases/ (the case files and ``cases.json``, from the definitions below) and, with
``--write-expected``, runs every case through the real engine (``../shared/oracle/mltable_reader.py``: the
``mltable`` package 1.7.0 with ``azureml-dataprep-rslex``, under ``invalid_lines: error`` and ``drop``) and stores
its verdicts as data in ``tests/reading_cases/expected.json``. tests/test_reading_engine.py compares automl-lint
with that file, so the default test suite needs neither ../shared nor the engine.

    python scripts/reading_oracle.py                     # rewrite the case files and cases.json
    python scripts/reading_oracle.py --write-expected    # ... and rerun the real engine (minutes)
    python scripts/reading_oracle.py --write-expected --only NAME[,NAME]   # rerun some cases only

A development tool; standard library only (the oracle re-runs itself in its own venv).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CASES = os.path.join(ROOT, "tests", "reading_cases")
ORACLE = os.environ.get("MLTABLE_ORACLE", os.path.join(ROOT, "..", "shared", "oracle", "mltable_reader.py"))


def rec(n: int, **extra) -> bytes:
    value = {"image_url": f"AmlDatastore://ds/img_{n}.jpg", "label": "cat" if n % 2 else "dog"}
    value.update(extra)
    return json.dumps(value).encode()


def raw_rec(n: int, fields: str) -> bytes:
    """A record whose extra fields are written verbatim (numbers and nesting JSON libraries would change)."""
    return (f'{{"image_url": "AmlDatastore://ds/img_{n}.jpg", "label": "{"cat" if n % 2 else "dog"}", '
            + fields + "}").encode()


def lines(*middle: bytes, end: bytes = b"\n") -> bytes:
    """A good record, the case's lines, a good record: every line ends with ``end``."""
    body = [rec(1), *middle, rec(9)]
    return b"".join(x + end for x in body)


def nest(depth: int) -> bytes:
    """A value ``depth`` levels deep counted as the record's own level plus ``depth - 1`` arrays."""
    return raw_rec(2, '"extra": ' + "[" * (depth - 1) + "1" + "]" * (depth - 1))


def nest_obj(depth: int) -> bytes:
    return raw_rec(2, '"extra": ' + '{"a": ' * (depth - 1) + "1" + "}" * (depth - 1))


# name -> bytes of the JSONL file. Every file starts and ends with a good record.
JSONL: dict[str, bytes] = {
    "clean": lines(rec(2), rec(3)),
    "empty_line": lines(b""),
    "empty_lines_at_end": lines(rec(2)) + b"\n\n",
    "space_line": lines(b"   "),
    "tab_line": lines(b"\t"),
    "cr_blank_line": lines(b"\r"),
    "formfeed_line": lines(b"\x0c"),
    "nul_line": lines(b"\x00"),
    "crlf": lines(rec(2), end=b"\r\n"),
    "crlf_with_empty_line": lines(b"", end=b"\r\n"),
    "cr_only": lines(rec(2), end=b"\r"),
    "no_final_newline": lines(rec(2))[:-1],
    "bom": b"\xef\xbb\xbf" + lines(rec(2)),
    "bom_crlf": b"\xef\xbb\xbf" + lines(rec(2), end=b"\r\n"),
    "bom_then_empty": b"\xef\xbb\xbf\n" + lines(rec(2)),
    "bom_mid_file": lines(b"\xef\xbb\xbf" + rec(2)),
    "invalid_utf8_in_string": lines(rec(2)[:-2] + b'\xe9"}'),
    "invalid_utf8_alone": lines(b"\xff\xfe"),
    "utf8_surrogate_bytes": lines(raw_rec(2, '"extra": "X"').replace(b"X", b"\xed\xa0\x80")),
    "lone_surrogate_escape": lines(raw_rec(2, '"extra": "\\ud800"')),
    "escaped_unicode": lines(raw_rec(2, '"extra": "caf\\u00e9 \\ud83d\\ude00"')),
    "nul_escape": lines(raw_rec(2, '"extra": "a\\u0000b"')),
    "raw_control_char": lines(raw_rec(2, '"extra": "a\tb"')),
    "missing_comma": lines(b'{"image_url": "AmlDatastore://ds/img_2.jpg" "label": "dog"}'),
    "truncated": lines(b'{"image_url": "AmlDatastore://ds/img_2.jpg", "label": "do'),
    "single_quotes": lines(b"{'image_url': 'AmlDatastore://ds/img_2.jpg', 'label': 'dog'}"),
    "trailing_comma_in_object": lines(b'{"image_url": "AmlDatastore://ds/img_2.jpg", "label": "dog",}'),
    "comment_line": lines(b"// a comment"),
    "nan": lines(raw_rec(2, '"extra": NaN')),
    "infinity": lines(raw_rec(2, '"extra": -Infinity')),
    "array_line": lines(b'["AmlDatastore://ds/img_2.jpg", "dog"]'),
    "string_line": lines(b'"AmlDatastore://ds/img_2.jpg"'),
    "number_line": lines(b"42"),
    "null_line": lines(b"null"),
    "true_line": lines(b"true"),
    "empty_object": lines(b"{}"),
    "no_image_url_key": lines(b'{"label": "dog"}'),
    "trailing_text": lines(rec(2) + b" x"),
    "trailing_comma": lines(rec(2) + b","),
    "trailing_spaces": lines(rec(2) + b"   \t"),
    "leading_spaces": lines(b"  \t" + rec(2)),
    "glued_records": lines(rec(2) + rec(3)),
    "glued_records_space": lines(rec(2) + b" " + rec(3)),
    "trailing_array": lines(rec(2) + b" [1]"),
    "trailing_number": lines(rec(2) + b" 7"),
    "trailing_invalid": lines(rec(2) + b" {bad"),
    "duplicate_key": lines(b'{"image_url": "AmlDatastore://ds/img_2.jpg", "label": "dog", "label": "cat"}'),
    "duplicate_key_nested": lines(raw_rec(2, '"extra": {"a": 1, "a": 2}')),
    "int64_max": lines(raw_rec(2, '"extra": 9223372036854775807')),
    "int64_min": lines(raw_rec(2, '"extra": -9223372036854775808')),
    "int64_max_plus_1": lines(raw_rec(2, '"extra": 9223372036854775808')),
    "uint64_max": lines(raw_rec(2, '"extra": 18446744073709551615')),
    "uint64_max_plus_1": lines(raw_rec(2, '"extra": 18446744073709551616')),
    "big_int_20_digits": lines(raw_rec(2, '"extra": 12345678901234567890')),
    "big_int_24_digits": lines(raw_rec(2, '"extra": 123456789012345678901234')),
    "int64_min_minus_1": lines(raw_rec(2, '"extra": -9223372036854775809')),
    "big_negative": lines(raw_rec(2, '"extra": -123456789012345678901234')),
    "big_int_in_label_list": lines(raw_rec(2, '"extra": [1, 12345678901234567890]')),
    "huge_exponent": lines(raw_rec(2, '"extra": 1e400')),
    "tiny_exponent": lines(raw_rec(2, '"extra": 1e-400')),
    "float_int_like": lines(raw_rec(2, '"extra": 1.0')),
    "negative_zero": lines(raw_rec(2, '"extra": -0')),
    "long_float": lines(raw_rec(2, '"extra": 0.1000000000000000055511151231257827')),
    "exponent_int": lines(raw_rec(2, '"extra": 1E2')),
}
JSONL.update({
    "vertical_tab_line": lines(b"\x0b"),
    "nbsp_line": lines("\u00a0".encode()),
    "bom_twice": b"\xef\xbb\xbf\xef\xbb\xbf" + lines(rec(2)),
    "bom_then_space": b"\xef\xbb\xbf " + lines(rec(2)),
    "only_empty_lines": b"\n\n",
    "only_invalid_line": b"{bad\n",
    "only_invalid_lines": b"{bad\n{bad2\n",
    "zero_bytes": b"",
    "cr_only_then_invalid": rec(1) + b"\r{bad\r" + rec(2) + b"\r",
    "invalid_then_cr_record": b"{bad\r" + rec(1) + b"\n" + rec(2) + b"\n",
    "trailing_text_then_record": lines(rec(2) + b" x " + rec(3)),
    "trailing_array_of_record": lines(rec(2) + b"[" + rec(3) + b"]"),
    "spaces_between_records": lines(b"  " + rec(2) + b"  " + rec(3)),
    "crlf_space_line": lines(b"  ", end=b"\r\n"),
    "crlf_empty_last_line": lines(rec(2), end=b"\r\n") + b"\r\n",
    "raw_control_chars": lines(raw_rec(2, '"extra": "a\tb\x01"')),
    "trailing_big_int": lines(rec(2) + b" 99999999999999999999999"),
    "duplicate_key_in_trailing_text": lines(rec(2) + b' {"a": 1, "a": 2}'),
    "duplicate_key_in_invalid_line": lines(b'{"a": 1, "a": 2'),
    "duplicate_key_in_array_line": lines(b'[{"a": 1, "a": 2}]'),
    "big_int_in_invalid_line": lines(b'{"a": 99999999999999999999999, bad'),
    "big_int_in_box": lines(raw_rec(2, '"boxes": [{"isCrowd": 9223372036854775808}]')),
    "int_2_53_plus_1": lines(raw_rec(2, '"extra": 9007199254740993')),
    "int_2_53_plus_1_nested": lines(raw_rec(2, '"extra": [9007199254740993]')),
    "int_2_53_plus_1_every_line": b"".join(raw_rec(n, '"extra": 9007199254740993') + b"\n" for n in (1, 2, 9)),
    "big_int_every_line": b"".join(raw_rec(n, '"extra": 9223372036854775807') + b"\n" for n in (1, 2, 9)),
    "big_exponent_float": lines(raw_rec(2, '"extra": 1.5e308')),
    "negative_huge_exponent": lines(raw_rec(2, '"extra": -1e400')),
    "duplicate_key_other_case": lines(b'{"image_url": "AmlDatastore://ds/img_2.jpg", "label": "dog", "Label": "cat"}'),
    "duplicate_key_escaped": lines(b'{"image_url": "AmlDatastore://ds/img_2.jpg", "label": "dog", "\\u006cabel": 1}'),
    "duplicate_key_in_glued_record": lines(rec(2) + b'{"a": 1, "a": 2}'),
    "empty_key": lines(raw_rec(2, '"": 1')),
    "leading_zero": lines(raw_rec(2, '"extra": 01')),
    "plus_sign": lines(raw_rec(2, '"extra": +1')),
    "leading_dot": lines(raw_rec(2, '"extra": .5')),
    "trailing_dot": lines(raw_rec(2, '"extra": 1.')),
    "hex_number": lines(raw_rec(2, '"extra": 0x10')),
    "nan_lower_case": lines(raw_rec(2, '"extra": nan')),
    "true_capitalised": lines(raw_rec(2, '"extra": True')),
    "int_500_digits": lines(raw_rec(2, '"extra": ' + "1" * 500)),
    "int_300_digits": lines(raw_rec(2, '"extra": ' + "1" * 300)),
    "int_with_exponent": lines(raw_rec(2, '"extra": 12345678901234567890e0')),
    "float_many_digits": lines(raw_rec(2, '"extra": 0.12345678901234567890123')),
    "subnormal": lines(raw_rec(2, '"extra": 1e-320')),
    "digits_in_string": lines(raw_rec(2, '"extra": "12345678901234567890"')),
    "cr_at_end_of_file": lines(rec(2))[:-1] + b"\r",
    "line_separator_in_string": lines(raw_rec(2, '"extra": "a\u2028b"').replace("\u2028".encode(), b"\xe2\x80\xa8")),
    "utf16_bom_in_utf8_file": b"\xff\xfe" + lines(rec(2)),
    "invalid_then_glued_record": lines(b'{"a": 1' + rec(2)),
    "deep_array_line": lines(b"[" * 70 + b"]" * 70),
    "types_differ_between_lines": lines(raw_rec(2, '"extra": 1'), raw_rec(3, '"extra": "x"'), raw_rec(4, '"extra": [1]')),
    "keys_in_other_order": lines(b'{"label": "dog", "image_url": "AmlDatastore://ds/img_2.jpg"}'),
})
for _d in (8, 16, 31, 32, 33, 58, 59, 60, 61, 62, 64, 65, 100, 127, 128, 129, 200, 255, 256, 300, 600):
    JSONL[f"nest_arrays_{_d}"] = lines(nest(_d))
for _d in (32, 59, 60, 61, 62, 63, 64, 127, 128, 129, 200):
    JSONL[f"nest_objects_{_d}"] = lines(nest_obj(_d))
JSONL["nest_mixed_60"] = lines(raw_rec(2, '"extra": ' + '[{"a": ' * 29 + "[1]" + "}]" * 29))
JSONL["nest_mixed_62"] = lines(raw_rec(2, '"extra": ' + '[{"a": ' * 30 + "1" + "}]" * 30))
JSONL["nest_empty_arrays_70"] = lines(raw_rec(2, '"extra": ' + "[" * 70 + "]" * 70))
JSONL["nest_in_label_48"] = lines(raw_rec(2, '"z": [{"a": ' + "[" * 45 + "1" + "]" * 45 + "}]"))
JSONL["nest_invalid_line_deep"] = lines(b'{"a": ' + b"[" * 200 + b"1" + b"]" * 199 + b"}")

TEXT = "\n".join(x.decode() for x in (rec(1), raw_rec(2, '"extra": "caf\u00e9 \u4e2d \U0001f600"'), rec(9))) + "\n"
# name -> (bytes, declared encoding in the documented MLTable)
ENCODED: dict[str, tuple[bytes, str]] = {
    "utf16_undeclared": (TEXT.encode("utf-16"), "utf8"),
    "utf16": (TEXT.encode("utf-16"), "utf16"),
    "utf16_no_bom": (TEXT.encode("utf-16-le"), "utf16"),
    "utf16_big_endian_no_bom": (TEXT.encode("utf-16-be"), "utf16"),
    "utf16be_with_bom": (b"\xfe\xff" + TEXT.encode("utf-16-be"), "utf16"),
    "utf32": (TEXT.encode("utf-32"), "utf32"),
    "utf32_undeclared": (TEXT.encode("utf-32"), "utf8"),
    "utf8bom_declared_with_bom": (b"\xef\xbb\xbf" + TEXT.encode(), "utf8bom"),
    "utf8bom_declared_without_bom": (TEXT.encode(), "utf8bom"),
    "latin1_declared_latin1": (TEXT.replace(" \u4e2d \U0001f600", "").encode("latin-1"), "latin1"),
    "latin1_declared_iso88591": (TEXT.replace(" \u4e2d \U0001f600", "").encode("latin-1"), "iso88591"),
    "latin1_declared_windows1252": (TEXT.replace(" \u4e2d \U0001f600", "").encode("latin-1"), "windows1252"),
    "windows1252_euro": (TEXT.replace(" \u4e2d \U0001f600", " \u20ac").encode("cp1252"), "windows1252"),
    "latin1_undeclared": (TEXT.replace(" \u4e2d \U0001f600", "").encode("latin-1"), "utf8"),
    "utf8_declared_latin1": (TEXT.encode(), "latin1"),
    "ascii_declared_ascii_text": ("\n".join(x.decode() for x in (rec(1), rec(2), rec(9))).encode() + b"\n", "ascii"),
    "ascii_declared_non_ascii": (TEXT.encode(), "ascii"),
    "spelling_utf_8": (TEXT.encode(), "utf-8"),
    "spelling_UTF8": (TEXT.encode(), "UTF8"),
    "spelling_utf_16": (TEXT.encode("utf-16"), "utf-16"),
    "spelling_latin_1": (TEXT.replace(" \u4e2d \U0001f600", "").encode("latin-1"), "latin-1"),
    "spelling_utf16le": (TEXT.encode("utf-16"), "utf16le"),
    "spelling_cp1252": (TEXT.replace(" \u4e2d \U0001f600", "").encode("cp1252"), "cp1252"),
    "utf16_invalid_lines_inside": (("\n".join([rec(1).decode(), "{bad", rec(9).decode()]) + "\n").encode("utf-16"),
                                   "utf16"),
    "utf16_empty_last_line": ((TEXT + "\n").encode("utf-16"), "utf16"),
    "utf16_odd_length": (TEXT.encode("utf-16") + b"\x00", "utf16"),
    "utf16_lone_surrogate": (TEXT.encode("utf-16")[:-2] + b"\x00\xd8" + "\n".encode("utf-16-le"), "utf16"),
    "utf16_crlf": (TEXT.replace("\n", "\r\n").encode("utf-16"), "utf16"),
    "utf16_blank_and_space_lines": ((TEXT + "   \n\n").encode("utf-16"), "utf16"),
    "latin1_blank_and_space_lines": ((TEXT.replace(" \u4e2d \U0001f600", "") + "   \n\n").encode("latin-1"), "latin1"),
    "latin1_c1_bytes": (lines(raw_rec(2, '"extra": "X"').replace(b"X", b"\x80\x81\x8d\x9f")), "latin1"),
    "iso88591_c1_bytes": (lines(raw_rec(2, '"extra": "X"').replace(b"X", b"\x80\x9f")), "iso88591"),
    "windows1252_undefined_bytes": (lines(raw_rec(2, '"extra": "X"').replace(b"X", b"\x81\x8d")), "windows1252"),
    "ascii_declared_latin1_bytes": (lines(rec(2)[:-2] + b'\xe9"}'), "ascii"),
    "spelling_UTF_16": (TEXT.encode("utf-16"), "UTF-16"),
    "spelling_Latin1": (TEXT.replace(" \u4e2d \U0001f600", "").encode("latin-1"), "Latin1"),
    "spelling_utf_8_bom": (b"\xef\xbb\xbf" + TEXT.encode(), "utf-8 bom"),
    "spelling_UTF_8_BOM_without_bom": (TEXT.encode(), "UTF-8 BOM"),
    "spelling_utf_8bom": (b"\xef\xbb\xbf" + TEXT.encode(), "utf-8bom"),
    "spelling_utf8_bom_space": (b"\xef\xbb\xbf" + TEXT.encode(), "utf8 bom"),
    "spelling_utf_8_underscore": (TEXT.encode(), "utf_8"),
    "spelling_windows_1252": (TEXT.replace(" \u4e2d \U0001f600", "").encode("cp1252"), "windows-1252"),
    "spelling_iso_8859_1": (TEXT.replace(" \u4e2d \U0001f600", "").encode("latin-1"), "iso-8859-1"),
    "spelling_ASCII": (TEXT.encode(), "ASCII"),
    "latin1_with_utf8_bom": (b"\xef\xbb\xbf" + lines(rec(2)), "latin1"),
    "utf16_two_boms": ("\ufeff\ufeff".encode("utf-16-le") + lines(rec(2)).decode().encode("utf-16-le"), "utf16"),
}

DOC = """paths:
  - file: ./{jsonl}
transformations:
  - read_json_lines:
      encoding: utf8
      invalid_lines: {invalid_lines}
      include_path_column: false
  - convert_column_types:
      - columns: image_url
        column_type: stream_info
"""


def doc(read_extra: str = "", before: str = "", after: str = "", paths: str = "  - file: ./{jsonl}\n",
        read: str | None = None, top: str = "", convert: str | None = None) -> str:
    read = read if read is not None else ("  - read_json_lines:\n      encoding: utf8\n"
                                         "      invalid_lines: {invalid_lines}\n      include_path_column: false\n"
                                         + read_extra)
    convert = convert if convert is not None else ("  - convert_column_types:\n      - columns: image_url\n"
                                                   "        column_type: stream_info\n")
    return top + "paths:\n" + paths + "transformations:\n" + before + read + convert + after


FIVE = lines(rec(2), rec(3), rec(4))  # five good records
WITH_BAD = lines(rec(2), b"{bad", rec(4))
# name -> (MLTable text, jsonl name or None, where the JSONL goes)
MLTABLES: dict[str, tuple[str, str | None, str]] = {
    "mlt_documented": (doc(), "five", "data.jsonl"),
    "mlt_take_2": (doc(after="  - take: 2\n"), "five", "data.jsonl"),
    "mlt_take_2_bad_after": (doc(after="  - take: 2\n"), "with_bad", "data.jsonl"),
    "mlt_skip_2": (doc(after="  - skip: 2\n"), "five", "data.jsonl"),
    "mlt_take_random_sample": (doc(after="  - take_random_sample:\n      probability: 0.5\n      seed: 1\n"), "five",
                               "data.jsonl"),
    "mlt_drop_columns_label": (doc(after="  - drop_columns: label\n"), "five", "data.jsonl"),
    "mlt_keep_columns_image_url": (doc(after="  - keep_columns: image_url\n"), "five", "data.jsonl"),
    "mlt_keep_columns_both": (doc(after="  - keep_columns: [image_url, label]\n"), "five", "data.jsonl"),
    "mlt_unknown_transformation": (doc(after="  - frobnicate: 1\n"), "five", "data.jsonl"),
    "mlt_unknown_transformation_string": (doc(after="  - frobnicate\n"), "five", "data.jsonl"),
    "mlt_filter": (doc(after="  - filter: 'col(\"label\") == \"cat\"'\n"), "five", "data.jsonl"),
    "mlt_type_mltable": (doc(top="type: mltable\n"), "five", "data.jsonl"),
    "mlt_type_other": (doc(top="type: uri_file\n"), "five", "data.jsonl"),
    "mlt_type_empty": (doc(top="type: ''\n"), "five", "data.jsonl"),
    "mlt_schema_key": (doc(top="$schema: https://azuremlschemas.azureedge.net/latest/MLTable.schema.json\n"),
                       "five", "data.jsonl"),
    "mlt_unknown_top_key": (doc(top="frobnicate: 1\n"), "five", "data.jsonl"),
    "mlt_metadata": (doc(top="metadata:\n  note: x\n"), "five", "data.jsonl"),
    "mlt_traits": (doc(top="traits:\n  index_columns: [image_url]\n"), "five", "data.jsonl"),
    "mlt_folder_with_mltable": (doc(paths="  - folder: ./\n"), "five", "data.jsonl"),
    "mlt_folder_sub": (doc(paths="  - folder: ./data\n"), "five", "data/data.jsonl"),
    "mlt_folder_sub_two_files": (doc(paths="  - folder: ./data\n  - file: ./data/data.jsonl\n"), "five",
                                 "data/data.jsonl"),
    "mlt_pattern": (doc(paths="  - pattern: ./*.jsonl\n"), "five", "data.jsonl"),
    "mlt_pattern_all": (doc(paths="  - pattern: ./*\n"), "five", "data.jsonl"),
    "mlt_file_missing": (doc(paths="  - file: ./nothere.jsonl\n"), "five", "data.jsonl"),
    "mlt_include_path_column": (doc(read="  - read_json_lines:\n      encoding: utf8\n      invalid_lines: "
                                         "{invalid_lines}\n      include_path_column: true\n"), "five", "data.jsonl"),
    "mlt_path_column": (doc(read_extra="      path_column: where\n"), "five", "data.jsonl"),
    "mlt_partition_size": (doc(read_extra="      partition_size: 1048576\n"), "five", "data.jsonl"),
    "mlt_unknown_read_option": (doc(read_extra="      frobnicate: 1\n"), "five", "data.jsonl"),
    "mlt_read_no_options": (doc(read="  - read_json_lines\n"), "with_bad", "data.jsonl"),
    "mlt_read_empty_options": (doc(read="  - read_json_lines: {}\n"), "with_bad", "data.jsonl"),
    "mlt_invalid_lines_bogus": (doc(read="  - read_json_lines:\n      invalid_lines: skip\n"), "five",
                                "data.jsonl"),
    "mlt_encoding_bogus": (doc(read="  - read_json_lines:\n      encoding: utf-8\n      invalid_lines: "
                                    "{invalid_lines}\n"), "five", "data.jsonl"),
    "mlt_include_path_column_string": (doc(read="  - read_json_lines:\n      invalid_lines: {invalid_lines}\n"
                                                "      include_path_column: 'yes'\n"), "five", "data.jsonl"),
    "mlt_no_convert": (doc(convert=""), "five", "data.jsonl"),
    "mlt_convert_bound": (doc(convert="  - convert_column_types:\n      - columns: image_url\n        column_type:\n"
                                      "          stream_info:\n            subscription: s\n"
                                      "            resource_group: rg\n            workspace_name: ws\n"
                                      "            escaped: false\n"), "five", "data.jsonl"),
    "mlt_convert_list_columns": (doc(convert="  - convert_column_types:\n      - columns: [image_url]\n"
                                             "        column_type: stream_info\n"), "five", "data.jsonl"),
    "mlt_convert_before_read": (doc(before="  - convert_column_types:\n      - columns: image_url\n"
                                           "        column_type: stream_info\n", convert=""), "five", "data.jsonl"),
    "mlt_read_delimited": (doc(read="  - read_delimited:\n      delimiter: ','\n"), "five", "data.jsonl"),
    "mlt_two_reads": (doc(before="  - read_json_lines:\n      invalid_lines: {invalid_lines}\n"), "five",
                      "data.jsonl"),
    "mlt_no_transformations": ("paths:\n  - file: ./{jsonl}\n", "five", "data.jsonl"),
    "mlt_transformations_not_list": ("paths:\n  - file: ./{jsonl}\ntransformations:\n  read_json_lines:\n"
                                     "    invalid_lines: {invalid_lines}\n", "five", "data.jsonl"),
    "mlt_path_singular": (doc().replace("paths:", "path:"), "five", "data.jsonl"),
    "mlt_paths_string_entry": (doc(paths="  - ./{jsonl}\n"), "five", "data.jsonl"),
    "mlt_paths_two_kinds": (doc(paths="  - file: ./{jsonl}\n    folder: ./\n"), "five", "data.jsonl"),
    "mlt_not_mapping": ("- file: ./{jsonl}\n", "five", "data.jsonl"),
    "mlt_invalid_yaml": ("paths:\n  - file: ./{jsonl}\n transformations: [\n", "five", "data.jsonl"),
    "mlt_empty": ("", "five", "data.jsonl"),
    "mlt_bad_line_drop": (doc(), "with_bad", "data.jsonl"),
    "mlt_take_2_bad_within": (doc(after="  - take: 4\n"), "with_bad", "data.jsonl"),
    "mlt_take_3_blank_lines": (doc(after="  - take: 3\n"), "with_blank", "data.jsonl"),
    "mlt_take_0": (doc(after="  - take: 0\n"), "five", "data.jsonl"),
    "mlt_take_before_read": (doc(before="  - take: 2\n"), "five", "data.jsonl"),
    "mlt_take_string": (doc(after="  - take: two\n"), "five", "data.jsonl"),
    "mlt_take_negative": (doc(after="  - take: -1\n"), "five", "data.jsonl"),
    "mlt_skip_2_bad_within": (doc(after="  - skip: 3\n"), "with_bad", "data.jsonl"),
    "mlt_skip_all": (doc(after="  - skip: 9\n"), "five", "data.jsonl"),
    "mlt_take_then_skip": (doc(after="  - take: 4\n  - skip: 1\n"), "five", "data.jsonl"),
    "mlt_folder_hidden_file": (doc(paths="  - folder: ./data\n"), "five", "data/.hidden.jsonl"),
    "mlt_folder_nested": (doc(paths="  - folder: ./data\n"), "five", "data/sub/data.jsonl"),
    "mlt_pattern_recursive": (doc(paths="  - pattern: ./**/*.jsonl\n"), "five", "data/sub/data.jsonl"),
    "mlt_path_column_included": (doc(read="  - read_json_lines:\n      invalid_lines: {invalid_lines}\n"
                                          "      include_path_column: true\n      path_column: where\n"), "five",
                                 "data.jsonl"),
    "mlt_drop_columns_other": (doc(after="  - drop_columns: extra\n"), "five", "data.jsonl"),
    "mlt_encoding_utf16_declared": (doc().replace("encoding: utf8", "encoding: utf16"), "five_utf16", "data.jsonl"),
    "mlt_encoding_utf8bom": (doc().replace("encoding: utf8", "encoding: utf8bom"), "five", "data.jsonl"),
    "mlt_encoding_utf_8_bom": (doc().replace("encoding: utf8", "encoding: utf-8 bom"), "five", "data.jsonl"),
    "mlt_encoding_upper": (doc().replace("encoding: utf8", "encoding: UTF8"), "five", "data.jsonl"),
    "mlt_invalid_lines_upper": (doc().replace("invalid_lines: {invalid_lines}", "invalid_lines: DROP"), "with_bad",
                                "data.jsonl"),
    "mlt_with_bad_whitespace": (doc(), "with_whitespace", "data.jsonl"),
    "mlt_query_source": (doc(top="query_source: x\n"), "five", "data.jsonl"),
    "mlt_gzip_file": (doc(), "five_gz", "data.jsonl.gz"),
    "mlt_gzip_named_jsonl": (doc(), "five_gz", "data.jsonl"),
    "mlt_convert_label_int": (doc(after="  - convert_column_types:\n      - columns: label\n        column_type: int\n"),
                              "five", "data.jsonl"),
    "mlt_drop_columns_image_url": (doc(after="  - drop_columns: image_url\n"), "five", "data.jsonl"),
    "mlt_drop_columns_list": (doc(after="  - drop_columns: [label, extra]\n"), "five", "data.jsonl"),
    "mlt_keep_columns_with_missing": (doc(after="  - keep_columns: [image_url, label, nothere]\n"), "five",
                                      "data.jsonl"),
    "mlt_extract_partition_string": (doc(after="  - extract_columns_from_partition_format: '{x}/data.jsonl'\n"),
                                     "five", "data.jsonl"),
    "mlt_take_float": (doc(after="  - take: 2.5\n"), "five", "data.jsonl"),
    "mlt_take_bool": (doc(after="  - take: true\n"), "five", "data.jsonl"),
    "mlt_skip_then_take": (doc(after="  - skip: 1\n  - take: 2\n"), "five", "data.jsonl"),
    "mlt_two_takes": (doc(after="  - take: 4\n  - take: 2\n"), "five", "data.jsonl"),
    "mlt_file_twice": (doc(paths="  - file: ./{jsonl}\n  - file: ./{jsonl}\n"), "five", "data.jsonl"),
    "mlt_step_with_two_keys": (doc(after="  - take: 2\n    skip: 1\n"), "five", "data.jsonl"),
    "mlt_read_options_null": (doc(read="  - read_json_lines:\n"), "with_bad", "data.jsonl"),
    "mlt_include_path_column_null": (doc(read="  - read_json_lines:\n      include_path_column:\n      invalid_lines: "
                                              "{invalid_lines}\n"), "five", "data.jsonl"),
    "mlt_encoding_null": (doc(read="  - read_json_lines:\n      encoding:\n      invalid_lines: {invalid_lines}\n"),
                          "five", "data.jsonl"),
    "mlt_invalid_lines_null": (doc(read="  - read_json_lines:\n      invalid_lines:\n"), "with_bad", "data.jsonl"),
    "mlt_partition_size_string": (doc(read_extra="      partition_size: big\n"), "five", "data.jsonl"),
    "mlt_path_column_Path": (doc(read="  - read_json_lines:\n      invalid_lines: {invalid_lines}\n      "
                                      "include_path_column: true\n      path_column: Path\n"), "five", "data.jsonl"),
    "mlt_take_with_invalid_drop": (doc(after="  - take: 3\n"), "with_bad", "data.jsonl"),
    "mlt_folder_with_mltable_drop_bad": (doc(paths="  - folder: ./\n"), "with_bad", "data.jsonl"),
    "mlt_take_2_whitespace_line": (doc(after="  - take: 2\n"), "ws_second", "data.jsonl"),
    "mlt_take_2_empty_line": (doc(after="  - take: 2\n"), "empty_second", "data.jsonl"),
    "mlt_take_2_invalid_utf8_after": (doc(after="  - take: 2\n"), "utf8_fourth", "data.jsonl"),
    "mlt_take_2_duplicate_key_after": (doc(after="  - take: 2\n"), "dup_fourth", "data.jsonl"),
    "mlt_take_2_deep_after": (doc(after="  - take: 2\n"), "deep_fourth", "data.jsonl"),
    "mlt_take_2_glued_first": (doc(after="  - take: 2\n"), "glued_second", "data.jsonl"),
    "mlt_skip_1_invalid_utf8": (doc(after="  - skip: 1\n"), "utf8_first", "data.jsonl"),
    "mlt_skip_1_duplicate_key": (doc(after="  - skip: 1\n"), "dup_first", "data.jsonl"),
    "mlt_skip_1_deep": (doc(after="  - skip: 1\n"), "deep_first", "data.jsonl"),
    "mlt_skip_1_not_an_object": (doc(after="  - skip: 1\n"), "array_first", "data.jsonl"),
    "mlt_take_huge": (doc(after="  - take: 100000\n"), "five", "data.jsonl"),
}
MLT_JSONL = {"five": FIVE, "with_bad": WITH_BAD, "with_blank": lines(b"", rec(2), b"", rec(3)),
             "five_utf16": FIVE.decode().encode("utf-16"), "with_whitespace": lines(rec(2), b"  ", rec(3)),
             "five_gz": gzip.compress(FIVE, mtime=0), "ws_second": lines(b"  ", rec(2), rec(3)),
             "empty_second": lines(b"", rec(2), rec(3)), "utf8_fourth": lines(rec(2), rec(3), rec(4)[:-2] + b'\xe9"}'),
             "dup_fourth": lines(rec(2), rec(3), b'{"image_url": "AmlDatastore://ds/x.jpg", "label": "a", "label": "b"}'),
             "deep_fourth": lines(rec(2), rec(3), nest(70)), "glued_second": lines(rec(2) + rec(3), rec(4)),
             "utf8_first": b'{"image_url": "AmlDatastore://ds/caf\xe9.jpg", "label": "x"}\n' + lines(rec(2)),
             "dup_first": b'{"image_url": "AmlDatastore://ds/x.jpg", "label": "a", "label": "b"}\n' + lines(rec(2)),
             "deep_first": nest(70) + b"\n" + lines(rec(2)), "array_first": b"[1]\n" + lines(rec(2))}


def build() -> dict:
    os.makedirs(os.path.join(CASES, "files"), exist_ok=True)
    index = []
    for name, data in JSONL.items():
        _write(f"files/{name}.jsonl", data)
        index.append({"name": name, "jsonl": f"files/{name}.jsonl", "modes": ["error", "drop"]})
    for name, (data, encoding) in ENCODED.items():
        _write(f"files/{name}.jsonl", data)
        index.append({"name": name, "jsonl": f"files/{name}.jsonl", "encoding": encoding,
                      "modes": ["error", "drop"]})
    for name, data in MLT_JSONL.items():
        _write(f"files/mlt_{name}.jsonl", data)
    for name, (text, data, at) in MLTABLES.items():
        _write(f"files/{name}.MLTable", text.encode())
        index.append({"name": name, "jsonl": f"files/mlt_{data}.jsonl", "mltable": f"files/{name}.MLTable",
                      "jsonl_at": at, "modes": ["error", "drop"] if "{invalid_lines}" in text else ["error"]})
    out = {"cases": index}
    _write("cases.json", (json.dumps(out, indent=1) + "\n").encode())
    return out


def _write(rel: str, data: bytes) -> None:
    path = os.path.join(CASES, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)


def slim(result: dict) -> dict:
    """What the tests compare: the file's fate, the rows' lines and the per-line consequences."""
    v = result["verdict"]
    out = {"file": v.get("file"), "why": v.get("why")}
    if "lines" in v:
        out["lines"] = {n: {k: e[k] for k in ("consequence", "outcome", "pointers", "value", "note") if k in e}
                        for n, e in v["lines"].items()}
    job = result["observed"].get("job", {})
    if job.get("row_count") is not None:
        out["rows"] = job["row_count"]
    return {k: x for k, x in out.items() if x is not None}


def write_expected(only: list[str] | None) -> None:
    path = os.path.join(CASES, "expected.json")
    expected = json.load(open(path)) if os.path.exists(path) else {}
    index = json.load(open(os.path.join(CASES, "cases.json")))
    if only:
        index = {"cases": [c for c in index["cases"] if c["name"] in only]}
    tmp = os.path.join(CASES, ".run-cases.json")
    with open(tmp, "w") as fh:
        json.dump(index, fh)
    try:
        proc = subprocess.run([sys.executable, ORACLE, "--cases", tmp], capture_output=True, text=True)
    finally:
        os.unlink(tmp)
    if proc.returncode != 0:
        sys.exit(f"reading_oracle: the engine failed:\n{proc.stderr[-2000:]}")
    results = json.loads(proc.stdout)
    for name, modes in results.items():
        expected[name] = {mode: slim(r) for mode, r in modes.items()}
    names = [c["name"] for c in json.load(open(os.path.join(CASES, "cases.json")))["cases"]]
    expected = {n: expected[n] for n in names if n in expected}
    with open(path, "w") as fh:
        fh.write(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    print(f"reading_oracle: {len(results)} case(s) rerun, {len(expected)} stored in {path}", file=sys.stderr)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--write-expected", action="store_true")
    ap.add_argument("--only", help="comma-separated case names (with --write-expected)")
    args = ap.parse_args()
    build()
    if args.write_expected:
        if not os.path.exists(ORACLE):
            sys.exit(f"reading_oracle: no engine harness at {ORACLE}")
        write_expected(args.only.split(",") if args.only else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
