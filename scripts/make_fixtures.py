"""Writes fixtures/invalid/*.jsonl and fixtures/invalid/expected.json (run by hand after changing a case).

Each fixture exercises one rule; the manifest says which codes must appear at which lines, so the test
suite pins every rule to a real file.
"""

import json
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "invalid"
U = "AmlDatastore://images/"


def od(i, *anns, url=None, **extra):
    rec = {"image_url": url or f"{U}od_{i:03}.jpg", "image_details": {"format": "jpg", "width": 640, "height": 480},
           "label": list(anns)}
    rec.update(extra)
    return json.dumps(rec)


def box(label="can", x0=0.1, y0=0.1, x1=0.5, y1=0.5, crowd=0, **extra):
    d = {"label": label, "topX": x0, "topY": y0, "bottomX": x1, "bottomY": y1, "isCrowd": crowd}
    d.update(extra)
    return d


_DEFAULT = object()


def seg(label="can", poly=_DEFAULT, **extra):
    d = {"label": label, "isCrowd": 0, "polygon": [[0.1, 0.1, 0.5, 0.1, 0.5, 0.5]] if poly is _DEFAULT else poly}
    d.update(extra)
    return d


def filler_od(n=10, start=100):
    return [od(start + i, box("can"), box("carton", 0.2, 0.2, 0.6, 0.7)) for i in range(n)]


def isrec(i, *anns, url=None):
    return json.dumps({"image_url": url or f"{U}is_{i:03}.jpg", "label": list(anns)})


def filler_is(n=10, start=100):
    return [isrec(start + i, seg("can"), seg("carton", [[0.2, 0.2, 0.6, 0.2, 0.6, 0.6]])) for i in range(n)]


def mc(i, label, url=None):
    return json.dumps({"image_url": f"{U}mc_{i:03}.jpg" if url is None else url, "label": label})


def filler_mc(n=10, start=100):
    return [mc(start + i, ["can", "carton"][i % 2]) for i in range(n)]


def ml(i, label, url=None):
    return json.dumps({"image_url": url or f"{U}ml_{i:03}.jpg", "label": label})


def filler_ml(n=10, start=100):
    return [ml(start + i, [["can"], ["carton"], ["can", "carton"]][i % 3]) for i in range(n)]


CASES = {}


def case(name, task, lines, expect, args=()):
    """expect: list of (line or None, code); args: the job settings the rule needs (--runtime, ...)."""
    CASES[name] = (task, lines, expect, list(args))


# --- syntax -------------------------------------------------------------------------------------------------
case("AML001-invalid-utf8", "od", [b'{"image_url": "AmlDatastore://images/caf\xe9.jpg", "label": []}'] + filler_od(),
     [(1, "AML001")])
case("AML002-invalid-json", "od", ['{"image_url": "AmlDatastore://images/a.jpg" "label": []}'] + filler_od(),
     [(1, "AML002")])
case("AML003-non-finite-number", "od",
     ['{"image_url": "AmlDatastore://images/a.jpg", "label": [{"label": "can", "topX": NaN, "topY": 0.1, '
      '"bottomX": 0.5, "bottomY": 0.5}]}'] + filler_od(), [(1, "AML003")])
case("AML004-record-not-an-object", "od", ['["AmlDatastore://images/a.jpg", "can"]'] + filler_od(), [(1, "AML004")])
case("AML005-duplicate-key", "mc", ['{"image_url": "AmlDatastore://images/a.jpg", "label": "can", "label": "dog"}']
     + filler_mc(), [(1, "AML005")])
case("AML006-utf8-bom", "mc", [b"\xef\xbb\xbf" + mc(1, "can").encode()] + filler_mc(), [(1, "AML006")])
case("AML007-blank-line", "mc", [mc(1, "can"), "", mc(2, "carton")] + filler_mc(), [(2, "AML007")])
case("AML008-empty-file", "od", [], [(None, "AML008")])
case("AML009-trailing-data", "mc", [mc(1, "can") + ' {"x": 1}'] + filler_mc(), [(1, "AML009")])
case("AML010-integer-overflow", "od", [od(1, box(crowd=12345678901234567890123))] + filler_od(), [(1, "AML010")])
case("AML012-nested-too-deeply", "od", ['{"image_url": "AmlDatastore://images/a.jpg", "label": ' + "[" * 69
     + "]" * 69 + "}"] + filler_od(), [(1, "AML012")])
