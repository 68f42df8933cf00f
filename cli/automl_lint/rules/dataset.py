"""AML6xx: facts about the whole file, and about a training/validation pair.

Reported once per file with ``line: null``; the message names the lines involved. The state kept per
record is compact (two machine integers), so memory stays flat on files of millions of lines.
"""

from __future__ import annotations

import hashlib
from array import array
from itertools import compress, repeat
from operator import add
from collections import Counter
from dataclasses import dataclass, field

from automl_lint.problem import Consequence
from automl_lint.rules import rule
from automl_lint.problem import quote

try:  # optional, built from _speedups.c where a C compiler is at hand: the same answer, without a set
    from automl_lint._speedups import distinct as _distinct
except ImportError:  # pragma: no cover - a build without it
    _distinct = None

F = "dataset"

NO_OBJECTS = rule(
    "AML601", "no-objects", "error", "fails-job",
    "No image in the dataset has an object.",
    what="Reports a detection/segmentation dataset in which every image AutoML keeps is a background image.",
    why="AutoML fails the job: 'No objects in dataset. Please ensure that at least one image has one or more "
    "objects.'",
    example='Every line has `"label": []`.',
    fix="Check the export: the annotations are probably missing or all invalid.",
    family=F,
)
NO_USABLE_IMAGES = rule(
    "AML602", "no-usable-images", "error", "fails-job",
    "AutoML would drop every record of the file.",
    what="Reports a file none of whose records survives AutoML's checks.",
    why="The job fails: 'All annotations provided are ill-formed' (detection, segmentation) or "
    "'No valid datapoints found to initialize dataset' (classification).",
    example="A detection file whose `label` values are all single objects instead of lists.",
    fix="Fix the per-line problems reported for the file.",
    family=F,
)
MIXED_CLASS_TYPES = rule(
    "AML603", "mixed-class-types", "error", "fails-job",
    "Class labels have more than one type (e.g. strings and integers).",
    what="Reports datasets whose class labels mix strings, integers and booleans.",
    why="AutoML fails the job: 'More than one type found for the class field' (detection) or a `TypeError` "
    "while sorting the classes (classification).",
    example='One line with `"label": "cat"` and another with `"label": 3`.',
    fix='Use strings everywhere: `"3"`.',
    family=F,
)
DUPLICATE_IMAGE_URL = rule(
    "AML604", "duplicate-image-url", "warning", "alters-value",
    "Several lines name the same `image_url`.",
    what="Reports `image_url` values that appear on more than one line.",
    why="Detection and segmentation merge the annotations of all those lines into one image (duplicated boxes "
    "are trained twice); classification silently keeps only the last line's label.",
    example="Line 3 and line 97 both have `AmlDatastore://ds/img_001.jpg`.",
    fix="Keep one line per image (merge annotations yourself).",
    family=F,
)
CLASS_BEFORE_BACKGROUND = rule(
    "AML605", "class-sorts-before-background", "error", "alters-value",
    "A class name sorts before `--bg--`: R-CNN models treat it as background.",
    what="Reports, on each line where it occurs, a class name that sorts before the string `--bg--` (empty, "
    "starting with a space or one of `!\"#$%&'()*+,`, or `-` followed by those; `-`, `--a`...).",
    why="Faster/Mask R-CNN add a `--bg--` class and sort the classes; index 0 is background. A class sorting "
    "first takes index 0 and is silently never learned.",
    example='`"label": " can"` or `"label": "#1"`',
    fix="Rename the class so that it starts with a letter or a digit.",
    family=F,
)
CLASS_NAMED_BACKGROUND = rule(
    "AML606", "class-named-background", "error", "alters-value",
    "A class is literally named `--bg--`.",
    what="Reports, on each line where it occurs, a class called `--bg--`.",
    why="R-CNN models then have two `--bg--` classes; your objects map to the second and the class list is "
    "off by one.",
    example='`"label": "--bg--"`',
    fix="Rename the class (background images are written as `\"label\": []`).",
    family=F,
)
SINGLE_IMAGE = rule(
    "AML607", "single-image-classification", "error", "fails-job",
    "A classification dataset with one image and no validation data.",
    what="Reports classification training files with exactly one usable image when no validation file is given.",
    why="AutoML splits off a validation set with scikit-learn, which raises 'With n_samples=1 ... the resulting "
    "train set will be empty' and the job fails.",
    example="A one-line `train.jsonl`.",
    fix="Add images, or pass a validation file.",
    family=F,
)
TOO_FEW_IMAGES = rule(
    "AML608", "too-few-images", "warning", "none",
    "The dataset has fewer images than the configured minimum (default 10).",
    what="Reports files with fewer usable images than `min-images`.",
    why="AutoML trains anyway, but a model and its validation metrics on a handful of images mean nothing.",
    example="A 6-line training file.",
    fix="Label more images.",
    family=F,
)
CLASS_TOO_FEW = rule(
    "AML609", "class-too-few-examples", "warning", "none",
    "A class has fewer examples than the configured minimum (default 5).",
    what="Reports classes with fewer examples (images for classification, objects for detection) than "
    "`min-class-examples`. A class that exists only because of another finding (a case or whitespace variant of a "
    "more frequent class, AML612; a value of a minority type, AML603) is not counted: that finding says it.",
    why="With AutoML's random 80/20 split such a class may end up only in one split, and it cannot be learned.",
    example="One 'carton' box in a 500-image dataset.",
    fix="Label more examples of the class or merge it into another.",
    family=F,
)
CLASS_IMBALANCE = rule(
    "AML610", "class-imbalance", "warning", "none",
    "The most frequent class outnumbers the rarest by more than the configured ratio (default 20).",
    what="Reports datasets whose largest-to-smallest class ratio exceeds `max-imbalance-ratio`, over the same "
    "classes as AML609 (not the variants and minority-type values other rules report).",
    why="AutoML only re-weights the loss for classification; detection models mostly ignore rare classes.",
    example="9,000 'car' boxes and 40 'bike' boxes.",
    fix="Label more examples of the rare classes, or weigh the trade-off consciously.",
    family=F,
)
SINGLE_CLASS = rule(
    "AML611", "single-class", "warning", "none",
    "A multi-class dataset with only one class.",
    what="Reports multi-class classification files whose labels are all the same class.",
    why="AutoML trains a one-output model that always answers that class: no check stops it.",
    example='Every line has `"label": "can"`.',
    fix="Add images of the other classes.",
    family=F,
)
CLASS_NAME_VARIANTS = rule(
    "AML612", "class-name-variants", "warning", "none",
    "Class names differ only by case or surrounding whitespace.",
    what="Reports groups of class names equal after lower-casing and trimming (`Can`, `can`, `can `).",
    why="AutoML never normalises class names: each variant is a separate class, splitting its examples.",
    example='`"label": "Can"` on some lines and `"label": "can"` on others.',
    fix="Use one spelling per class.",
    family=F,
)
CLASS_SPLIT_MISMATCH = rule(
    "AML620", "class-split-mismatch", "warning", "none",
    "A class appears in only one of the training and validation files.",
    what="Reports classes present in training but not validation, or the other way round.",
    why="AutoML unions the class lists; a class only in validation is never trained, one only in training is "
    "never evaluated.",
    example="Training has {can, carton}; validation has {can, milk_bottle}.",
    fix="Make both splits cover every class.",
    family=F,
)
YOLO_CLASS_SHIFT = rule(
    "AML621", "yolo-class-index-shift", "error", "alters-value",
    "Different class sets in training and validation silently corrupt YOLOv5 labels.",
    what="Reports detection train/validation pairs whose class sets differ, when YOLOv5 may be trained.",
    why="YOLOv5 precomputes class indices from the training classes and does not recompute them after AutoML "
    "unions and re-sorts the class list: objects are silently trained as another class.",
    example="Training {a, c}, validation {b, c}: every 'c' box is trained as 'b'.",
    fix="Make both splits have exactly the same classes, or exclude yolov5 from the sweep.",
    family=F,
)
SPLIT_LEAKAGE = rule(
    "AML622", "train-validation-leakage", "warning", "none",
    "The same `image_url` is in the training and the validation file.",
    what="Reports images used both for training and validation.",
    why="Validation metrics are inflated: the model is evaluated on images it has seen.",
    example="`AmlDatastore://ds/img_001.jpg` on a line of each file.",
    fix="Remove the image from one of the splits.",
    family=F,
)

