"""The pure-Python header parser (images/headers.py) against Pillow's: whenever it answers, every probe field is
the one Pillow's path gives; the common layouts are answered without Pillow."""

from __future__ import annotations

import io
import random
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from PIL import Image, PngImagePlugin, TiffImagePlugin

from automl_lint.images import headers, probe
from automl_lint.images.probe import HEAD_BYTES, probe_head

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "realdata"
FIELDS = ("format", "width", "height", "mode", "orientation", "transparency", "pixels", "error", "unreadable")


def _probe(data: bytes):
    return probe_head(data[:HEAD_BYTES], len(data), lambda offset, n: data[offset:offset + n])


def _pillow(data: bytes) -> tuple:
    """The probe fields from Pillow alone (the path before the fast parser, still taken when it is unsure)."""
    saved = headers.identify
    headers.identify = lambda buf: None
    try:
        p = _probe(data)
    finally:
        headers.identify = saved
    return tuple(getattr(p, f) for f in FIELDS)


def _fast(data: bytes) -> tuple | None:
    """The probe fields when the fast parser answers, else None."""
    p = probe.Probe(bytes=len(data))
    if not probe._from_header(probe._HeadReader(data[:HEAD_BYTES], len(data), lambda o, n: data[o:o + n]), p):
        return None
    return tuple(getattr(p, f) for f in FIELDS)


def _check(data: bytes) -> bool:
    """Assert the fast answer (if any) is Pillow's; True when the fast parser answered."""
    fast = _fast(data)
    if fast is not None:
        assert fast == _pillow(data), f"fast {fast} != Pillow {_pillow(data)}"
    return fast is not None


