"""Secrets: which keys hold them, and how to keep their values out of everything written.

Tokens and passwords reach a run as flags (``--gh_token=...``), as env (``--env.HF_TOKEN=...``)
or from the host environment. They must not show up in logs, ``--json`` output, cache state
files, lockfiles or reports. This module is the one place that decides what a secret is:

* :func:`is_secret_key` - the naming rule (below);
* :func:`redact_env` - a copy of an env/input dict with secret values masked;
* :func:`redact_text` - free text with given secret values (and URL passwords) masked;
* :class:`Redactor` - collects the secret values seen during a run and masks them anywhere.

The naming rule. A name is split into words at ``_``, ``-``, ``.`` and spaces (a leading ``+``
of a list key is ignored), case-insensitively. It is a secret when

* its last word is one of :data:`SECRET_WORDS` (``TOKEN``, ``PASSWORD``, ``SECRET``, ...):
  ``GH_TOKEN``, ``CM_DB_PASSWORD``, ``hf_token``, ``CLIENT_SECRET``; or
* its last word is ``KEY`` and the word before it is one of :data:`CREDENTIAL_KEY_WORDS`:
  ``OPENAI_API_KEY``, ``AWS_SECRET_ACCESS_KEY``, ``MY_KEY`` are secret, ``CM_CACHE_KEY``,
  ``CM_SORT_KEY``, ``SSH_PUBLIC_KEY``, ``CM_ENV_KEY``, ``official_key`` are not.

Plurals and longer words are not secrets: ``MAX_TOKENS``, ``CM_TOKENIZER``, ``NEW_ENV_KEYS``,
``CM_TOKEN_FILE`` (a path), ``AWS_ACCESS_KEY_ID`` (an identifier, not the secret part).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

#: What a masked value is replaced with.
MASK = "***"

#: A last word that makes a name secret.
SECRET_WORDS = frozenset({
    "token", "password", "passwd", "pwd", "passphrase", "secret", "apikey", "credential",
    "credentials", "privatekey", "secretkey", "accesskey",
})

#: Words before a final ``KEY`` that make it a credential (``OPENAI_API_KEY``,
#: ``AWS_SECRET_ACCESS_KEY``, ``SSH_PRIVATE_KEY``, ``MY_KEY``). Any other ``*_KEY`` is data: names
#: such as ``official_key``, ``run_key`` or ``CM_DATASET_KEY`` are identifiers that results and
#: caches rely on, and masking them corrupted stored records.
CREDENTIAL_KEY_WORDS = frozenset({
    "api", "access", "secret", "private", "auth", "ssh", "signing", "encryption", "client",
    "service", "master", "license", "account", "app", "storage", "subscription", "my", "user",
    "admin", "root", "session", "shared", "gpg", "pgp", "deploy", "hmac", "jwt", "crypto",
    "openai", "hf", "github", "gitlab", "wandb", "azure", "aws", "gcp",
})

# Secrets shorter than this are masked under their key but not searched for in free text:
# replacing every "1" or "yes" in a log would destroy it and protect nothing.
MIN_TEXT_LEN = 4

_WORD_SPLIT = re.compile(r"[_\-.\s]+")
# https://user:password@host -> the password part (also catches tokens put into git URLs).
_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^/\s:@]*):(?P<pw>[^/\s@]+)@")


def _words(name: str) -> list[str]:
    return [w for w in _WORD_SPLIT.split(name.lstrip("+").strip().lower()) if w]


#: Names that end like a secret but are not: the shell's working directories.
NOT_SECRET_NAMES = frozenset({"pwd", "oldpwd"})


def is_secret_key(name: object) -> bool:
    """True when an env key or input flag named ``name`` holds a secret (see the module rule)."""
    if not isinstance(name, str):
        return False
    words = _words(name)
    if not words or "_".join(words) in NOT_SECRET_NAMES:
        return False
    last = words[-1]
    if last in SECRET_WORDS:
        return True
    if last == "key" and len(words) > 1:
        return words[-2] in CREDENTIAL_KEY_WORDS
    return False


def _mask_value(value: Any) -> Any:
    """Mask a secret value, keeping the container shape (a list stays a list)."""
    if isinstance(value, list | tuple):
        return [MASK for _ in value]
    if value is None or value == "" or isinstance(value, bool):
        return value  # nothing secret in "unset" or a yes/no switch
    return MASK


def redact_env(env: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``env`` (or an input dict) with the values of secret keys masked.

    Nested dicts (``env``, ``state``, ``adr``...) are walked too; other values are kept
    as they are, except that URL passwords (``https://u:p@host``) are masked.
    """
    out: dict[str, Any] = {}
    for key, value in env.items():
        if is_secret_key(key):
            out[key] = _mask_value(value)
        elif isinstance(value, Mapping):
            out[key] = redact_env(value)
        elif isinstance(value, str):
            out[key] = _mask_url_passwords(value)
        else:
            out[key] = value
    return out