ALL_INVALID_BATCH = rule(
    "AML623", "all-invalid-batch", "error", "fails-job",
    "mmdet/hf runtimes: a batch holding only images without a training item is certain.",
    what="Reports, for the mmdet runtime (MMDetection models) and the hf runtime (Hugging Face models), a file in "
    "which some batch must consist only of images that yield no training item (mmdet: background images; both: "
    "images that do not decode, with `--images`), whatever the order: some loader has fewer usable images than "
    "batches. The message gives the numbers: images, images without a training item, the train/validation split "
    "and the batch size (`--batch-size`, default: the runtime's).",
    why="These runtimes drop such an item from its batch and pad the batch with the batch's other images; a batch "
    "with none left fails the job ('All images in the current batch are invalid'). The legacy runtime is not "
    "affected.",
    example="Instance segmentation with an MMDetection model (batch size 1) and one `\"label\": []` line.",
    fix="Remove the images without a training item (or annotate them), or use a larger batch size.",
    family=F,
)
ALL_INVALID_BATCH_POSSIBLE = rule(
    "AML624", "all-invalid-batch-possible", "warning", "none",
    "mmdet/hf runtimes: a batch holding only images without a training item can happen.",
    what="Reports, for the mmdet and hf runtimes, a file in which some order of the images (training reshuffles "
    "every epoch) or some train/validation split puts only images without a training item into one batch: at "
    "least batch-size of them, or enough to fill the last, short batch. The message gives the numbers.",
    why="The job then fails with 'All images in the current batch are invalid'; whether it does depends on the "
    "random order, so a run may pass and its rerun fail.",
    example="Object detection with an MMDetection model (batch size 2) and two background images.",
    fix="Remove the images without a training item (or annotate them).",
    family=F,
)
VALIDATION_ALL_CROWD = rule(
    "AML625", "validation-all-crowd", "error", "fails-job",
    "With COCO metrics, the validation images have no box that is not crowd.",
    what="Reports, when the job computes COCO metrics (`--validation-metric coco` or `coco_voc`, legacy runtime), "
    "a validation file whose boxes are all `isCrowd` (or that has no box), or, without a validation file, a "
    "training file whose automatic 20 % validation split can hold only such images (certain: every image; "
    "possible: at least as many such images as the split takes; the message says which).",
    why="COCO evaluation ignores crowd boxes; AutoML fails the job with 'No non-crowd evaluation ground truth "
    "bounding boxes found'. With the default `voc` metric nothing happens.",
    example='Every validation line is `{"label": [{"label": "people", ..., "isCrowd": 1}], ...}`.',
    fix="Give the validation set images with ordinary boxes, or use the voc metric.",
    family=F,
)

