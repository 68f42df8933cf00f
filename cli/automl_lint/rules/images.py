"""AML7xx: the image files behind ``image_url`` (opt-in: ``--images``).

AutoML only checks that the file exists when it builds the dataset; it decodes images lazily with Pillow
(classification, Faster/Mask R-CNN, RetinaNet: ``Image.open(path).convert("RGB")``) or OpenCV (YOLOv5), and
silently drops those it cannot read. ``image_details`` is never compared with the real image.
"""

from __future__ import annotations

import os

from automl_lint.rules import rule
from automl_lint.problem import quote

F = "images"

NOT_LOCATED = rule(
    "AML700", "image-not-located", "info", "none",
    "No `--image-root`, `--datastore` or `--map` says where this image is: it was not checked.",
    what="Reports records whose `image_url` no image location option covers when `--images` is on.",
    why="The image checks could not run for this record.",
    example="`--map azureml://.../paths/LocalUpload/ab12/=./data` does not cover `AmlDatastore://other/a.jpg`",
    fix="Add a `--datastore NAME=LOCATION` or `--map URL_PREFIX=LOCATION` for it.",
    family=F,
)
FILE_MISSING = rule(
    "AML701", "image-file-missing", "error", "drops-image",
    "The image file does not exist.",
    what="Reports an `image_url` whose file is not found at the mapped location.",
    why="AutoML's dataset check (`os.path.exists`) fails: 'File not found', the image is silently dropped "
    "(the job fails when `ignore_data_errors` is off).",
    example="`AmlDatastore://ds/lemon_Dataset/a.jpg` while the folder is `lemon_dataset` (paths are case-sensitive)",
    fix="Upload the image or correct the path (mind letter case and spaces).",
    family=F,
)
UNDECODABLE = rule(
    "AML702", "image-undecodable", "error", "drops-image",
    "The file cannot be decoded as an image (empty, truncated, corrupt or not an image).",
    what="Reports files Pillow cannot identify (header mode) or decode (`--images=full`).",
    why="AutoML logs 'Exception occurred when trying to read the image. This file will be ignored.' and "
    "drops the image every epoch; for YOLOv5 the whole 4-image mosaic sample is lost.",
    example="A 0-byte `img_17.jpg`, or a JPEG cut off during upload.",
    fix="Re-export or re-upload the image; remove it from the JSONL if it is lost.",
    family=F,
)
FORMAT_MISMATCH = rule(
    "AML703", "image-format-mismatch", "warning", "none",
    "The real image format differs from the file extension or from `image_details.format`.",
    what="Reports images whose content (as Pillow sniffs it) is not what the extension or "
    "`image_details.format` says.",
    why="AutoML sniffs the content, so training works, but other tools (converters, labeling UIs, OpenCV "
    "builds without a codec) trust the extension, and the declared details are wrong.",
    example="`Car (2).jpg` that is really WEBP.",
    fix="Rename the file to its real extension, or convert it, and fix `image_details.format`.",
    family=F,
)
SIZE_MISMATCH = rule(
    "AML704", "image-size-mismatch", "warning", "none",
    "`image_details` width/height differ from the real image size.",
    what="Reports `image_details.width`/`height` (numbers or `\"128px\"` strings) that differ from the decoded "
    "size.",
    why="AutoML ignores `image_details`, but a wrong size usually means the annotations were made on another "
    "version of the image, or a converter shared one details object across lines.",
    example='`"image_details": {"width": "128px", "height": "1286px"}` for a 128x128 image',
    fix="Write the real size (or drop `image_details`); check the annotations were made on this image.",
    family=F,
)
EXIF_ROTATED = rule(
    "AML705", "image-exif-rotated", "warning", "alters-value",
    "The image has an EXIF orientation other than 1: models disagree on which way is up.",
    what="Reports JPEG/TIFF/WebP images whose EXIF Orientation tag is 2-8.",
    why="AutoML's PIL path (classification, Faster/Mask R-CNN, RetinaNet) ignores the tag and sees raw pixels; "
    "YOLOv5 (OpenCV) applies it. Boxes drawn on the rotated view (as labeling tools show it) land in the "
    "wrong place for PIL models.",
    example="A phone photo with Orientation=6 (rotated 90 degrees).",
    fix="Bake the rotation into the pixels (`PIL.ImageOps.exif_transpose`) before labeling and training.",
    family=F,
)
COLOUR_MODE = rule(
    "AML706", "image-colour-mode", "warning", "alters-value",
    "The image's colour mode is silently altered by AutoML's RGB conversion.",
    what="Reports images with transparency (RGBA, LA, PA, palette with transparency), 16/32-bit integer or float "
    "pixels, or CMYK.",
    why="`convert(\"RGB\")` drops alpha (transparent pixels show their hidden colour), clips 16-bit values to 255 "
    "(mostly white) and converts CMYK naively: the model trains on other pixels than you see.",
    example="A PNG screenshot with an alpha channel; a 16-bit grayscale X-ray.",
    fix="Convert to 8-bit RGB yourself, choosing the background and scaling.",
    family=F,
)
GIF_YOLO = rule(
    "AML707", "image-gif-yolov5", "error", "drops-image",
    "A GIF image in an object-detection dataset that YOLOv5 may train on.",
    what="Reports GIF images when the task is object detection and the model is YOLOv5 (or all models).",
    why="OpenCV has no GIF decoder: `cv2.imdecode` returns None and YOLOv5 silently drops the image (PIL models "
    "read the first frame).",
    example="`AmlDatastore://ds/anim.gif` in a detection dataset.",
    fix="Convert GIFs to PNG or JPEG.",
    family=F,
)
DECOMPRESSION_BOMB = rule(
    "AML708", "image-too-many-pixels", "error", "drops-image",
    "The image has more pixels than Pillow's decompression-bomb limit (178,956,970).",
    what="Reports images Pillow refuses to open as a possible decompression bomb.",
    why="The exception is caught by AutoML's reader and the image is dropped.",
    example="A 20000x10000 satellite mosaic.",
    fix="Tile or downscale the image.",
    family=F,
)
TINY_IMAGE = rule(
    "AML709", "image-very-small", "warning", "none",
    "The image is smaller than 32 pixels on a side.",
    what="Reports images whose width or height is below 32 pixels.",
    why="AutoML upscales it to the model's input size (224-800 px): there is little to learn and small "
    "objects vanish.",
    example="A 29x31 traffic-sign crop.",
    fix="Check the image is not a thumbnail or a broken export; consider a smaller model input size.",
    family=F,
)
TINY_BOX = rule(
    "AML710", "box-tiny-at-image-size", "warning", "none",
    "A box is smaller than 4 pixels once scaled to the real image size.",
    what="Reports boxes (or polygon extents) narrower or lower than 4 pixels at the decoded image size.",
    why="Such boxes are usually labeling slips; the model cannot learn from a few pixels.",
    example="A box 0.001 wide on a 1000-pixel image (1 px).",
    fix="Remove or redraw the box.",
    family=F,
)
TINY_BOX_YOLO = rule(
    "AML711", "box-dropped-by-yolov5", "warning", "drops-annotation",
    "A box is 2 pixels or less at YOLOv5's 640-pixel training size: YOLOv5 discards it.",
    what="Reports detection boxes whose side is at most 2 px once the image is scaled to 640 px on its long side, "
    "when YOLOv5 may be trained.",
    why="YOLOv5's augmentation drops boxes of 2 px or less: they are never trained on.",
    example="A 3x3 px box on a 1500x1000 image (1.3 px at 640).",
    fix="Remove such boxes, tile the images, or train with a larger image size.",
    family=F,
)
DUPLICATE_CONTENT = rule(
    "AML712", "image-duplicate-content", "warning", "none",
    "The same image content appears under different `image_url`s.",
    what="Reports records whose image bytes are identical to an earlier record's image under another name.",
    why="The image is trained twice (more weight) and, after AutoML's random split, may be both trained on "
    "and validated against.",
    example="`Car (1).jpg` and `Car (1) copy.jpg` with identical bytes.",
    fix="Keep one copy.",
    family=F,
)
CONTENT_LEAKAGE = rule(
    "AML713", "image-leaks-into-validation", "warning", "none",
    "A validation image has the same content as a training image under another `image_url`.",
    what="Reports validation records whose image bytes equal those of a training image with a different URL.",
    why="Validation metrics are inflated: the model has seen the image.",
    example="`train/cat_1.jpg` and `val/cat_1_copy.jpg` are the same file.",
    fix="Remove the copy from one of the two sets.",
    family=F,
)
OUTSIDE_ROOT = rule(
    "AML714", "image-path-outside-root", "error", "drops-image",
    "The `image_url` resolves outside the folder or container it was mapped to: the image was not read.",
    what="Reports an `image_url` whose path leaves its `--image-root`, `--datastore` or `--map` location: `..` "
    "segments, or a symbolic link inside the root pointing elsewhere. automl-lint refuses to read such a file.",
    why="AutoML resolves the path inside its own download folder for the datastore; a path that climbs out of it "
    "names a file AutoML does not have (the image is dropped), and a linter must never be tricked into reading "
    "arbitrary files (`AmlDatastore://ds/../../etc/passwd`).",
    example='`"image_url": "AmlDatastore://ds/images/../../../secrets/key.jpg"`',
    fix="Write the path inside the datastore, without `..`; copy linked images into the root instead of "
    "linking to them.",
    family=F,
)
UNREADABLE = rule(
    "AML715", "image-unreadable", "error", "none",
    "The image could not be read (timeout, permission, network, size limit): it was not checked.",
    what="Reports an image that exists but that automl-lint could not read: permission denied, a Blob Storage "
    "operation that failed or exceeded its timeout (30 s), or a file larger than 1 GiB.",
    why="Nothing is known about the image; the same failure when AutoML reads it would drop the image or fail "
    "the job.",
    example="A Blob container behind a firewall that lets listing through but times out on reads.",
    fix="Check permissions and connectivity and lint again.",
    family=F,
)

