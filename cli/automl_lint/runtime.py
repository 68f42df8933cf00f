"""Which of AutoML's training runtimes reads the data, and the job settings that change what it does.

AutoML for Images runs one of two code bases on a training JSONL:

- ``legacy``: ``azureml-automl-dnn-vision``, used when the job names no ``model_name`` or only built-in models
  (yolov5, fasterrcnn_*, maskrcnn_*, retinanet_*, resnet*, vit*r224, ...);
- the pipeline components of the ``azureml-acft-*`` packages for every other model name: ``mmdet``
  (MMDetection models, object detection and instance segmentation) and ``hf`` (Hugging Face models,
  classification).

AutoML's framework selector (``finetune_acft_image/src/framework_selector/framework_selector.py`` in
``Azure/azureml-assets``) decides per task by an exact match of the name against the built-in models of the task:
anything else runs the pipeline components. :func:`runtimes_for` reproduces that for the names of a sweep.
"""

from __future__ import annotations

import functools
import math

RUNTIMES = ("legacy", "mmdet", "hf")
VALIDATION_METRICS = ("voc", "coco", "coco_voc")

# The framework selector's lists: an exact, case-sensitive match runs the legacy runtime.
_LEGACY_NAMES = {
    "classification": frozenset((
        "mobilenetv2", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnest50", "resnest101",
        "seresnext", "vits16r224", "vitb16r224", "vitl16r224")),
    "object-detection": frozenset((
        "yolov5", "fasterrcnn_resnet18_fpn", "fasterrcnn_resnet34_fpn", "fasterrcnn_resnet50_fpn",
        "fasterrcnn_resnet101_fpn", "fasterrcnn_resnet152_fpn", "retinanet_resnet50_fpn")),
    "instance-segmentation": frozenset((
        "maskrcnn_resnet18_fpn", "maskrcnn_resnet34_fpn", "maskrcnn_resnet50_fpn", "maskrcnn_resnet101_fpn",
        "maskrcnn_resnet152_fpn")),
}

# Per-device batch sizes of the acft trainer defaults (FT/defaults/task_defaults.py and the per-family classes
# of multiclass_/multilabel_classification_models_defaults.py); a Hugging Face model outside the known
# families gets the Hugging Face trainer default of 8.
DETECTION_BATCH = {"object-detection": 2, "instance-segmentation": 1}
HF_FAMILY_BATCH = {
    "google/vit-base-patch16-224": 72,
    "microsoft/beit-base-patch16-224-pt22k-ft22k": 72,
    "facebook/deit-base-patch16-224": 60,
    "apple/mobilevit-small": 16,
    "microsoft/swinv2-base-patch4-window12-192-22k": 12,
}
HF_DEFAULT_BATCH = 8
ACFT_VALIDATION_SIZE = 0.2  # the automatic split when no validation data is given (both runtimes)


def _group(task: str) -> str:
    return "classification" if task in ("multiclass", "multilabel") else task


def acft_name(task: str) -> str:
    return "hf" if _group(task) == "classification" else "mmdet"


def select(model_name: str, task: str) -> str:
    """The runtime AutoML's framework selector picks for one ``model_name`` of a task."""
    if model_name in _LEGACY_NAMES[_group(task)]:
        return "legacy"
    return acft_name(task)


def legacy_model(model_name: str) -> str | None:
    """The ``--model`` family of a built-in detection model name."""
    for family in ("fasterrcnn", "maskrcnn", "retinanet", "yolov5"):
        if model_name.startswith(family):
            return family
    return None


def runtimes_for(settings, task: str | None) -> tuple[str, ...]:
    """The runtimes that may read this task's data, legacy first."""
    if task is None:
        return ("legacy",)
    names = settings.model_names
    if names:
        chosen = {select(n, task) for n in names}
    elif settings.runtime in ("mmdet", "hf"):
        chosen = {acft_name(task)}
    else:
        chosen = {"legacy"}
    return tuple(r for r in RUNTIMES if r in chosen)