# Class names sorting before "--bg--" take index 0 in the R-CNN class list.
BACKGROUND = "--bg--"

# How an image_url becomes the 8-byte key of the duplicate and leakage checks. str's hash is the fastest and
# agrees within one process and its forked --jobs workers; a Dask run swaps in a hash every process agrees on.
url_hash = hash


def sort_group(t: type) -> str:
    """Python can sort values of one group together (numbers: int, float, bool), never across groups."""
    return "string" if t is str else "null" if t is type(None) else "number"


LONG_CLASS_NAME = 1024  # longer class names are kept as a prefix and a hash of the whole name


def long_class_key(name: str) -> str:
    """A bounded stand-in for a huge class name: distinct names keep distinct keys."""
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{name[:200]}... ({len(name):,} characters, sha256 {digest})"


@dataclass
class DatasetState:
    """Everything dataset-level rules need, mergeable across workers."""

    records: int = 0
    kept: int = 0
    objects: int = 0
    background_images: int = 0
    empty_label_lines: int = 0
    mixed_type_lines: int = 0  # lines already reported for mixing class types within themselves
    classes: Counter = field(default_factory=Counter)  # class value -> count
    class_lines: dict = field(default_factory=dict)    # class value -> first line
    type_lines: dict = field(default_factory=dict)     # type name -> first line
    url_hashes: array = field(default_factory=lambda: array("q"))
    url_lines: array = field(default_factory=lambda: array("I"))  # 4 bytes: up to 4,294,967,295 lines
    line: int = 0  # line being checked (set by the engine)
    format_case: Counter = field(default_factory=Counter)  # image_details.format differing only by case -> lines
    format_case_line: int = 0  # first such line

    def note_format_case(self, value: str) -> None:
        self.format_case[value] += 1
        if not self.format_case_line:
            self.format_case_line = self.line
    # Kinds of non-string classes the mmdet runtime keeps ("number", "null"): it sorts all classes together.
    acft_groups: set = field(default_factory=set)
    merged_backgrounds: int = 0  # background lines whose image other lines annotate (mmdet runtime)
    crowd_only_images: int = 0  # kept images with boxes, all crowd (counted with COCO validation metrics only)
    _url_groups: tuple | None = field(default=None, init=False, repr=False, compare=False)

    def add_class(self, value, t) -> None:
        counts = self.classes
        if value in counts and type(value) is t:
            counts[value] += 1
            return
        if t is str and len(value) > LONG_CLASS_NAME:
            value = long_class_key(value)
        key = (t.__name__, value) if t is not str else value
        counts[key] = counts.get(key, 0) + 1
        if key not in self.class_lines:
            self.class_lines[key] = self.line
        if t.__name__ not in self.type_lines:
            self.type_lines[t.__name__] = self.line

    def keep(self, url: str) -> None:
        """A record AutoML keeps, with its resolvable image_url (the fast paths' commit)."""
        self.url_hashes.append(url_hash(url))
        self.url_lines.append(self.line)
        self.kept += 1

    def count_str_classes(self, names) -> None:
        """Count string class names at C speed; register the new ones with this line.

        Only the names of this record are looked at (a run of many unique classes stays linear), and a name
        longer than LONG_CLASS_NAME is kept under a bounded key (memory stays bounded on huge unique names).
        """
        if type(names) is not list:
            names = list(names)
        counts = self.classes
        known = len(counts)
        counts.update(names)
        if len(counts) != known:
            self.register_str_classes(names)

    def register_str_classes(self, names: list) -> None:
        """After counting ``names`` (strings) into ``classes``: note the line of the new ones, and keep a name
        longer than LONG_CLASS_NAME under its bounded key."""
        counts = self.classes
        class_lines, line = self.class_lines, self.line
        for name in names:
            if name in class_lines:
                continue
            if len(name) > LONG_CLASS_NAME:
                key = long_class_key(name)
                if name in counts:
                    counts[key] = counts.get(key, 0) + counts.pop(name)
                name = key
            class_lines.setdefault(name, line)
        if "str" not in self.type_lines:
            self.type_lines["str"] = line

    def note_new_classes(self, t) -> None:
        """Record where classes counted directly into ``classes`` were first seen."""
        for key in self.classes:
            if key not in self.class_lines:
                self.class_lines[key] = self.line
        if t.__name__ not in self.type_lines:
            self.type_lines[t.__name__] = self.line

    def add_url(self, url: str) -> None:
        self.url_hashes.append(url_hash(url))
        self.url_lines.append(self.line)

    def merge(self, other: "DatasetState", line_offset: int) -> None:
        self.records += other.records
        self.kept += other.kept
        self.objects += other.objects
        self.background_images += other.background_images
        self.empty_label_lines += other.empty_label_lines
        self.mixed_type_lines += other.mixed_type_lines
        self.format_case.update(other.format_case)
        if other.format_case_line and not self.format_case_line:
            self.format_case_line = other.format_case_line + line_offset
        self.acft_groups |= other.acft_groups
        self.crowd_only_images += other.crowd_only_images
        self.merged_backgrounds += other.merged_backgrounds
        for k, v in other.classes.items():
            self.classes[k] = self.classes.get(k, 0) + v
        for k, v in other.class_lines.items():
            self.class_lines.setdefault(k, v + line_offset)
        for k, v in other.type_lines.items():
            self.type_lines.setdefault(k, v + line_offset)
        self.url_hashes.extend(other.url_hashes)
        if line_offset:
            self.url_lines.extend(map(add, other.url_lines, repeat(line_offset)))  # no Python code per line
        else:
            self.url_lines.extend(other.url_lines)

    def url_groups(self) -> list[list[int]]:
        """``duplicate_groups`` of this state's URLs, computed once for the several rules that ask (a set of every
        URL hash: ~0.3 s for a million lines) and again only after more URLs were added."""
        memo = self._url_groups
        if memo is None or memo[0] != len(self.url_hashes):
            memo = self._url_groups = (len(self.url_hashes), duplicate_groups(self.url_hashes, self.url_lines))
        return memo[1]

    def urls_unique(self) -> None:
        """Known by the caller (who counted them as they came): no URL of this state repeats."""
        self._url_groups = (len(self.url_hashes), [])

    def class_counts(self) -> dict:
        """Class -> count, with the display name of each class."""
        return {(k[1] if type(k) is tuple else k): v for k, v in self.classes.items() if v > 0}