LOCATION_SUSPECT = rule(
    "AML716", "image-location-suspect", "error", "none",
    "Most located images of the file are missing: the image location given to automl-lint is probably wrong.",
    what="Reports, once per file, that most images were not found where `--image-root`, `--datastore` or `--map` "
    "put them; shows one looked-up path and suggests a fix (a folder differing only by letter case, or the "
    "`--map` prefix). The missing images are then not reported one by one (`AML701`) nor counted as AutoML's drops.",
    why="When nearly every image is missing, the mapping from `image_url` to files is wrong far more often than the "
    "data; blaming AutoML for dropping every image would hide the real mistake.",
    example="`--image-root ./data` while the images are in `./data/images`, or `Lemon_Dataset` on disk for "
    "`lemon_dataset` in the URLs.",
    fix="Point `--image-root`/`--datastore` at the folder holding the datastore's files, or add "
    "`--map URL_PREFIX=FOLDER` for the prefix the image_url values share.",
    family=F,
)

MIN_IMAGE_SIDE = 32
MIN_BOX_PIXELS = 4
YOLO_SIZE = 640
YOLO_MIN_BOX = 2
PIXEL_LIMIT = 178_956_970

# File extension -> Pillow format name.
EXTENSION_FORMATS = {
    "jpg": "JPEG", "jpeg": "JPEG", "jpe": "JPEG", "jfif": "JPEG", "png": "PNG", "bmp": "BMP", "gif": "GIF",
    "tif": "TIFF", "tiff": "TIFF", "webp": "WEBP", "ico": "ICO", "ppm": "PPM", "pgm": "PPM", "pbm": "PPM",
}
# Pillow names a multi-picture JPEG "MPO": it is still a JPEG file.
_SAME_AS = {"MPO": "JPEG"}
_ALPHA_MODES = {"RGBA", "LA", "PA", "RGBa", "La"}
_DEEP_MODES = {"I", "F"}
_PLAIN_MODES = frozenset(("RGB", "L", "1", ""))  # modes no AML706 finding is about