def legacy_models(settings, task: str) -> set[str]:
    """The legacy models of the run: from ``--model-name`` when given, else ``--model`` ("all": every one)."""
    if settings.model_names and _group(task) != "classification":
        found = {legacy_model(n) for n in settings.model_names if select(n, task) == "legacy"}
        return {m for m in found if m} or {"none"}
    return {settings.model}


def batch_sizes(settings, task: str) -> list[tuple[str, int]]:
    """(what it comes from, per-device batch size) for each acft model of the run."""
    if settings.batch_size:
        return [("--batch-size", settings.batch_size)]
    if _group(task) != "classification":
        return [(f"the MMDetection default for {task}", DETECTION_BATCH[task])]
    names = [n for n in settings.model_names if select(n, task) == "hf"]
    if not names:  # --runtime hf without a model name: every model family
        return [(f"{name} default", b) for name, b in HF_FAMILY_BATCH.items()] + [
            ("other Hugging Face models' default", HF_DEFAULT_BATCH)]
    return [(f"{n} default", HF_FAMILY_BATCH.get(n, HF_DEFAULT_BATCH)) for n in sorted(set(names))]


def split_sizes(n: int) -> tuple[int, int]:
    """(train, validation) item counts of the automatic split: scikit-learn's ``train_test_split(test_size=0.2)``
    rounds the test share up; a single image is used for both."""
    if n <= 1:
        return n, n
    test = math.ceil(ACFT_VALIDATION_SIZE * n)  # in floating point, as scikit-learn computes it
    return n - test, test


IMPOSSIBLE, POSSIBLE, CERTAIN = 0, 1, 2