def all_distinct(hashes) -> bool:
    """Whether no URL hash repeats: the C helper for an array of 8-byte integers (1M hashes in ~40 ms, against
    ~0.45 s for a set of them), else a set."""
    if _distinct is not None and type(hashes) is array and hashes.itemsize == 8:
        return _distinct(hashes)
    return len(set(hashes)) == len(hashes)


def duplicate_groups(hashes: array, lines: array) -> list[list[int]]:
    """Groups of line numbers sharing one URL hash, in order of first line."""
    if all_distinct(hashes):  # the common case
        return []
    repeated = {h for h, n in Counter(hashes).items() if n > 1}
    groups: dict[int, list[int]] = {}
    for h, line in compress(zip(hashes, lines), map(repeated.__contains__, hashes)):
        groups.setdefault(h, []).append(line)
    return sorted(sorted(g) for g in groups.values())


def _lines(lines: list[int], limit: int = 5) -> str:
    shown = ", ".join(str(n) for n in lines[:limit])
    more = f" and {len(lines) - limit} more" if len(lines) > limit else ""
    return f"line{'s' if len(lines) > 1 else ''} {shown}{more}"


def check_dataset(state: DatasetState, task: str, settings, has_validation: bool, role: str = "training") -> list:
    """Return (rule, message) findings about the whole file, or (rule, message, line) when one line is the place;
    a Consequence after them is this finding's own (see the runtimes)."""
    from automl_lint.rules.schema import FORMAT_CASE

    out: list = []
    if state.format_case:
        n = sum(state.format_case.values())
        values = ", ".join(repr(v) for v, _ in state.format_case.most_common(4))
        out.append((FORMAT_CASE, f"image_details.format is {values} on {n} record(s), first on line "
                    f"{state.format_case_line}: the documented values are lower case (jpg, jpeg, png, ...); AutoML "
                    "never reads this field", state.format_case_line))
    classification = task in ("multiclass", "multilabel")
    if state.records and not state.kept:
        out.append((NO_USABLE_IMAGES, f"none of the {state.records} records survives AutoML's checks; the job fails"))
    elif not classification and state.kept and not state.objects:
        out.append((NO_OBJECTS, f"all {state.kept} usable images are background images (no valid object); the job "
                    "fails with 'No objects in dataset'"))
    from automl_lint.runtime import runtimes_for

    runtimes = runtimes_for(settings, task)
    types = sorted({(k[0] if type(k) is tuple else "str") for k, v in state.classes.items() if v > 0})
    mmdet = "mmdet" in runtimes
    several = " [legacy runtime]" if mmdet and "legacy" in runtimes else ""
    if state.mixed_type_lines:
        pass  # already reported on the lines that mix types (the job fails either way)
    elif ("mmdet" not in runtimes or "legacy" in runtimes) and (
            len(types) > 1 and types != ["bool", "int"] or (types == ["bool", "int"] and not classification)):
        where = ", ".join(f"{t} (first on line {state.type_lines[t]})" for t in types)
        # Point at the line where the second type first appears: where the file starts mixing them.
        second = sorted(state.type_lines[t] for t in types)[1]
        out.append((MIXED_CLASS_TYPES, f"class labels have several types: {where}; the job fails{several}", second))
    elif mmdet:
        groups = state.acft_groups | {sort_group(str if t == "str" else type(None) if t == "NoneType" else int)
                                      for t in types}
        if len(groups) > 1:
            where = ", ".join(f"{t} (first on line {state.type_lines[t]})" for t in types if t in state.type_lines)
            out.append((MIXED_CLASS_TYPES, f"class labels mix {', '.join(sorted(groups))} ({where}): the mmdet "
                        "runtime cannot sort them (TypeError), the job fails" + (" [mmdet runtime]" if several
                                                                                   else "")))
    out.extend(_batch_findings(state, task, settings, runtimes, has_validation))
    if role == "validation" or not has_validation:  # COCO evaluation reads the validation data
        out.extend(_crowd_findings(state, task, settings, has_validation))

    groups = state.url_groups()
    if groups:
        extra = sum(len(g) - 1 for g in groups)
        effect = ("AutoML keeps only the last line's label for each" if classification
                  else "AutoML merges their annotations into one image")
        sample = "; ".join(_lines(g, 4) for g in groups[:5])
        more = f" (and {len(groups) - 5} more groups)" if len(groups) > 5 else ""
        out.append((DUPLICATE_IMAGE_URL, f"{len(groups)} image_url value(s) appear on several lines ({extra} extra "
                    f"line(s)): {sample}{more}; {effect}"))

    names = state.class_counts()
    str_names = [c for c in names if type(c) is str]
    if classification and state.kept == 1 and not has_validation:
        out.append((SINGLE_IMAGE, "only one usable image and no validation file: AutoML's train/validation split "
                    "fails"))
    if state.kept and state.kept < settings.min_images:
        out.append((TOO_FEW_IMAGES, f"only {state.kept} usable image(s) (minimum {settings.min_images})"))
    counted = _real_classes(names, state)
    if counted:
        few = sorted((v, str(c)) for c, v in counted.items() if v < settings.min_class_examples)
        if few:
            unit = "image(s)" if classification else "object(s)"
            shown = ", ".join(f"{quote(c)}: {v}" for v, c in few[:8])
            more = f" and {len(few) - 8} more" if len(few) > 8 else ""
            out.append((CLASS_TOO_FEW, f"{len(few)} class(es) have fewer than {settings.min_class_examples} "
                        f"{unit}: {shown}{more}"))
        if len(counted) > 1:
            (lo_n, lo), (hi_n, hi) = min((v, str(c)) for c, v in counted.items()), max(
                (v, str(c)) for c, v in counted.items())
            if lo_n and hi_n / lo_n > settings.max_imbalance_ratio:
                out.append((CLASS_IMBALANCE, f"class {quote(hi)} has {hi_n} examples and {quote(lo)} only {lo_n} (ratio "
                            f"{hi_n / lo_n:.0f} > {settings.max_imbalance_ratio:g})"))
        if task == "multiclass" and len(names) == 1 and state.kept > 1:
            only = next(iter(names))
            out.append((SINGLE_CLASS, f"every usable image has the class {quote(only)}: the model can only answer that"))
        variants: dict = {}
        for c in str_names:
            variants.setdefault(c.strip().casefold(), []).append(c)
        clashes = [sorted(v) for v in variants.values() if len(v) > 1]
        for group in sorted(clashes)[:10]:
            shown = ", ".join(f"{quote(c)} (line {state.class_lines[c]})" for c in group)
            out.append((CLASS_NAME_VARIANTS, f"class names {shown} differ only by case or whitespace: AutoML trains "
                        "them as separate classes"))
    return out


