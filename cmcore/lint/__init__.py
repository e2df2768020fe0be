"""Meta lint: validate script metas against the published JSON schema and check references.

``SCHEMA_PATH`` is the schema file (``script-meta.schema.json``, JSON Schema 2020-12);
:mod:`cmcore.lint.validator` is a small validator for the subset of JSON Schema it uses;
:mod:`cmcore.lint.checks` adds what a schema cannot say (variations referenced but not
defined, dependencies that resolve to no script or to several).
"""

from pathlib import Path

SCHEMA_PATH = Path(__file__).with_name("script-meta.schema.json")

__all__ = ["SCHEMA_PATH"]
