"""A progress bar for long runs, on stderr, only on a terminal (never in CI, when piped, or in a notebook).

It appears only once a run has lasted a moment, so short runs print nothing extra. The engine reports
lines read through :data:`automl_lint.engine.LINE_HOOK`; files split across worker processes advance
when they are done.
"""

from __future__ import annotations

import os
import sys
import time

DELAY = 0.5  # seconds before the bar appears
_CI_VARIABLES = ("CI", "GITHUB_ACTIONS", "TF_BUILD", "GITLAB_CI", "BUILDKITE", "JENKINS_URL", "TEAMCITY_VERSION")


def wanted() -> bool:
    """A person is watching: stderr is a terminal and no CI system is running us."""
    if any(os.environ.get(v) for v in _CI_VARIABLES):
        return False
    stream = sys.stderr
    return stream is not None and hasattr(stream, "isatty") and stream.isatty()


class RunProgress:
    """Files done of the total, the file being read and its lines so far."""

    def __init__(self, files: int, enabled: bool) -> None:
        self.enabled = enabled and files > 0
        self.files = files
        self.bar = None
        self.task = None
        self.started = time.monotonic()
        self.path = ""
        self.done = 0

    def __enter__(self) -> RunProgress:
        if self.enabled:
            from automl_lint import engine

            engine.LINE_HOOK = self.lines
        return self

    def file(self, path: str) -> None:
        self.path = path
        self._update(0)

    def lines(self, count: int | None) -> None:
        self._update(count)

    def file_done(self) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done)

    def _update(self, count: int | None) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            if time.monotonic() - self.started < DELAY:
                return
            self._start()
        where = "worker processes" if count is None else f"{count:,} lines"
        self.bar.update(self.task, description=f"checking {self.path}: {where}")

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("files"),
                            TimeElapsedColumn(), console=Console(stderr=True), transient=True)
        self.task = self.bar.add_task(f"checking {self.path}", total=self.files, completed=self.done)
        self.bar.start()

    def __exit__(self, *exc) -> None:
        if self.enabled:
            from automl_lint import engine

            engine.LINE_HOOK = None
        if self.bar is not None:
            self.bar.stop()