# ---------------------------------------------------------------- generated images
def _save(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def _photo(mode: str = "RGB", size=(64, 48)) -> Image.Image:
    return Image.effect_mandelbrot(size, (-2.0, -1.2, 1.0, 1.2), 30).convert(mode)


def _exif(endian: str, orientation=None, **tags) -> bytes:
    exif = Image.Exif()
    exif.endian = endian
    if orientation is not None:
        exif[0x0112] = orientation
    for tag, value in tags.items():
        exif[int(tag[1:], 16)] = value
    return exif.tobytes()


def _raw_exif(endian: str, *entries: tuple[int, int, int, bytes], data: bytes = b"") -> bytes:
    """An EXIF block written by hand: IFD0 holds ``entries`` (tag, type, count, inline value or offset), then
    ``data`` (at offset 8 + 2 + 12 * len(entries) + 4 of the TIFF header)."""
    head = (b"II*\0" if endian == "<" else b"MM\0*") + struct.pack(endian + "L", 8)
    ifd = struct.pack(endian + "H", len(entries)) + b"".join(
        struct.pack(endian + "HHL", tag, typ, count) + value.ljust(4, b"\0") for tag, typ, count, value in entries)
    return b"Exif\0\0" + head + ifd + struct.pack(endian + "L", 0) + data


def _short(value: int, endian: str = "<") -> bytes:
    return struct.pack(endian + "H", value)


XMP_HEAD = b"http://ns.adobe.com/xap/1.0/\0"
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Orientation="6"/></rdf:RDF></x:xmpmeta>')


def _jpegs() -> dict[str, bytes]:
    rgb = _photo()
    out = {
        "L": _save(_photo("L"), "JPEG"),
        "RGB": _save(rgb, "JPEG"),
        "CMYK (Adobe APP14)": _save(_photo("CMYK"), "JPEG"),
        "progressive": _save(rgb, "JPEG", progressive=True),
        "optimized, 4:4:4": _save(rgb, "JPEG", optimize=True, subsampling=0, quality=95),
        "JFIF dpi": _save(rgb, "JPEG", dpi=(300, 300)),
        "comment": _save(rgb, "JPEG", comment=b"a comment"),
        "ICC": _save(rgb, "JPEG", icc_profile=b"\0" * 3000),
        "ICC in 3 segments (header past the head)": _save(rgb, "JPEG", icc_profile=bytes(range(256)) * 600),
        "EXIF without orientation": _save(rgb, "JPEG", exif=_exif("<", x010F="camera")),
        "EXIF orientation 0": _save(rgb, "JPEG", exif=_exif(">", 0)),
        "EXIF DPI": _save(rgb, "JPEG", dpi=(0, 0),
                          exif=_exif("<", 6, x0128=2, x011A=TiffImagePlugin.IFDRational(300, 1))),
        "EXIF DPI, zero denominator": _save(rgb, "JPEG", dpi=(0, 0),
                                            exif=_exif(">", 8, x0128=3, x011A=TiffImagePlugin.IFDRational(1, 0))),
        "EXIF past the head": _save(rgb, "JPEG", exif=_exif("<", 5, x9286="x" * 30000)),
        "bench-like EXIF": _save(rgb, "JPEG", exif=_exif("<", 1, x010F="bench camera", x9286="x" * 6000)),
    }
    exif_cases = {
        "first of two orientations": _raw_exif("<", (0x0112, 3, 1, _short(3)), (0x0112, 3, 1, _short(6))),
        "orientation after one of an unknown type": _raw_exif(">", (0x0112, 99, 1, b""),
                                                              (0x0112, 3, 1, _short(6, ">"))),
        "orientation of type LONG": _raw_exif("<", (0x0112, 4, 1, struct.pack("<L", 6))),
        "orientation with two values": _raw_exif("<", (0x0112, 3, 2, _short(6) + _short(3))),
        "value past the end, then orientation": _raw_exif("<", (0x010F, 2, 20, struct.pack("<L", 40)),
                                                          (0x0112, 3, 1, _short(6)), data=b"camera"),
        "value inside, then orientation": _raw_exif("<", (0x010F, 2, 6, struct.pack("<L", 38)),
                                                    (0x0112, 3, 1, _short(6)), data=b"camera"),
        "DPI of type BYTE": _raw_exif("<", (0x0128, 3, 1, _short(2)), (0x011A, 1, 1, b"\5"),
                                      (0x0112, 3, 1, _short(6))),
        "DPI of type ASCII": _raw_exif("<", (0x0128, 3, 1, _short(2)), (0x011A, 2, 1, b"\0"),
                                       (0x0112, 3, 1, _short(6))),
        "DPI as rational": _raw_exif("<", (0x0128, 3, 1, _short(2)), (0x011A, 5, 1, struct.pack("<L", 50)),
                                     (0x0112, 3, 1, _short(6)), data=struct.pack("<LL", 300, 1)),
        "TIFF header BigTIFF": b"Exif\0\0II+\0" + bytes(12),
        "TIFF header odd": b"Exif\0\0MM*\0" + _raw_exif(">", (0x0112, 3, 1, _short(6, ">")))[10:],
        "TIFF header BigTIFF, then IFD0": b"Exif\0\0II+\0" + _raw_exif("<", (0x0112, 3, 1, _short(6)))[10:],
        "empty": b"Exif\0\0",
        "twice the Exif prefix": b"Exif\0\0" + _exif("<", 8),
    }
    for name, exif in exif_cases.items():
        out[f"raw EXIF {name}"] = _save(rgb, "JPEG", exif=exif)
        out[f"raw EXIF {name}, JFIF dpi"] = _save(rgb, "JPEG", exif=exif, dpi=(72, 72))
    # XMP packets written by hand (Pillow writes them only from version 11 on).
    out["XMP orientation"] = _with_segments(out["RGB"], 0xE0, (0xE1, XMP_HEAD + XMP))
    out["XMP orientation 0"] = _with_segments(out["RGB"], 0xE0, (0xE1, XMP_HEAD + XMP.replace(b'"6"', b'"0"')))
    out["XMP and EXIF orientation"] = _with_segments(_save(rgb, "JPEG", exif=_exif("<", 3)), 0xE0,
                                                     (0xE1, XMP_HEAD + XMP))
    out["EXIF in two blocks"] = _with_segments(_save(rgb, "JPEG", exif=_exif("<", 6)), 0xE0, (0xE1, _exif("<", 3)))
    out["DQT cut short"] = _with_segments(out["RGB"], 0xE0, (0xDB, b"\0" * 40))
    out["Photoshop APP13"] = _with_segments(out["RGB"], 0xE0, (0xED, b"Photoshop 3.0\x008BIM\x04\x04\0\0"))
    out["fill bytes between segments"] = out["RGB"].replace(b"\xff\xdb", b"\xff\xff\xdb", 1)
    out["restart marker before SOS"] = _with_segments(out["RGB"], 0xE0, (0xD0, None))
    # The head ends exactly after a segment that follows the frame header, and an EXIF block follows: Pillow's
    # parse of the head stops there without an error (orientation 1): that answer is Pillow's to give.
    sof_end = _segment_end(out["RGB"], 0xC0)
    pad = HEAD_BYTES - sof_end - 4
    out["head ends at a segment boundary after SOF"] = _with_segments(
        out["RGB"], 0xC0, (0xFE, b"c" * pad), (0xE1, _exif("<", 6)))
    for orientation in range(1, 9):
        for endian in "<>":
            out[f"EXIF orientation {orientation} {endian}"] = _save(rgb, "JPEG", exif=_exif(endian, orientation))
    mpo = io.BytesIO()
    rgb.save(mpo, "MPO", save_all=True, append_images=[_photo(size=(32, 24))])
    out["MPO"] = mpo.getvalue()
    return out


def _segment_end(jpeg: bytes, marker: int) -> int:
    pos = 2
    while True:
        end = pos + 2 + struct.unpack_from(">H", jpeg, pos + 2)[0]
        if jpeg[pos + 1] == marker:
            return end
        pos = end


def _with_segments(jpeg: bytes, after: int, *segments: tuple[int, bytes | None]) -> bytes:
    """``jpeg`` with ``segments`` (marker, payload; None: a marker without one) inserted after the first
    ``after`` segment."""
    at = _segment_end(jpeg, after)
    inserted = b"".join(bytes((0xFF, m)) + (b"" if p is None else struct.pack(">H", len(p) + 2) + p)
                        for m, p in segments)
    return jpeg[:at] + inserted + jpeg[at:]


def _chunk(cid: bytes, data: bytes) -> bytes:
    return struct.pack(">L", len(data)) + cid + data + struct.pack(">L", zlib.crc32(data, zlib.crc32(cid)))


def _png_file(bits: int, colour: int, *chunks: tuple[bytes, bytes], size=(5, 3), interlace=0) -> bytes:
    """A PNG header as written by hand (any bit depth and colour type); the pixel data is not looked at."""
    ihdr = struct.pack(">LLBBBBB", *size, bits, colour, 0, 0, interlace)
    return (PngImagePlugin._MAGIC + _chunk(b"IHDR", ihdr) + b"".join(_chunk(c, d) for c, d in chunks)
            + _chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _chunk(b"IEND", b""))


def _pngs() -> dict[str, bytes]:
    rgb = _photo()
    info = PngImagePlugin.PngInfo()
    info.add_text("Title", "a title")
    info.add_text("Comment", "compressed" * 50, zip=True)
    info.add_itxt("Author", "someone")
    palette = rgb.quantize(16)
    out = {
        "1": _save(rgb.convert("1"), "PNG"),
        "L": _save(rgb.convert("L"), "PNG"),
        "LA": _save(rgb.convert("LA"), "PNG"),
        "I;16": _save(rgb.convert("I;16"), "PNG"),
        "RGB": _save(rgb, "PNG"),
        "RGBA": _save(rgb.convert("RGBA"), "PNG"),
        "P": _save(palette, "PNG"),
        "P 2-bit": _save(rgb.quantize(4), "PNG", bits=2),
        "P 4-bit": _save(palette, "PNG", bits=4),
        "P with tRNS index": _save(palette, "PNG", transparency=3),
        "P with tRNS alphas": _save(rgb.convert("RGBA").quantize(16), "PNG"),
        "L with tRNS": _save(rgb.convert("L"), "PNG", transparency=7),
        "RGB with tRNS": _save(rgb, "PNG", transparency=(1, 2, 3)),
        "1 with tRNS": _save(rgb.convert("1"), "PNG", transparency=0),
        "eXIf": _save(rgb, "PNG", exif=_exif("<", 6)),
        "eXIf big-endian": _save(rgb, "PNG", exif=_exif(">", 3)),
        "text chunks": _save(rgb, "PNG", pnginfo=info),
        "dpi (pHYs)": _save(rgb, "PNG", dpi=(96, 96)),
        "ICC": _save(rgb, "PNG", icc_profile=b"\0" * 500),
        "interlaced": _png_file(8, 2, interlace=1),
        "gAMA cHRM sRGB tIME": _png_file(8, 2, (b"gAMA", struct.pack(">L", 45455)), (b"cHRM", bytes(32)),
                                         (b"sRGB", b"\0"), (b"tIME", bytes(7))),
        "tEXt transparency": _png_file(8, 2, (b"tEXt", b"transparency\0yes")),
        "tRNS before PLTE is skipped by no one": _png_file(8, 3, (b"tRNS", b"\0"), (b"PLTE", bytes(6))),
        "RGBA with tRNS": _png_file(8, 6, (b"tRNS", bytes(6))),
        "LA with tRNS": _png_file(8, 4, (b"tRNS", bytes(2))),
        "short tRNS": _png_file(8, 2, (b"tRNS", b"\0\1")),
        "bad filter method": _png_file(8, 2)[:8] + _chunk(b"IHDR", struct.pack(">LLBBBBB", 5, 3, 8, 2, 0, 1, 0)),
        "bad CRC": _png_file(8, 2, (b"tEXt", b"a\0b")).replace(b"a\0b", b"a\0c"),
        "header past the head": _png_file(8, 2, (b"tEXt", b"big\0" + b"x" * 40000)),
        "zero width": _png_file(8, 2, size=(0, 3)),
        "bomb": _png_file(8, 2, size=(20000, 20000)),
    }
    for bits in (1, 2, 4, 8, 16):
        for colour in (0, 2, 3, 4, 6):
            out[f"IHDR {bits}-bit colour type {colour}"] = _png_file(bits, colour)
    return out


GENERATED = {**{f"JPEG {k}": v for k, v in _jpegs().items()}, **{f"PNG {k}": v for k, v in _pngs().items()}}
# Layouts the parser must answer itself: the common ones (the speed-up) and unusual ones it knows.
COMMON = [f"JPEG {k}" for k in ("L", "RGB", "CMYK (Adobe APP14)", "progressive", "optimized, 4:4:4", "JFIF dpi",
                                "comment", "ICC", "ICC in 3 segments (header past the head)", "XMP orientation",
                                "EXIF without orientation", "EXIF DPI", "EXIF past the head", "bench-like EXIF",
                                "EXIF orientation 6 <", "EXIF orientation 8 >", "raw EXIF DPI as rational",
                                "EXIF orientation 0", "XMP orientation 0", "XMP and EXIF orientation",
                                "EXIF in two blocks", "raw EXIF DPI of type BYTE, JFIF dpi",
                                "raw EXIF value inside, then orientation", "raw EXIF empty")]
COMMON += [f"PNG {k}" for k in ("1", "L", "LA", "I;16", "RGB", "RGBA", "P", "P 2-bit", "P 4-bit", "P with tRNS index",
                               "P with tRNS alphas", "L with tRNS", "RGB with tRNS", "eXIf", "dpi (pHYs)",
                               "interlaced", "gAMA cHRM sRGB tIME", "header past the head", "RGBA with tRNS",
                               "LA with tRNS")]


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_images_match_pillow(name):
    _check(GENERATED[name])


# Under a Pillow the parser was not checked against (older or newer), every header goes to Pillow by design: the
# tests of the fast path skip, and say how to check that version.
checked_pillow = pytest.mark.skipif(
    not headers._ACTIVE, reason=f"the fast parser stands aside under Pillow {Image.__version__} (checked against "
    f"{headers.VERIFIED_PILLOW}): to check it, add its major version to VERIFIED_PILLOW and run this file")


@pytest.mark.parametrize("name", COMMON)
def test_under_an_unchecked_pillow_every_header_goes_to_pillow(name, monkeypatch):
    data = GENERATED[name]
    expected = _pillow(data)
    opened = []
    real_open = Image.open

    def counted_open(*args, **kwargs):
        opened.append(1)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(headers, "_ACTIVE", False)
    monkeypatch.setattr(Image, "open", counted_open)
    assert tuple(getattr(_probe(data), f) for f in FIELDS) == expected and opened


@checked_pillow
@pytest.mark.parametrize("name", COMMON)
def test_common_layouts_are_answered_without_pillow(name, monkeypatch):
    data = GENERATED[name]
    expected = _pillow(data)
    assert expected[FIELDS.index("error")] is None

    def no_pillow(*args, **kwargs):
        raise AssertionError("Pillow's Image.open was called")

    monkeypatch.setattr(Image, "open", no_pillow)
    for p in (_probe(data), probe.probe_bytes(data, full=False)):
        assert tuple(getattr(p, f) for f in FIELDS) == expected


def test_the_default_pixel_limit_is_pillows(monkeypatch):
    """While PIL.Image is not imported the parser uses Pillow's default limit; once it is, Pillow's current value."""
    import sys

    assert headers.DEFAULT_MAX_IMAGE_PIXELS == Image.MAX_IMAGE_PIXELS
    big = _save(Image.new("L", (2, 2)), "PNG")
    big = _fix_crcs(big[:16] + struct.pack(">LL", 10_000, 10_000) + big[24:])  # 100 Mpx: past the default
    assert _fast(big) is None
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 200_000_000)
    if headers._ACTIVE:
        assert _fast(big)[:3] == ("PNG", 10_000, 10_000)
    monkeypatch.delitem(sys.modules, "PIL.Image")
    assert _fast(big) is None


