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
