"""Prints the README's rule table from the registry; `--check README.md` fails when the README is stale.

    python scripts/rule_table.py --write README.md
"""

import sys
from pathlib import Path

from automl_lint.rules import all_rules

BEGIN, END = "<!-- rules:begin -->", "<!-- rules:end -->"


def table() -> str:
    rows = ["| code | name | severity | AutoML consequence | fix | what it reports |", "|---|---|---|---|---|---|"]
    for r in all_rules():
        fix = r.fix_safety or "-"
        rows.append(f"| {r.code} | `{r.name}` | {r.severity.value} | {r.consequence.value} | {fix} | {r.summary} |")
    return "\n".join(rows)


def splice(text: str) -> str:
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{table()}\n{END}{tail}"


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] in ("--write", "--check"):
        path = Path(sys.argv[2])
        text = path.read_text()
        new = splice(text)
        if sys.argv[1] == "--check":
            sys.exit(0 if new == text else 1)
        path.write_text(new)
    else:
        print(table())
