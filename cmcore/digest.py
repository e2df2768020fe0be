"""``sha1`` and ``sha256`` without loading OpenSSL.

``import hashlib`` initialises OpenSSL's libcrypto, ~12 million instructions (a few ms) of every
``cm`` process that computes a cache key or an index file name. CPython also ships its own
builtin SHA modules, which load in a fraction of that and give the same digests; interpreters
built without them fall back to :mod:`hashlib`.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from hashlib import sha1, sha256
else:
    try:
        from _sha2 import sha256  # CPython >= 3.12
    except ImportError:
        try:
            from _sha256 import sha256  # CPython <= 3.11
        except ImportError:
            from hashlib import sha256
    try:
        from _sha1 import sha1
    except ImportError:
        from hashlib import sha1

__all__ = ["sha1", "sha256"]