def _format_name(value) -> str | None:
    if type(value) is not str or not value.strip():
        return None
    name = value.strip().lstrip(".").upper()
    name = EXTENSION_FORMATS.get(name.lower(), name)
    return _SAME_AS.get(name, name)


# The usual values of image_details.format, named once: the rules run for every image of an --images run.
_FORMAT_NAMES = {v: _format_name(v) for k in EXTENSION_FORMATS for v in (k, k.upper(), "." + k, "." + k.upper())}


_POSIX_PATHS = os.sep == "/" and not os.altsep


def _extension(url: str) -> str:
    """The lower-case extension of ``url`` without its query: ``os.path.splitext(...)[1].lstrip('.').lower()``."""
    path = url.split("?", 1)[0] if "?" in url else url
    if not _POSIX_PATHS:  # another platform's rules: its own splitext
        return os.path.splitext(path)[1].lstrip(".").lower()
    dot = path.rfind(".")
    start = path.rfind("/") + 1
    # No dot in the name, or only leading dots (".jpg"): no extension.
    if dot <= start or path[start] == "." and not path[start:dot].strip("."):
        return ""
    return path[dot + 1:].lower()


def _declared_size(value) -> int | None:
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    if type(value) is str:
        text = value.strip().lower().removesuffix("px").strip()
        if text.isascii() and text.isdigit():  # "²" is a digit to str.isdigit, not to int()
            return int(text)
    return None


