"""Reading and writing meta and data files: YAML (libyaml when present), JSON, atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path

from cmcore.errors import MALFORMED, CMError

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any


def _yaml_loader() -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str, source: str = "<string>") -> Any:
    import yaml

    try:
        return yaml.load(text, Loader=_yaml_loader())  # noqa: S506 - safe loader
    except yaml.YAMLError as exc:
        first = " ".join(str(exc).split())
        raise CMError(f"malformed YAML in {source}: {first}", MALFORMED) from exc


def parse_json(text: str, source: str = "<string>") -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CMError(f"malformed JSON in {source}: {exc}", MALFORMED) from exc


def load_data_file(path: str | os.PathLike) -> Any:
    """Load a ``.json`` or ``.yaml``/``.yml`` file; malformed content is a :class:`CMError` (code 4)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CMError(f"file not found: {p}", 16) from exc
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise CMError(f"cannot read {p}: {exc}", MALFORMED) from exc
    if p.suffix.lower() in (".yaml", ".yml"):
        return parse_yaml(text, str(p))
    return parse_json(text, str(p))


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write a file so that readers see either the old or the new content, never half."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """:func:`atomic_write_text` for bytes."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    # A unique name made here, not by tempfile (whose import pulls in random and hashlib);
    # O_EXCL makes a clash an error, and mode 0o666 gets the umask like an ordinary write.
    tmp = os.path.join(str(p.parent), f".{p.name}.{os.getpid()}.{os.urandom(6).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
                 | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def dump_json(data: Any, sort_keys: bool = True) -> str:
    return json.dumps(data, indent=2, sort_keys=sort_keys, ensure_ascii=False, default=str) + "\n"


def write_json(path: str | os.PathLike, data: Any, sort_keys: bool = True) -> None:
    atomic_write_text(path, dump_json(data, sort_keys))


def dump_yaml(data: Any) -> str:
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, default_flow_style=False)


def write_yaml(path: str | os.PathLike, data: Any) -> None:
    atomic_write_text(path, dump_yaml(data))
