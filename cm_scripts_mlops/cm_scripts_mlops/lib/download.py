"""Moved to :mod:`cmcore.transfer.download`; kept so existing imports keep working."""

from cmcore.transfer.download import *  # noqa: F401,F403