@checked_pillow
def test_a_header_mode_run_on_common_images_never_imports_pillow(tmp_path):
    """PIL.Image costs ~20 ms to import: a run whose headers the fast parser reads (cold) or the cache answers
    (warm) does without it."""
    import json
    import subprocess
    import sys

    names = ["JPEG EXIF orientation 6 >", "JPEG L", "PNG RGBA", "PNG P with tRNS index"]
    lines = []
    for i, name in enumerate(names):
        ext = "jpg" if name.startswith("JPEG") else "png"
        (tmp_path / f"{i}.{ext}").write_bytes(GENERATED[name])
        lines.append(json.dumps({"image_url": f"AmlDatastore://ds/{i}.{ext}", "label": "a"}))
    (tmp_path / "train.jsonl").write_text("\n".join(lines) + "\n")
    code = (
        "import sys, automl_lint\n"
        "for run in ('cold', 'warm'):\n"
        "    r = automl_lint.lint(sys.argv[1], task='multiclass', images='header', datastores={'ds': sys.argv[2]},\n"
        "                         image_cache=sys.argv[3], config=False)\n"
        "    print(run, sorted(p.code for p in r.results[0].problems if p.code.startswith('AML7')), 'PIL.Image' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "train.jsonl"), str(tmp_path),
                          str(tmp_path / "cache")], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "cold ['AML705', 'AML706', 'AML706'] False"
    assert out[1] == "warm ['AML705', 'AML706', 'AML706'] False"