def _real_classes(names: dict, state: DatasetState) -> dict:
    """The classes for the class statistics (AML609, AML610): not those that exist only because of another
    finding, i.e. a spelling variant of a more frequent class (AML612) or a value of a minority type when
    class types are mixed (AML603)."""
    counted = dict(names)
    variants: dict = {}
    for c, n in names.items():
        if type(c) is str:
            variants.setdefault(c.strip().casefold(), []).append((n, c))
    for group in variants.values():
        if len(group) > 1:
            keep = max(group, key=lambda nc: (nc[0], nc[1]))[1]
            for _, c in group:
                if c != keep:
                    counted.pop(c, None)
    by_type: dict = {}
    for c, n in counted.items():
        by_type[type(c).__name__] = by_type.get(type(c).__name__, 0) + n
    if len(by_type) > 1:
        main = max(by_type, key=by_type.get)
        counted = {c: n for c, n in counted.items() if type(c).__name__ == main}
    return counted


def _distinct_images(state: DatasetState) -> int:
    groups = state.url_groups()
    return state.kept - sum(len(g) - 1 for g in groups)


def _batch_findings(state: DatasetState, task: str, settings, runtimes: tuple, has_validation: bool,
                    undecodable: int = 0) -> list:
    """AML623/AML624: can a batch of the mmdet/hf runtime hold only images without a training item?

    mmdet: background images and (with --images) undecodable ones; hf: undecodable images."""
    from automl_lint import runtime

    acft = [r for r in runtimes if r != "legacy"]
    if not acft or not state.kept:
        return []
    background = state.background_images - state.merged_backgrounds if acft == ["mmdet"] else 0
    n, k = _distinct_images(state), min(background + undecodable, state.kept)
    if k <= 0:
        return []
    kinds = [w for w, c in (("background images (label [])", background), ("undecodable images", undecodable))
             if c]
    worst = None
    for source, b in runtime.batch_sizes(settings, task):
        if has_validation:  # this file is a whole loader: the training file, or the validation file
            risk, numbers = runtime.loader_risk(n, k, b), f"{k} of {n} image(s) yield no training item, batch size {b}"
        else:
            risk, numbers = runtime.batch_risk(n, k, b)
        if worst is None or risk > worst[0]:
            worst = (risk, numbers, source)
    risk, numbers, source = worst
    what, name = " and ".join(kinds), acft[0]
    if risk == runtime.CERTAIN:
        return [(ALL_INVALID_BATCH, f"a batch made only of {what} is certain in the {name} runtime: {numbers} "
                 f"({source}); 'All images in the current batch are invalid' fails the job")]
    if risk == runtime.POSSIBLE:
        return [(ALL_INVALID_BATCH_POSSIBLE, f"a batch made only of {what} is possible in the {name} runtime: "
                 f"{numbers} ({source}); if the shuffle puts them together the job fails")]
    return []


