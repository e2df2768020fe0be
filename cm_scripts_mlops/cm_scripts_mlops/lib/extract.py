"""Moved to :mod:`cmcore.transfer.extract`; kept so existing imports keep working."""

from cmcore.transfer.extract import *  # noqa: F401,F403