@checked_pillow
def test_generated_fields_are_the_ones_written():
    """The fields themselves, not only their agreement with Pillow."""
    assert _fast(GENERATED["JPEG EXIF orientation 6 >"])[:6] == ("JPEG", 64, 48, "RGB", 6, False)
    assert _fast(GENERATED["JPEG EXIF past the head"])[:6] == ("JPEG", 64, 48, "RGB", 5, False)
    assert _fast(GENERATED["JPEG XMP orientation"])[4] == 6
    assert _fast(GENERATED["JPEG XMP and EXIF orientation"])[4] == 3
    assert _fast(GENERATED["JPEG CMYK (Adobe APP14)"])[3] == "CMYK"
    assert _fast(GENERATED["PNG P with tRNS index"])[:6] == ("PNG", 64, 48, "P", 1, True)
    assert _fast(GENERATED["PNG RGBA"])[3:6] == ("RGBA", 1, False)
    assert _fast(GENERATED["PNG eXIf"])[4] == 6
    assert _fast(GENERATED["PNG I;16"])[3] == "I;16"
    for unsure in ("JPEG MPO", "PNG bad CRC", "PNG tEXt transparency", "PNG bomb", "PNG IHDR 16-bit colour type 3",
                   "JPEG raw EXIF first of two orientations", "JPEG raw EXIF twice the Exif prefix",
                   "JPEG raw EXIF orientation after one of an unknown type"):
        assert _fast(GENERATED[unsure]) is None, unsure