def batch_findings_with_images(result, settings) -> list:
    """The batch rule again once the image files are checked: undecodable images yield no training item."""
    from automl_lint.runtime import runtimes_for

    undecodable = len({p.line for p in result.problems if p.code == "AML702" and p.line is not None})
    if not undecodable or result.task is None or not settings_dataset_checks(settings):
        return []
    return _batch_findings(result.state, result.task, settings, runtimes_for(settings, result.task),
                           bool(getattr(settings, "has_validation", False)), undecodable)


def settings_dataset_checks(settings) -> bool:
    return settings.kind == "training" and settings.dataset_checks


def _crowd_findings(state: DatasetState, task: str, settings, has_validation: bool) -> list:
    """AML625: COCO evaluation without a non-crowd box fails the job."""
    from automl_lint.runtime import counts_crowd, split_sizes

    if not counts_crowd(settings, task) or not state.kept:
        return []
    n = _distinct_images(state)
    without = min(n, state.background_images + state.crowd_only_images)
    metric = settings.validation_metric
    if without >= n and n:
        where = "the validation file" if has_validation else "the file (and so its automatic validation split)"
        return [(VALIDATION_ALL_CROWD, f"no image of {where} has a box that is not crowd ({without} image(s)): "
                 f"with validation_metric_type {metric} the legacy runtime fails the job with 'No non-crowd "
                 "evaluation ground truth bounding boxes found'")]
    if not has_validation:
        _train, n_val = split_sizes(n)
        if without >= n_val:
            return [(VALIDATION_ALL_CROWD, f"{without} of {n} image(s) have no box that is not crowd and the automatic "
                     f"validation split takes {n_val}: if it takes only those, validation_metric_type {metric} "
                     "fails the job ('No non-crowd evaluation ground truth bounding boxes found')",
                     Consequence.NONE)]
    return []