def loader_risk(n: int, k: int, b: int) -> int:
    """Can one pass of a loader over ``n`` items, ``k`` of which yield no training item, in batches of ``b``
    (last batch short) produce a batch with no valid item? Any order is taken as reachable: training reshuffles
    every epoch."""
    if n <= 0 or k <= 0:
        return IMPOSSIBLE
    if n - k < -(-n // b):  # fewer valid items than batches: some batch has none, whatever the order
        return CERTAIN
    if k >= b or (n % b and k >= n % b):
        return POSSIBLE
    return IMPOSSIBLE


def batch_risk(n: int, k: int, b: int, validation: tuple[int, int] | None = None) -> tuple[int, str]:
    """The risk that some batch holds only items without a training item, and the numbers behind it.

    ``validation`` is (items, items without a training item) of a validation file; without one, the runtime
    splits the file 80/20 at random and every share of the ``k`` items between the two loaders is possible.
    """
    if validation is not None:
        risk = max(loader_risk(n, k, b), loader_risk(validation[0], validation[1], b))
        return risk, (f"{k} of {n} training item(s) and {validation[1]} of {validation[0]} validation item(s) "
                      f"yield no training item, batch size {b}")
    n_train, n_val = split_sizes(n)
    if n == 1:
        risks = [max(loader_risk(1, k, b), loader_risk(1, k, b))]
    else:
        lo, hi = max(0, k - n_val), min(k, n_train)
        risks = [max(loader_risk(n_train, kt, b), loader_risk(n_val, k - kt, b)) for kt in range(lo, hi + 1)]
    if all(r == CERTAIN for r in risks):
        risk = CERTAIN
    elif any(risks):
        risk = POSSIBLE
    else:
        risk = IMPOSSIBLE
    return risk, (f"{k} of {n} item(s) yield no training item; the automatic 80/20 split makes {n_train} training "
                  f"and {n_val} validation item(s); batch size {b}")


def check_settings(settings) -> str | None:
    """Why these runtime settings cannot describe one AutoML job, or None."""
    acft_only = settings.runtime != "legacy" and not settings.model_names
    if settings.model_names and settings.runtime != "legacy":
        return "give --runtime or --model-name, not both: the model names choose the runtimes"
    if settings.model != "all" and (settings.model_names or acft_only):
        return ("--model names a legacy model; with --model-name give the legacy model names there "
                "(fasterrcnn_resnet50_fpn, yolov5, ...), and --runtime mmdet/hf has no --model")
    if settings.strict and acft_only:
        return "--strict (ignore_data_errors=False) exists only in the legacy runtime; mmdet and hf always skip"
    if settings.batch_size and settings.runtime == "legacy" and not settings.model_names:
        return "--batch-size is the batch size of the mmdet and hf runtimes: give --runtime or --model-name"
    return None


# --- what the runtimes change per record ------------------------------------------------------------------------

class Acft:
    """The mmdet runtime's part of the per-record check (see ``annotation.check_detection``)."""

    def __init__(self, task: str, settings) -> None:
        self.sizes = batch_sizes(settings, task)
        self.batch = min(b for _, b in self.sizes)

    def background(self, out: list, state) -> None:
        from automl_lint.problem import Consequence
        from automl_lint.rules.annotation import BACKGROUND_NOT_TRAINED

        if self.batch == 1:
            out.append((BACKGROUND_NOT_TRAINED, "/label", "background image: the mmdet runtime yields no training "
                        f"item for it, and with batch size 1 ({self.sizes[0][0]}) it is a batch of its own: 'All "
                        "images in the current batch are invalid', the job fails", Consequence.FAILS_JOB))
        else:
            out.append((BACKGROUND_NOT_TRAINED, "/label", "background image: the mmdet runtime yields no training "
                        "item for it (the legacy runtime trains it as a negative); see AML623/AML624 for the risk of "
                        "a batch made only of such images"))

    @staticmethod
    def annotated(state, classes: list) -> None:
        """Remember the kinds of non-string classes: the mmdet runtime sorts all classes together."""
        for c in classes:
            if type(c) is not str:
                state.acft_groups.add("null" if c is None else "number")


def label_checker(task: str | None, settings, rcnn: bool):
    """``check(record, out, state) -> kept`` for the labels of a task, over every runtime of the run."""
    from automl_lint.rules import annotation, classification

    if task == "multiclass":
        return classification.check_multiclass
    if task == "multilabel":
        return classification.check_multilabel
    if task not in ("object-detection", "instance-segmentation"):
        return None
    segmentation = task == "instance-segmentation"
    runtimes = runtimes_for(settings, task)
    crowd = counts_crowd(settings, task)
    if "mmdet" not in runtimes:
        return functools.partial(annotation.check_detection, segmentation=segmentation, rcnn=rcnn, count_crowd=crowd)
    acft = Acft(task, settings)
    if "legacy" not in runtimes:
        return functools.partial(annotation.check_detection, segmentation=segmentation, rcnn=False, acft=acft)

    def both(record: dict, out: list, state) -> bool:
        from automl_lint.rules.dataset import DatasetState

        first = len(out)
        kept = annotation.check_detection(record, out, state, segmentation, rcnn, count_crowd=crowd)
        other: list = []
        scratch = DatasetState()
        annotation.check_detection(record, other, scratch, segmentation, False, acft)
        state.acft_groups |= scratch.acft_groups
        state.mixed_type_lines += scratch.mixed_type_lines
        merge_findings(out, first, other, "legacy", "mmdet")
        return kept

    return both


def merge_findings(out: list, first: int, other: list, name: str, other_name: str) -> None:
    """Findings of two runtimes on one record: shared ones once, the others naming their runtime."""
    mine = set(out[first:])
    theirs = set(other)
    for i in range(first, len(out)):
        if out[i] not in theirs:
            f = out[i]
            out[i] = (f[0], f[1], f"{f[2]} [{name} runtime]", *f[3:])
    out.extend((f[0], f[1], f"{f[2]} [{other_name} runtime]", *f[3:]) for f in other if f not in mine)


def counts_crowd(settings, task: str | None) -> bool:
    """Whether images without a non-crowd box matter: COCO metrics of the legacy runtime's evaluation."""
    return (settings.validation_metric != "voc" and task in ("object-detection", "instance-segmentation")
            and "legacy" in runtimes_for(settings, task))


def fast_path(fast, task: str | None, settings):
    """The fast path of a run, with what the selected runtimes and job settings add (nothing by default)."""
    if fast is None or task not in ("object-detection", "instance-segmentation"):
        return fast
    if "mmdet" in runtimes_for(settings, task):
        plain = fast

        def fast(value: dict, raw: bytes, state) -> bool:
            # Background images go to the full check: the mmdet runtime has something to say about them.
            return bool(value["label"]) and plain(value, raw, state)

    if counts_crowd(settings, task):
        from automl_lint.rules.annotation import crowd_only

        counted = fast

        def fast(value: dict, raw: bytes, state) -> bool:
            if not counted(value, raw, state):
                return False
            if crowd_only(value["label"]):
                state.crowd_only_images += 1
            return True

    return fast


# Rules whose skip becomes a failed job with ignore_data_errors=False: every AutoMLVisionDataException the legacy
# reader raises per image. An image whose annotations are all invalid (AML416) is skipped without one.
_STRICT_FAMILIES = ("AML2", "AML3", "AML4", "AML5")


def apply_strict(out: list) -> None:
    """--strict: the legacy runtime fails the job where it would skip the image."""
    from automl_lint.problem import Consequence

    for i, f in enumerate(out):
        consequence = f[3] if len(f) > 3 else f[0].consequence
        if consequence is Consequence.DROPS_IMAGE and f[0].code.startswith(_STRICT_FAMILIES) and \
                f[0].code != "AML416" and not f[2].endswith(("[mmdet runtime]", "[hf runtime]")):
            out[i] = (f[0], f[1], f"{f[2]}; with ignore_data_errors=False (--strict) the legacy runtime fails the "
                      "job instead", Consequence.FAILS_JOB)


def settle_merged_backgrounds(result) -> None:
    """A background line whose image_url other lines annotate adds nothing to that image in the mmdet runtime
    (the reader merges the lines of one image): its AML417 finding has no consequence after all."""
    from automl_lint.problem import Consequence
    from automl_lint.rules.annotation import BACKGROUND_NOT_TRAINED

    code = BACKGROUND_NOT_TRAINED.code
    background = {p.line: p for p in result.problems if p.code == code and p.consequence is not Consequence.NONE}
    if not background:
        return
    groups = result.state.url_groups()
    if not groups:
        return
    serious = (Consequence.FAILS_JOB, Consequence.DROPS_IMAGE)
    unusable = {p.line for p in result.problems if p.consequence in serious and p.code != code}
    for group in groups:
        annotated = [ln for ln in group if ln not in background and ln not in unusable]
        for ln in group:
            if ln in background and annotated:
                p = background[ln]
                p.consequence = Consequence.NONE
                p.message = (f"label [] on an image that line {annotated[0]} annotates: the mmdet runtime merges the "
                             "lines of one image, so this line adds nothing (and takes nothing away)")
                result.state.merged_backgrounds += 1


def recheck_batches(results: list, settings) -> None:
    """After the image checks: redo AML623/AML624 of each file with its undecodable images counted."""
    from automl_lint.problem import Consequence, Problem
    from automl_lint.rules.dataset import batch_findings_with_images

    for result in results:
        if result.kind == "mltable" or result.task is None or \
                not any(r != "legacy" for r in runtimes_for(settings, result.task)):
            continue
        acft = [r for r in runtimes_for(settings, result.task) if r != "legacy"][0]
        if min(b for _, b in batch_sizes(settings, result.task)) == 1:
            for p in result.problems:
                if p.code == "AML702" and p.line is not None and p.consequence is not Consequence.FAILS_JOB:
                    p.consequence = Consequence.FAILS_JOB
                    p.message += (f"; the {acft} runtime yields no training item for it, and with batch size 1 it "
                                  "is a batch of its own: 'All images in the current batch are invalid', the job "
                                  "fails")
        findings = batch_findings_with_images(result, settings)
        if not findings:
            continue
        result.problems = [p for p in result.problems if not (p.line is None and p.code in ("AML623", "AML624"))]
        for rule, message in findings:
            result.add(Problem(result.path, None, "", rule.code, rule.name, settings.severities[rule.code],
                               rule.consequence, message), settings.enabled)
