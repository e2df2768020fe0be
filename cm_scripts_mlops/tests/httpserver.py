"""The HTTP file server now lives in :mod:`cmcore.testing`."""

from cmcore.testing import FileServer  # noqa: F401
