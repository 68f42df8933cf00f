"""The effective configuration of one run: what the CLI (and later a config file) decided."""

from __future__ import annotations

import dataclasses
import fnmatch
import os
from dataclasses import dataclass, field

from automl_lint.problem import Severity
from automl_lint.reader import DEFAULT_MAX_LINE_BYTES
from automl_lint.rules import REGISTRY

MODELS = ("all", "fasterrcnn", "maskrcnn", "retinanet", "yolov5")


@dataclass
class Settings:
    task: str = "auto"
    kind: str = "training"
    model: str = "all"
    jobs: int = 0  # 0: every core
    min_images: int = 10
    min_class_examples: int = 5
    max_imbalance_ratio: float = 20.0
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    max_problems: int = 50_000  # per file; 0: no limit
    # How the MLTable engine reads a bare JSONL file (AutoML's documented MLTable); an MLTable's own options win.
    invalid_lines: str = "error"  # or "drop"
    encoding: str = "utf8"  # one of the engine's spellings (automl_lint.encoding.ACCEPTED)
    dataset_checks: bool = True  # False for the parts of a dataset spread over several files
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    fail_on: str = "error"
    # From the configuration file: task and ignored codes per file pattern, relative to config_root.
    task_patterns: dict[str, str] = field(default_factory=dict)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    config_root: str | None = None
    # Image checks (--images): None (off), "header" or "full"; where image_url values are found on disk or in Blob.
    images: str | None = None
    image_root: list[str] = field(default_factory=list)
    datastores: dict[str, str] = field(default_factory=dict)
    image_maps: dict[str, str] = field(default_factory=dict)
    image_cache: str | None = None  # cache folder; "" disables the cache
    gallery_per_rule: int = 12  # --format html: flagged lines drawn per rule (and clean lines sampled)
    dask: str | None = None  # --dask: a scheduler address or file, or local[:N]; None: this machine only
    # The runtime reading the data (automl_lint.runtime): --runtime, or chosen from the sweep's model names.
    runtime: str = "legacy"
    model_names: list[str] = field(default_factory=list)
    batch_size: int = 0  # per-device batch size of the mmdet/hf runtimes; 0: their defaults
    strict: bool = False  # ignore_data_errors=False (legacy runtime only)
    validation_metric: str = "voc"  # validation_metric_type: voc, coco or coco_voc
    # Fixes (--fix): rule codes or prefixes whose fixes may be applied ([]: all), never applied, and unsafe ones.
    fixable: list[str] = field(default_factory=list)
    unfixable: list[str] = field(default_factory=list)
    unsafe_fixes: bool = False
    # Read files that links or MLTable paths lead to outside the tree named (command line only, never a config file).
    allow_outside: bool = False

    def __post_init__(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        enabled = set()
        for code in REGISTRY:
            if self.select and not any(code.startswith(s.upper()) for s in self.select):
                continue
            if any(code.startswith(i.upper()) for i in self.ignore):
                continue
            enabled.add(code)
        self.enabled = frozenset(enabled)
        self.severities = {code: Severity(self.severity.get(code, REGISTRY[code].severity.value))
                           for code in REGISTRY}

    def for_path(self, path: str) -> Settings:
        """The settings of one input file: its task pattern and per-file ignores applied."""
        if not (self.task_patterns or self.per_file_ignores) or path == "-":
            return self
        rel = os.path.relpath(os.path.abspath(path), self.config_root or os.getcwd()).replace(os.sep, "/")
        task = next((t for pat, t in self.task_patterns.items() if _matches(rel, pat)), self.task)
        extra = [c for pat, codes in self.per_file_ignores.items() if _matches(rel, pat) for c in codes]
        if task == self.task and not extra:
            return self
        narrowed = dataclasses.replace(self, task=task, ignore=[*self.ignore, *extra])
        narrowed.has_validation = getattr(self, "has_validation", False)
        return narrowed

    def uses_rcnn(self, task: str) -> bool:
        from automl_lint.runtime import legacy_models, runtimes_for

        if "legacy" not in runtimes_for(self, task):
            return False
        if task == "instance-segmentation":
            return True  # Mask R-CNN is the only legacy instance-segmentation model
        return bool(legacy_models(self, task) & {"all", "fasterrcnn", "maskrcnn"})

    def uses_yolo(self, task: str) -> bool:
        from automl_lint.runtime import legacy_models, runtimes_for

        return (task == "object-detection" and "legacy" in runtimes_for(self, task)
                and bool(legacy_models(self, task) & {"all", "yolov5"}))


def _matches(rel_path: str, pattern: str) -> bool:
    # A pattern without a slash matches the file name in any directory, as in .gitignore.
    name = rel_path.rsplit("/", 1)[-1]
    return fnmatch.fnmatchcase(rel_path, pattern) or ("/" not in pattern and fnmatch.fnmatchcase(name, pattern))