def check_image(ref: tuple, probe, location: str, task: str | None, settings, out: list,
                yolo: bool | None = None) -> None:
    """Append (rule, pointer, message) findings about one record's image (``ref``: ``refs.image_ref``'s; ``yolo``:
    ``settings.uses_yolo(task)``, given by a caller that checks many images of one file)."""
    if yolo is None:
        yolo = settings.uses_yolo(task or "")
    _, url, details, boxes = ref
    if probe.unreadable:
        out.append((UNREADABLE, "/image_url", f"cannot read {location}: {probe.unreadable}; the image was not "
                    "checked"))
        return
    if not probe.exists:
        out.append((FILE_MISSING, "/image_url", f"image not found at {location}; AutoML drops the image"))
        return
    if probe.pixels is not None or probe.error is None and probe.width and \
            probe.width * probe.height > PIXEL_LIMIT:
        pixels = probe.pixels or probe.width * probe.height
        out.append((DECOMPRESSION_BOMB, "/image_url", f"the image has {pixels:,} pixels, above Pillow's limit of "
                    f"{PIXEL_LIMIT:,}; AutoML's reader fails and drops the image"))
        return
    if probe.error is not None:
        out.append((UNDECODABLE, "/image_url", f"{probe.error}; AutoML drops the image"))
        return
    real = _SAME_AS.get(probe.format, probe.format)
    # _extension(url), its usual case inline (a name not starting with a dot, no query): this runs for every image.
    dot, start = url.rfind("."), url.rfind("/") + 1
    if dot > start and url[start] != "." and "?" not in url and _POSIX_PATHS:
        said = EXTENSION_FORMATS.get(url[dot + 1:].lower())
    else:
        said = EXTENSION_FORMATS.get(_extension(url))
    declared = None
    if details is not None:
        value = details[0]
        declared = _FORMAT_NAMES.get(value) if type(value) is str else None
        if declared is None:
            declared = _format_name(value)
    if said is not None and said != real or declared is not None and declared != real:
        mismatch = []
        if said is not None and said != real:
            mismatch.append(f"its extension says {said}")
        if declared is not None and declared != real:
            mismatch.append(f"image_details.format says {quote(details[0])}")
        out.append((FORMAT_MISMATCH, "/image_url", f"the file is {probe.format} but " + " and ".join(mismatch)))
    width, height = probe.width, probe.height
    if details is not None:
        _, declared_width, declared_height = details
        if not (declared_width == width and type(declared_width) is int and declared_height == height
                and type(declared_height) is int):
            for key, value, real_size in (("width", declared_width, width), ("height", declared_height, height)):
                size = value if type(value) is int else _declared_size(value)
                if size is not None and size != real_size:
                    out.append((SIZE_MISMATCH, f"/image_details/{key}", f"image_details.{key} is {quote(value)} "
                                f"but the image is {width}x{height}"))
    if probe.orientation not in (0, 1):
        turned = probe.orientation >= 5
        what = "rotated by 90 degrees" if turned else "mirrored or upside down"
        boxes_note = " Boxes drawn on the rotated view are wrong for PIL-based models." if boxes else ""
        out.append((EXIF_ROTATED, "/image_url", f"EXIF orientation {probe.orientation} ({what}): YOLOv5 applies it, "
                    f"the PIL-based models do not.{boxes_note}"))
    mode = probe.mode or ""
    if mode in _PLAIN_MODES:
        pass
    elif mode in _ALPHA_MODES or (mode == "P" and probe.transparency):
        out.append((COLOUR_MODE, "/image_url", f"mode {mode} with transparency: converting to RGB drops the alpha "
                    "channel (transparent pixels show their hidden colour)"))
    elif mode.startswith("I;16") or mode in _DEEP_MODES:
        out.append((COLOUR_MODE, "/image_url", f"mode {mode} (more than 8 bits per pixel): PIL clips values above "
                    "255 when converting to RGB, the image turns mostly white"))
    elif mode == "CMYK":
        out.append((COLOUR_MODE, "/image_url", "CMYK image: converted to RGB naively, colours shift"))
    if real == "GIF" and yolo:
        out.append((GIF_YOLO, "/image_url", "GIF image: YOLOv5's OpenCV reader cannot decode GIF and drops it"))
    if width < MIN_IMAGE_SIDE or height < MIN_IMAGE_SIDE:
        out.append((TINY_IMAGE, "/image_url", f"the image is only {width}x{height} pixels"))
    if boxes:
        _check_boxes(boxes, probe, task, yolo, out)


