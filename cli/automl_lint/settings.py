"""The effective configuration of one run: what the CLI (and later a config file) decided."""

from __future__ import annotations

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
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    fail_on: str = "error"

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

    def uses_rcnn(self, task: str) -> bool:
        if task == "instance-segmentation":
            return True  # Mask R-CNN is the only instance-segmentation model
        return self.model in ("all", "fasterrcnn", "maskrcnn")

    def uses_yolo(self, task: str) -> bool:
        return task == "object-detection" and self.model in ("all", "yolov5")
