"""The JSON Schemas of automl-lint, shipped as package data (``automl_lint.schemas``)."""
