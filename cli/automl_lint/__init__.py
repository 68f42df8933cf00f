"""automl-lint: lint Azure ML AutoML-for-Images JSONL datasets.

Tells you, line by line, what AutoML will do with your data: fail the job, drop the image, drop an
annotation, silently alter a value, or use it as written.

    import automl_lint
    report = automl_lint.lint("train.jsonl", task="od")
    report = automl_lint.lint_records([{"image_url": "...", "label": "can"}], task="mc")

Documented in docs/api.md.
"""

__version__ = "0.1.0"


def lint(paths, **options):
    """Lint ``paths`` with the command line's settings as keyword arguments; see :func:`automl_lint.api.lint`."""
    from automl_lint.api import lint as _lint

    return _lint(paths, **options)


def lint_records(records, **options):
    """Lint records in memory (dicts, or JSONL lines as str or bytes); see :func:`automl_lint.api.lint_records`."""
    from automl_lint.api import lint_records as _lint_records

    return _lint_records(records, **options)
