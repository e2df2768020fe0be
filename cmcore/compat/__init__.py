"""Compatibility modules for old ``customize.py`` files (CM-FORMAT §2.3, §5.1).

``cmind`` (with ``cmind.utils`` and ``cmind.access``), ``mlc`` (with ``mlc.utils`` and
``mlc.access``) and MLC's top-level ``utils`` are built from :mod:`cmcore.compat.utils` and
put into ``sys.modules`` by :func:`cmcore.compat.shims.compat_modules` only while a hook
runs, and only where the real package is not importable.
"""

from cmcore.compat.shims import compat_modules, make_module

__all__ = ["compat_modules", "make_module"]