case("AML013-whitespace-line", "mc", [mc(1, "can"), "  ", mc(2, "carton")] + filler_mc(), [(2, "AML013")])
case("AML014-control-character", "mc", [mc(1, "can").replace('"can"', '"ca\tn"'), mc(2, "can")] + filler_mc(),
     [(1, "AML014")])
# --- schema -------------------------------------------------------------------------------------------------
case("AML102-schema-wrong-type", "mc", [mc(1, 3), mc(2, 4)] + [mc(10 + i, 5 + i % 2) for i in range(10)],
     [(1, "AML102")])
case("AML103-schema-invalid-value", "od",
     [json.dumps({"image_url": f"{U}x.jpg", "image_details": {"format": "gif", "width": "400", "height": 0},
                  "label": [box()]})] + filler_od(), [(1, "AML103")])
case("AML104-record-shape-mismatch", "mc", [ml(1, ["can"])] + filler_mc(), [(1, "AML104"), (1, "AML301")])
# --- image_url ----------------------------------------------------------------------------------------------
case("AML201-image-url-missing", "mc", [json.dumps({"label": "can"}), mc(2, "can", url=None).replace(
    f'"{U}mc_002.jpg"', "null")] + filler_mc(), [(1, "AML201"), (2, "AML201")])
case("AML202-image-url-unresolvable", "mc",
     [mc(1, "can", "images/a.jpg"), mc(2, "can", "AMLDATASTORE://images/b.jpg"), mc(3, "can", " AmlDatastore://images/c.jpg"),
      mc(4, "can", "azureml://datastores/ds/paths/d.jpg"), mc(5, "can", "AmlDatastore:///images/e.jpg"),
      mc(6, "can", "AmlDatastore://images\\f.jpg"), mc(7, "can", "")] + filler_mc(),
     [(n, "AML202") for n in range(1, 8)])
case("AML203-image-url-datastore-only", "mc", [mc(1, "can", "AmlDatastore://Image_01.jpg")] + filler_mc(),
     [(1, "AML203")])
case("AML204-image-url-folder", "mc", [mc(1, "can", "AmlDatastore://images/folder/")] + filler_mc(), [(1, "AML204")])
case("AML205-image-url-normalised", "mc", [mc(1, "can", "AmlDatastore://images//a%20b.jpg?sv=1")] + filler_mc(),
     [(1, "AML205")])
case("AML206-image-url-http", "mc", [mc(1, "can", "https://example.org/a.jpg")] + filler_mc(), [(1, "AML206")])
# --- classification -----------------------------------------------------------------------------------------
case("AML301-multiclass-label-type", "mc", [mc(1, ["can"]), mc(2, 1.5), mc(3, None)] + filler_mc(),
     [(1, "AML301"), (2, "AML301"), (3, "AML301")])
case("AML302-multilabel-label-type", "ml", [ml(1, "can"), ml(2, ["can", 1.5])] + filler_ml(),
     [(1, "AML302"), (2, "AML302")])
case("AML303-multilabel-duplicate-class", "ml", [ml(1, ["can", "can"])] + filler_ml(), [(1, "AML303")])
case("AML304-class-name-whitespace", "mc", [mc(1, "can ")] + filler_mc(), [(1, "AML304")])
# --- annotations --------------------------------------------------------------------------------------------
case("AML401-label-not-a-list", "od", [json.dumps({"image_url": f"{U}a.jpg", "label": box()})] + filler_od(),
     [(1, "AML401")])
case("AML402-annotation-not-an-object", "od", [od(1, "can")] + filler_od(), [(1, "AML402")])
case("AML403-annotation-incomplete", "od",
     [od(1, {"label": "can", "topX": 0.1, "topY": 0.1, "bottomX": 0.5}, box())] + filler_od(), [(1, "AML403")])
case("AML404-coordinate-not-numeric", "od", [od(1, box(x0=None)), od(2, box(x1="abc"))] + filler_od(),
     [(1, "AML404"), (2, "AML404")])
case("AML405-coordinate-coerced", "od", [od(1, box(x0="0.1", y0=" 0.1 ")), od(2, box(x0=False))] + filler_od(),
     [(1, "AML405"), (2, "AML405")])
case("AML406-class-label-type", "od", [od(1, box(label=2.0)), od(2, box(label=None))] + filler_od(),
     [(1, "AML406"), (2, "AML406")])
