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
INPUT_NOT_READ = rule(
    "AML903", "input-not-read", "error", "none",
    "A file or folder the data points to was not read: it leads outside the linted tree, or cannot be read.",
    what="Reports what a linted folder or an MLTable names but automl-lint refused or failed to read: a "
    "`*.jsonl` symbolic link or a symbolically linked folder leading outside the folder given on the command "
    "line; an MLTable `paths` entry (absolute, with `..`, a pattern such as `/etc/*`, a linked folder) that "
    "leads outside the MLTable's folder; a folder that cannot be listed; a walk or a pattern that looked at more "
    "than 1,000,000 entries.",
    why="The data comes from whoever wrote it: a link or a path may point at another file on the machine (an "
    "SSH key, a CI secret), and automl-lint quotes what it reads into the report and the CI log. What was not "
    "read was not checked either, so the run fails rather than passing silently.",
    example="`data/train.jsonl -> /home/runner/.ssh/id_rsa`, or `paths: [{pattern: /etc/*}]` in an MLTable.",
    fix="Keep the dataset's files inside the folder you lint (copy them in rather than linking out). To lint "
    "data that really lives elsewhere, pass `--allow-outside` on the command line (a configuration file cannot "
    "set it); fix the permissions of an unreadable folder.",
    family=F,
)