def check_pair(train: DatasetState, valid: DatasetState, task: str, settings) -> list:
    """Findings about a training/validation pair (reported on the validation file)."""
    out: list = []
    tc = {k for k, v in train.classes.items() if v > 0}
    vc = {k for k, v in valid.classes.items() if v > 0}
    only_t = sorted(map(str, tc - vc))
    only_v = sorted(map(str, vc - tc))
    if only_t or only_v:
        parts = []
        if only_v:
            parts.append(f"only in validation: {', '.join(map(quote, only_v[:8]))} (never trained)")
        if only_t:
            parts.append(f"only in training: {', '.join(map(quote, only_t[:8]))} (never evaluated)")
        out.append((CLASS_SPLIT_MISMATCH, "; ".join(parts)))
        if task == "object-detection" and settings.uses_yolo(task):
            out.append((YOLO_CLASS_SHIFT, "the training and validation class sets differ: YOLOv5 keeps the class "
                        "indices of the training set and trains objects under the wrong class"))
    train_hashes = set(train.url_hashes)
    leaked = [ln for h, ln in zip(valid.url_hashes, valid.url_lines) if h in train_hashes]
    if leaked:
        out.append((SPLIT_LEAKAGE, f"{len(leaked)} validation image(s) are also in the training file: "
                    f"{_lines(leaked)}"))
    return out
