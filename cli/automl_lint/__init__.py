"""automl-lint: lint Azure ML AutoML-for-Images JSONL datasets.

Tells you, line by line, what AutoML will do with your data: fail the job, drop the image, drop an
annotation, silently alter a value, or use it as written.
"""

__version__ = "0.1.0"
