"""The rule registry.

A rule is metadata and documentation; the checks that report it live beside it in the family module
(``syntax``, ``schema``, ``image_url``, ...). Registering a rule is one call to :func:`rule`, and the
``--explain`` text, ``--list-rules``, SARIF rule metadata and the README table all come from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from textwrap import dedent

from automl_lint.problem import Consequence, Severity


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    severity: Severity
    consequence: Consequence
    summary: str
    what: str
    why: str
    example: str
    fix: str
    family: str

    @property
    def fix_safety(self) -> str | None:
        """"safe", "unsafe", "safe/unsafe", or None: the automatic fix (catalogue in automl_lint.fix.catalog)."""
        from automl_lint.fix.catalog import safety

        return safety(self.code)

    def explain(self) -> str:
        from automl_lint.fix.catalog import describe

        return (
            f"{self.code} {self.name}\n"
            f"default severity: {self.severity.value}; AutoML consequence: {self.consequence.value}\n\n"
            f"## What it does\n{self.what}\n\n## Why it matters\n{self.why}\n\n"
            f"## Example\n{self.example}\n\n## How to fix\n{self.fix}\n\n{describe(self.code)}\n"
        )


REGISTRY: dict[str, Rule] = {}
BY_NAME: dict[str, Rule] = {}


def rule(
    code: str,
    name: str,
    severity: str,
    consequence: str,
    summary: str,
    *,
    what: str,
    why: str,
    example: str,
    fix: str,
    family: str,
) -> Rule:
    if code in REGISTRY or name in BY_NAME:
        raise ValueError(f"rule {code} {name} registered twice")
    r = Rule(
        code=code,
        name=name,
        severity=Severity(severity),
        consequence=Consequence(consequence),
        summary=summary,
        what=dedent(what).strip(),
        why=dedent(why).strip(),
        example=dedent(example).strip(),
        fix=dedent(fix).strip(),
        family=family,
    )
    REGISTRY[code] = r
    BY_NAME[name] = r
    return r


def all_rules() -> list[Rule]:
    return [REGISTRY[c] for c in sorted(REGISTRY)]


def lookup(code_or_name: str) -> Rule | None:
    key = code_or_name.strip()
    return REGISTRY.get(key.upper()) or BY_NAME.get(key.lower())


# Import the families so that every rule is registered when the registry is imported.
from automl_lint.rules import (  # noqa: E402,F401
    syntax,
    schema,
    image_url,
    classification,
    annotation,
    polygon,
    dataset,
    mltable,
    images,
    tool,
)