# ---------------------------------------------------------------- files in the repository
def _repo_files():
    for top in ("fixtures", "tests"):
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and path.stat().st_size < 8 << 20:
                yield path


def test_every_file_in_fixtures_and_tests_matches_pillow():
    answered = sum(_check(path.read_bytes()) for path in _repo_files())
    if headers._ACTIVE:
        assert answered >= 10  # the fixture images are common JPEGs and PNGs


# ---------------------------------------------------------------- mutations
def _fix_crcs(data: bytes) -> bytes:
    """Recompute the CRC of every PNG chunk up to IDAT (so that mutations reach the chunk handlers)."""
    out, pos = bytearray(data), 8
    while pos + 8 <= len(out):
        length, cid = struct.unpack_from(">L4s", out, pos)
        end = pos + 8 + length
        if cid == b"IDAT" or end + 4 > len(out):
            break
        out[end:end + 4] = struct.pack(">L", zlib.crc32(bytes(out[pos + 8:end]), zlib.crc32(cid)))
        pos = end + 4
    return bytes(out)


SEEDS = [GENERATED[k] for k in ("JPEG EXIF orientation 6 <", "JPEG EXIF orientation 3 >", "JPEG EXIF DPI",
                                "JPEG XMP orientation", "JPEG L", "PNG P with tRNS index", "PNG eXIf",
                                "PNG RGB with tRNS", "PNG gAMA cHRM sRGB tIME")]


