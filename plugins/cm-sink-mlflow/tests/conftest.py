"""Fixtures from the CM plugin-author test kit (imported, so this folder also runs on its own)."""

from cmcore.testing import cm_home, cm_session  # noqa: F401  (fixtures)
