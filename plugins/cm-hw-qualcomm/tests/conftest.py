"""Fixtures from the CM plugin-author test kit (imported, so this folder also runs on its own)."""

import pytest

from cmcore.testing import cm_home, cm_session, fake_devices  # noqa: F401  (fixtures)


@pytest.fixture
def bare_session(tmp_path):
    """A real session that loads no installed plugins (the test drives one plugin directly)."""
    from cmcore.session import Session

    return Session(home=tmp_path / "home", load_entry_points=False)