def _header_end(data: bytes) -> int:
    """Where the header ends (the mutations aim before it)."""
    return data.find(b"IDAT") + 4 if data.startswith(b"\x89PNG") else data.find(b"\xff\xda") + 14


def _mutate(data: bytes, rnd: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rnd.randint(1, 3)):
        if not out:
            break
        at = rnd.randrange(min(_header_end(data), len(out)))
        op = rnd.random()
        if op < 0.6:
            out[at] = rnd.choice((0, 1, 2, 3, 5, 8, 9, 0xFF, out[at] ^ (1 << rnd.randrange(8))))
        elif op < 0.8:
            out[at:at] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 4)))
        elif op < 0.9:
            del out[at:at + rnd.randint(1, 4)]
        else:
            del out[at:]
    return _fix_crcs(bytes(out)) if rnd.random() < 0.7 else bytes(out)


@checked_pillow
def test_seeded_mutations_match_pillow_whenever_answered():
    rnd = random.Random(14)
    answered = 0
    for i in range(3000):
        answered += _check(_mutate(SEEDS[i % len(SEEDS)], rnd))
    # The fast parser must still answer many mutants (values changed, not structure), or this test proves nothing.
    assert answered > 600


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(range(len(SEEDS))), at=st.integers(0, 1 << 16), value=st.integers(0, 255),
       fix=st.booleans())