def _check_boxes(boxes: list, probe, task, yolo: bool, out: list) -> None:
    width, height = probe.width, probe.height
    if probe.orientation >= 5 and yolo:
        width, height = height, width  # YOLOv5 sees the rotated image
    scale = YOLO_SIZE / max(width, height) if task == "object-detection" and yolo else None
    tiny, dropped = [], []
    for i in range(0, len(boxes), 2):  # one loop: this runs for every image of an --images run
        w, h = boxes[i] * width, boxes[i + 1] * height
        side = h if h < w else w  # min(w, h) without the call: NaN and ties give what min() gives
        if 0 < side < MIN_BOX_PIXELS:
            tiny.append(i // 2)
        if scale is not None and 0 < side * scale <= YOLO_MIN_BOX:
            dropped.append(i // 2)
    if tiny:
        w, h = boxes[2 * tiny[0]], boxes[2 * tiny[0] + 1]
        out.append((TINY_BOX, f"/label/{tiny[0]}", f"{len(tiny)} box(es) smaller than {MIN_BOX_PIXELS} px at "
                    f"{width}x{height} (the first is {w * width:.1f}x{h * height:.1f} px)"))
    if dropped:
        out.append((TINY_BOX_YOLO, f"/label/{dropped[0]}", f"{len(dropped)} box(es) are {YOLO_MIN_BOX} px or "
                    f"less at YOLOv5's {YOLO_SIZE}-px size: YOLOv5 never trains on them"))