case("AML407-box-out-of-range", "od", [od(1, box(x1=1.02), box()), od(2, box(y0=-0.01), box())] + filler_od(),
     [(1, "AML407"), (2, "AML407")])
case("AML408-box-inverted", "od", [od(1, box(x0=0.7, x1=0.2), box())] + filler_od(), [(1, "AML408")])
case("AML409-box-zero-size", "od", [od(1, box(x0=0.4, x1=0.4), box())] + filler_od(), [(1, "AML409")])
case("AML410-box-not-finite", "od", [od(1, box(y0="nan"), box())] + filler_od(), [(1, "AML410")])
case("AML411-iscrowd-read-as-zero", "od", [od(1, box(crowd="TRUE")), od(2, box(crowd="yes")), od(3, box(crowd=2))]
     + filler_od(), [(1, "AML411"), (2, "AML411"), (3, "AML411")])
case("AML412-iscrowd-unhashable", "od", [od(1, box(crowd=[]))] + filler_od(), [(1, "AML412")])
case("AML413-polygon-overrides-box", "od", [od(1, box(polygon=[[0.2, 0.2, 0.4, 0.2, 0.4, 0.4]]))] + filler_od(),
     [(1, "AML413")])
case("AML414-class-label-integer", "od", [od(i, box(label=i % 2), box(label=2)) for i in range(12)],
     [(1, "AML414")])
case("AML415-box-likely-pixels", "od", [od(1, box(x0=120, y0=45, x1=380, y1=260), box())] + filler_od(),
     [(1, "AML415")])
case("AML417-background-image-not-trained", "od", [od(1)] + filler_od(), [(1, "AML417")],
     args=["--model-name", "atss_r50_fpn_1x_coco"])
case("AML416-all-annotations-invalid", "od", [od(1, box(x0=0.7, x1=0.2))] + filler_od(), [(1, "AML416")])
# --- polygons -----------------------------------------------------------------------------------------------
case("AML501-polygon-odd-count", "is", [isrec(1, seg(poly=[[0.1, 0.1, 0.5, 0.1, 0.5]]), seg())] + filler_is(),
     [(1, "AML501")])
case("AML502-polygon-not-list-of-lists", "is",
     [isrec(1, seg(poly=[0.1, 0.1, 0.5, 0.1, 0.5, 0.5])), isrec(2, seg(poly=[["0.1", "0.1", "0.5", "0.1", "0.5", "0.5"]]))]
     + filler_is(), [(1, "AML502"), (2, "AML502")])
case("AML503-segment-too-short", "is", [isrec(1, seg(poly=[[0.1, 0.1, 0.5, 0.5], [0.1, 0.1, 0.5, 0.1, 0.5, 0.5]]))]
     + filler_is(), [(1, "AML503")])
case("AML504-segment-out-of-range", "is",
     [isrec(1, seg(poly=[[0.1, 0.1, 1.02, 0.1, 0.5, 0.5], [0.1, 0.1, 0.5, 0.1, 0.5, 0.5]]))] + filler_is(),
     [(1, "AML504")])
case("AML505-polygon-unusable", "is", [isrec(1, seg(poly=[[]]), seg()), isrec(2, seg(poly=None), seg())] + filler_is(),
     [(1, "AML505"), (2, "AML505")])
case("AML506-polygon-zero-area", "is", [isrec(1, seg(poly=[[0.5, 0.1, 0.5, 0.4, 0.5, 0.9]]), seg())] + filler_is(),
     [(1, "AML506")])
case("AML507-annotation-without-polygon", "is", [isrec(1, box(), seg())] + filler_is(), [(1, "AML507")])
case("AML508-polygon-collinear", "is", [isrec(1, seg(poly=[[0.1, 0.1, 0.5, 0.5, 0.9, 0.9]]))] + filler_is(),
     [(1, "AML508")])
case("AML509-polygon-object", "is", [isrec(1, seg(poly={"0": [0.1, 0.1, 0.5, 0.1, 0.5, 0.5]}))] + filler_is(),
     [(1, "AML509")])