def _mask_url_passwords(text: str) -> str:
    return _URL_USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every occurrence of each secret value, and every URL password, masked.

    Longer secrets are replaced first, so a secret that contains another is masked whole.
    Values shorter than :data:`MIN_TEXT_LEN` characters are ignored here.
    """
    values = sorted({s for s in secrets if isinstance(s, str) and len(s) >= MIN_TEXT_LEN}, key=len, reverse=True)
    for value in values:
        text = text.replace(value, MASK)
    return _mask_url_passwords(text)


def _secret_values(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _secret_values(v)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield str(value)


class Redactor:
    """Collects the secret values seen during a run and masks them in text and data.

    ``observe(mapping)`` records the values of secret keys in an input dict or env (nested
    mappings included); ``add(value)`` records one value; ``text(s)`` and ``data(obj)`` mask
    them. One redactor per top-level run is enough: nested runs observe into the same one.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._values: set[str] = set()
        for s in secrets:
            self.add(s)

    @property
    def values(self) -> frozenset[str]:
        """The secret values recorded so far."""
        return frozenset(self._values)

    def add(self, value: Any) -> None:
        """Record a secret value (strings, numbers and lists of them; empty values are ignored).

        A value that names an existing file or folder is not recorded: no token is a path,
        and masking a path inside the values a run keeps (cache state) would corrupt them.
        """
        for v in _secret_values(value):
            v = v.strip()
            if v and not (v.startswith(("/", "~", ".")) and os.path.exists(os.path.expanduser(v))):
                self._values.add(v)

    def observe(self, mapping: Mapping[str, Any]) -> Redactor:
        """Record the values of every secret key in ``mapping`` and in the mappings it holds."""
        for key, value in mapping.items():
            if is_secret_key(key):
                self.add(value)
            elif isinstance(value, Mapping):
                self.observe(value)
        return self

    def text(self, text: str) -> str:
        """``text`` with the recorded secret values and URL passwords masked."""
        return redact_text(text, self._values)

    def stream(self) -> StreamRedactor:
        """A redactor for a byte stream cut into arbitrary chunks (a child's output)."""
        return StreamRedactor(self._values)

    def data(self, obj: Any) -> Any:
        """A copy of ``obj`` (dicts, lists, strings) safe to write or print: secret keys are
        masked, and recorded secret values are masked inside every string."""
        if isinstance(obj, Mapping):
            return {k: (_mask_value(v) if is_secret_key(k) else self.data(v)) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [self.data(v) for v in obj]
        if isinstance(obj, str):
            return self.text(obj)
        return obj


class StreamRedactor:
    """Masks secret values in a byte stream that arrives in chunks (``feed`` then ``flush``).

    A secret split across two chunks is still masked: the last ``len(longest secret) - 1``
    bytes are held back until the next chunk (or ``flush``). URL passwords are not looked
    for here, only the recorded values.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        vals = sorted({s for s in secrets if len(s) >= MIN_TEXT_LEN}, key=len, reverse=True)
        self._secrets = [v.encode("utf-8") for v in vals]
        self._keep = max((len(v) for v in self._secrets), default=1) - 1
        self._mask = MASK.encode()
        self._buf = b""

    def _replace(self, data: bytes) -> bytes:
        for v in self._secrets:
            data = data.replace(v, self._mask)
        return data

    def feed(self, chunk: bytes) -> bytes:
        """Add ``chunk``; return the bytes that are now safe to write."""
        if not self._secrets:
            return chunk
        self._buf = self._replace(self._buf + chunk)
        if len(self._buf) <= self._keep:
            return b""
        cut = len(self._buf) - self._keep
        out, self._buf = self._buf[:cut], self._buf[cut:]
        return out

    def flush(self) -> bytes:
        """The held-back bytes, masked (call once at end of stream)."""
        out, self._buf = self._replace(self._buf), b""
        return out


def without_secrets(obj: Any, redactor: Redactor) -> Any:
    """A copy of ``obj`` to keep on disk: secret keys are left out (so a cache hit never
    overwrites the caller's real value with a mask) and secret values inside other strings
    are masked."""
    if isinstance(obj, Mapping):
        return {k: without_secrets(v, redactor) for k, v in obj.items() if not is_secret_key(k)}
    if isinstance(obj, list | tuple):
        return [without_secrets(v, redactor) for v in obj]
    if isinstance(obj, str):
        return redactor.text(obj)
    return obj


def redact_files(paths: Iterable[Any], redactor: Redactor) -> None:
    """Rewrite text files that hold a recorded secret value, with the value masked."""
    if not redactor.values:
        return
    for p in paths:
        try:
            with open(p, encoding="utf-8", errors="surrogateescape") as f:
                text = f.read()
        except (OSError, ValueError):
            continue
        masked = redactor.text(text)
        if masked != text:
            try:
                with open(p, "w", encoding="utf-8", errors="surrogateescape") as f:
                    f.write(masked)
            except OSError:
                pass