def test_single_byte_changes_match_pillow_whenever_answered(seed, at, value, fix):
    data = bytearray(SEEDS[seed])
    data[at % _header_end(data)] = value
    _check(_fix_crcs(bytes(data)) if fix else bytes(data))


# ---------------------------------------------------------------- Pillow's tables
def test_tables_are_pillows():
    """The tables the parser copies from Pillow: a Pillow upgrade that changes them fails here."""
    assert headers._PNG_MODES == {k: v[0] for k, v in PngImagePlugin._MODES.items()}
    sizes = {typ: size for typ, (size, _) in TiffImagePlugin.ImageFileDirectory_v2._load_dispatch.items()}
    assert headers.TIFF_TYPE_SIZES == sizes
    handled = {b"IHDR", b"PLTE", b"tRNS", b"tEXt", b"eXIf", b"IDAT"} | set(headers._PNG_MIN) | headers._PNG_UNSURE
    assert handled == {name[6:].encode() for name in dir(PngImagePlugin.PngStream) if name.startswith("chunk_")}


# ---------------------------------------------------------------- real data (opt-in)
@pytest.mark.realdata
@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/realdata is not available")
@checked_pillow
def test_real_images_match_pillow_and_most_take_the_fast_path():
    images = [p for p in sorted(REAL.rglob("*")) if p.is_file() and p.read_bytes()[:4] in (b"\xff\xd8\xff\xe0",
              b"\xff\xd8\xff\xe1", b"\xff\xd8\xff\xdb", b"\x89PNG")]
    answered = sum(_check(p.read_bytes()) for p in images)
    assert len(images) > 900
    assert answered >= 0.95 * len(images)


@checked_pillow
@pytest.mark.parametrize("exif_kib", [20, 40, 63])
def test_a_camera_jpeg_is_read_just_past_its_exif_block(exif_kib):
    """A camera JPEG's header is a long EXIF block (a thumbnail inside) and a few small segments: one read goes
    just past the block. Doubling the buffer there read 60 KiB per image of the real-data JPEGs (header end: 39 KB
    median), twice what their headers hold."""
    exif = _raw_exif("<", (0x0112, 3, 1, _short(6)), data=bytes(exif_kib << 10))
    data = _with_segments(_save(_photo(), "JPEG"), 0xE0, (0xE1, exif))
    end = _header_end(data)
    reads = []

    def read_more(offset, n):
        reads.append((offset, n))
        return data[offset:offset + n]

    p = probe_head(data[:HEAD_BYTES], len(data), read_more)
    assert (p.format, p.width, p.height, p.orientation) == ("JPEG", 64, 48, 6) and p.error is None
    assert tuple(getattr(p, f) for f in FIELDS) == _pillow(data)
    assert len(reads) == 1 and HEAD_BYTES + reads[0][1] <= end + probe._AHEAD


@checked_pillow
def test_a_long_header_of_small_chunks_is_read_in_a_few_growing_reads():
    # The parser starts over on the longer buffer each time the header goes on: growing it by a fixed step made a
    # crafted PNG of 2 MiB of tiny chunks cost 128 reads and 17 s (quadratic); doubling keeps it linear.
    data = _png_file(8, 2, *[(b"tEXt", b"k\x00v")] * 70_000)  # ~1 MiB of chunks before IDAT
    reads = []

    def read_more(offset, n):
        reads.append(n)
        return data[offset:offset + n]

    p = probe_head(data[:HEAD_BYTES], len(data), read_more)
    assert (p.format, p.width, p.height, p.mode) == ("PNG", 5, 3, "RGB") and p.error is None
    assert tuple(getattr(p, f) for f in FIELDS) == _pillow(data)
    assert len(reads) <= 8  # 16 KiB doubled up to ~1 MiB: 6 reads (a fixed 16 KiB step: 64)