case("AML603-mixed-class-types-in-one-image", "od", [od(1, box("can"), box(label=3))] + filler_od(), [(1, "AML603")])
case("AML603-mixed-class-types-in-one-list", "ml", [ml(1, ["can", 2])] + filler_ml(), [(1, "AML603")])
# --- dataset ------------------------------------------------------------------------------------------------
case("AML510-polygon-stray-vertex", "is", [  # written by hand: the exact numbers matter
    b'{"image_url": "AmlDatastore://images/is_001.jpg", "image_details": {"format": "jpg", "width": 640, "height": 480}, "label": [{"label": "can", "isCrowd": 0, "polygon": [[0.0, 0.0, 0.52, 0.31, 0.60, 0.33, 0.64, 0.52, 0.58, 0.71, 0.50, 0.69]]}]}',
    b'{"image_url": "AmlDatastore://images/is_002.jpg", "image_details": {"format": "jpg", "width": 640, "height": 480}, "label": [{"label": "can", "isCrowd": 0, "polygon": [[0.30, 0.30, 0.35, 0.28, 0.40, 0.30, 0.42, 0.35, 0.40, 0.40, 0.35, 0.42, 0.30, 0.40]]}, {"label": "carton", "isCrowd": 0, "polygon": [[0.6, 0.6, 0.9, 0.6, 0.9, 0.9, 0.6, 0.9], [0.1, 0.6, 0.2, 0.6, 0.25, 0.7, 0.2, 0.8, 0.1, 0.8, 0.95, 0.05]]}]}',
    b'{"image_url": "AmlDatastore://images/is_003.jpg", "image_details": {"format": "jpg", "width": 640, "height": 480}, "label": [{"label": "can", "isCrowd": 0, "polygon": [[0.5, 0.1, 0.9, 0.5, 0.5, 0.9, 0.1, 0.5]]}, {"label": "carton", "isCrowd": 0, "polygon": [[0.5, 0.1, 0.88, 0.38, 0.74, 0.82, 0.26, 0.82, 0.12, 0.38]]}]}',
], [(1, "AML510"), (2, "AML510")])
case("AML601-no-objects", "od", [od(i) for i in range(12)], [(None, "AML601")])
case("AML602-no-usable-images", "od", [json.dumps({"image_url": f"{U}{i}.jpg", "label": "can"}) for i in range(3)],
     [(None, "AML602")])
case("AML603-mixed-class-types", "mc", [mc(1, "can"), mc(2, 3)] + filler_mc(), [(None, "AML603")])
case("AML604-duplicate-image-url", "od", [od(1, box())] + filler_od() + [od(1, box("carton"))],
     [(None, "AML604")])
case("AML605-class-sorts-before-background", "od", [od(1, box(" can")), od(2, box("#1"))] + filler_od(),
     [(1, "AML605"), (2, "AML605")])
case("AML606-class-named-background", "od", [od(1, box("--bg--"))] + filler_od(), [(1, "AML606")])
case("AML607-single-image-classification", "mc", [mc(1, "can")], [(None, "AML607")])
case("AML608-too-few-images", "od", filler_od(3), [(None, "AML608")])
case("AML609-class-too-few-examples", "od", [od(1, box("bike"))] + filler_od(), [(None, "AML609")])
case("AML610-class-imbalance", "mc", [mc(i, "can") for i in range(42)] + [mc(50, "carton")], [(None, "AML610")])
case("AML611-single-class", "mc", [mc(i, "can") for i in range(12)], [(None, "AML611")])
case("AML612-class-name-variants", "od", [od(1, box("Can"))] + filler_od(), [(None, "AML612")])
case("AML623-all-invalid-batch", "is", [isrec(1)] + filler_is(), [(1, "AML417"), (None, "AML623")],
     args=["--runtime", "mmdet"])
case("AML624-all-invalid-batch-possible", "od", [od(1), od(2)] + filler_od(), [(1, "AML417"), (None, "AML624")],
     args=["--runtime", "mmdet"])
case("AML625-validation-all-crowd", "od", [od(i, box(crowd=1)) for i in range(12)], [(None, "AML625")],
     args=["--validation-metric", "coco"])


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.jsonl"):
        old.unlink()
    manifest = {}
    for name, (task, lines, expect, args) in CASES.items():
        data = b"".join((line if isinstance(line, bytes) else line.encode()) + b"\n" for line in lines)
        (OUT / f"{name}.jsonl").write_bytes(data)
        manifest[f"{name}.jsonl"] = {"task": task, "expect": [[line, code] for line, code in expect]}
        if args:
            manifest[f"{name}.jsonl"]["args"] = args
    (OUT / "expected.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"{len(CASES)} fixtures written to {OUT}")


if __name__ == "__main__":
    main()
