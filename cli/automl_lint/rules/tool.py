"""AML9xx: findings about automl-lint's own inputs (baseline, configuration), not about the dataset."""

from automl_lint.rules import rule

F = "tool"

BASELINE_STALE_ENTRY = rule(
    "AML901", "baseline-stale-entry", "warning", "none",
    "A baseline entry hides a finding that no longer occurs.",
    what="Reports entries of the `--baseline` file whose finding is no longer reported for a file linted in "
    "this run (the record was fixed or removed, or the rule no longer fires).",
    why="A stale entry hides nothing today but would silently hide the same finding if it came back; the "
    "baseline should shrink as the dataset is fixed.",
    example="`baseline.json` records AML408 for `AmlDatastore://ds/img_7.jpg` at `/label/0`, and the box of "
    "that image has been fixed.",
    fix="Rewrite the baseline with `automl-lint --write-baseline baseline.json ...` (review the diff).",
    family=F,
)
FINDINGS_NOT_LISTED = rule(
    "AML902", "findings-not-listed", "info", "none",
    "More findings than `--max-problems` in one file: the rest are counted, not listed.",
    what="Reports, once per file, how many findings past the `--max-problems` limit (default 50,000 per file) "
    "were counted in the summary and the exit code but not listed.",
    why="Keeps memory and report size bounded on files where most lines are broken; the summary and AutoML's "
    "verdict stay exact.",
    example="A 1,000,000-line file whose coordinates are all in pixels.",
    fix="Fix the most frequent problem first (`--statistics` lists the rules), or raise `--max-problems` "
    "(0 lists everything).",
    family=F,
)
