"""``cmcore.digest`` gives hashlib's digests (cache keys and index names depend on them)."""

import hashlib

from cmcore.digest import sha1, sha256


def test_digests_match_hashlib() -> None:
    for data in (b"", b"cm-script-content\0", bytes(range(256)) * 100):
        assert sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()
        assert sha1(data).hexdigest() == hashlib.sha1(data).hexdigest()
        h = sha256(b"cm")
        h.update(data)
        assert h.hexdigest() == hashlib.sha256(b"cm" + data).hexdigest()
