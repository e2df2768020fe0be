"""Running a script's native ``run.sh``/``run.bat`` (CM-FORMAT §3.9, §5.4).

The wrapper protocol is CM's: ``tmp-run.sh`` in the working directory holds the
``state['script_prefix']`` lines, one export per env key (sorted) and a line that *sources*
the native script; data comes back through ``tmp-run-env.out`` and ``tmp-run-state.json``.

What differs from the original, on purpose (CM-FORMAT §8):

* values are single-quoted, so quotes, ``$``, backticks, backslashes and newlines arrive
  byte-for-byte and are never executed (flaw 2);
* ``tmp-run-env.out`` values keep everything after the first ``=`` (flaw 3, as MLC);
* the exit code is the script's real one, ``-N`` for a signal (flaw 14);
* a ``+KEY`` list never leaves an empty element (which would mean "the current directory"
  in ``PATH``) when the variable was unset.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
from pathlib import Path

from cmcore.errors import GENERIC, MALFORMED, NOT_FOUND, CMError
from cmcore.records import field, record
from cmcore.script.dialect import CM, Dialect

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import IO, Any

WRAPPER_POSIX = "tmp-run.sh"
WRAPPER_WINDOWS = "tmp-run.bat"
ENV_OUT = "tmp-run-env.out"
STATE_OUT = "tmp-run-state.json"
STATE_IN = "tmp-state.json"
LOG_FILE = "tmp-run.log"

# How long an interrupted script may take to exit after it got SIGINT, before SIGKILL.
INTERRUPT_GRACE_S = 10.0
# How long to keep draining output after the script exited (a background child may hold
# the pipe open forever; its later output still goes to the log, but we do not wait).
DRAIN_WAIT_S = 2.0

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@record
class NativeResult:
    """What one native run produced."""

    returncode: int  # the script's real exit code (not the wait status); -N for signal N
    env_out: dict = field(default_factory=dict)  # parsed tmp-run-env.out
    state_out: dict = field(default_factory=dict)  # parsed tmp-run-state.json
    script_path: Path | None = None
    wrapper_path: Path | None = None
    log_path: Path | None = None  # where the combined stdout+stderr was saved
    timed_out: bool = False


def _is_windows(os_name: str | None = None) -> bool:
    return (os_name or os.name) == "nt"


# -- which file runs ---------------------------------------------------------------------


def native_candidates(name: str, env: dict, dialect: Dialect = CM, *, os_name: str | None = None) -> list[str]:
    """File names to try, in order, for native script ``name`` (CM §3.9 or MLC §5.4 order)."""
    if _is_windows(os_name):
        return [f"{name}.bat"]

    def get(suffix: str) -> str:
        return str(env.get(dialect.key(suffix), "") or "").strip()

    flavor, version, arch = get("HOST_OS_FLAVOR"), get("HOST_OS_VERSION"), get("HOST_PLATFORM_FLAVOR")
    if dialect.name == "mlc":
        like, os_type = get("HOST_OS_FLAVOR_LIKE"), get("HOST_OS_TYPE")
        parts: list[tuple[str, ...]] = [
            (flavor, version, arch), (flavor, version), (flavor, arch), (flavor,),
            (like, arch), (like,), (os_type, arch), (os_type,), (arch,),
        ]
    else:
        parts = [(flavor, version, arch), (flavor, arch), (flavor, version), (flavor,), (arch,)]
    out: list[str] = []
    for combo in parts:
        if all(combo):  # a variant needs every key it names
            candidate = f"{name}-{'-'.join(combo)}.sh"
            if candidate not in out:
                out.append(candidate)
    out.append(f"{name}.sh")
    return out


def select_native_script(
    script_dir: Path, name: str, env: dict, dialect: Dialect = CM, *, explicit: bool,
    os_name: str | None = None,
) -> Path | None:
    """The native script to run for ``name`` in ``script_dir``, or None.

    ``explicit`` says the name was asked for (``script_name``); then a missing file is a
    CMError 16. The default ``run`` may be absent: many scripts exist only for their deps.
    """
    script_dir = Path(script_dir)
    if not name:
        name = "run"
    # A name given with its extension ("install.sh") is taken as is.
    if name.endswith((".sh", ".bat")) and (script_dir / name).is_file():
        return script_dir / name
    tried = native_candidates(name, env, dialect, os_name=os_name)
    for candidate in tried:
        p = script_dir / candidate
        if p.is_file():
            return p
    if explicit:
        raise CMError(
            f'native script "{name}" not found in {script_dir} (tried: {", ".join(tried)})', NOT_FOUND
        )
    return None


# -- the wrapper -------------------------------------------------------------------------


def posix_quote(value: str) -> str:
    """Single-quote ``value`` for bash: every byte arrives literally, nothing is expanded."""
    return "'" + value.replace("'", "'\\''") + "'"


def _dq_escape(text: str) -> str:
    """Escape the characters that stay special inside a double-quoted ``${X:+...}``."""
    return re.sub(r'([\\"$`}])', r"\\\1", text)


def value_to_str(value: Any) -> str:
    """The string CM exports for a non-``+`` value: booleans as True/False, lists as repr."""
    return str(value)


def split_list_key(key: str, os_name: str | None = None) -> tuple[str, str]:
    """``+PATH`` → (``PATH``, os path separator); ``+ LDFLAGS`` → (``LDFLAGS``, ``" "``)."""
    rest = key[1:]
    if rest and not (rest[0].isalnum() or rest[0] == "_"):
        return rest[1:], rest[0]
    return rest, (";" if _is_windows(os_name) else ":")


def invalid_env_keys(env: dict) -> list[str]:
    """Env keys that cannot be exported (not a shell variable name); they are skipped."""
    bad = []
    for key in env:
        name = split_list_key(key)[0] if key.startswith("+") else key
        if not _NAME_RE.match(name):
            bad.append(key)
    return bad


def _check_exportable(key: str, text: str) -> None:
    if "\x00" in text:
        raise CMError(f'env value of "{key}" contains a NUL byte and cannot be exported', MALFORMED)


def export_lines(env: dict, os_name: str = "posix") -> list[str]:
    """One export line per env key, in sorted key order (CM-FORMAT §3.9 step 3).

    POSIX: ``export K='v'`` with single-quote escaping; ``+K`` lists become
    ``export K='a:b'"${K:+:${K}}"`` (prepend, separator only when K was set).
    Windows: ``set "K=v"`` with ``%`` doubled. Keys that are not variable names are skipped
    (see :func:`invalid_env_keys`); a ``+K`` value that is not a list is a CMError.
    """
    windows = _is_windows(os_name)
    bad = set(invalid_env_keys(env))
    lines: list[str] = []
    for key in sorted(env):
        if key in bad:
            continue
        value = env[key]
        if key.startswith("+"):
            if not isinstance(value, list | tuple):
                raise CMError(
                    f'env key "{key}" must hold a list (got {type(value).__name__}: {value!r})', GENERIC
                )
            if not value:
                continue
            name, sep = split_list_key(key, os_name)
            joined = sep.join(str(v) for v in value)
            _check_exportable(key, joined)
            if windows:
                lines.append(_bat_set(name, f"{joined}{sep}%{name}%", raw_tail=True))
            else:
                tail = f'"${{{name}:+{_dq_escape(sep)}${{{name}}}}}"'
                lines.append(f"export {name}={posix_quote(joined)}{tail}")
            continue
        text = value_to_str(value)
        _check_exportable(key, text)
        lines.append(_bat_set(key, text) if windows else f"export {key}={posix_quote(text)}")
    return lines


def _bat_set(name: str, text: str, raw_tail: bool = False) -> str:
    if "\n" in text or "\r" in text:
        raise CMError(f'env value of "{name}" has a line break, which a .bat file cannot set', MALFORMED)
    if raw_tail:  # keep the trailing %NAME% expandable, escape only the literal part
        head, _, tail = text.rpartition(f"%{name}%")
        return f'set "{name}={head.replace("%", "%%")}%{name}%{tail}"'
    return f'set "{name}={text.replace("%", "%%")}"'


def wrapper_text(script_path: Path, env: dict, state: dict, os_name: str | None = None) -> str:
    """The content of ``tmp-run.sh`` (or ``tmp-run.bat``)."""
    windows = _is_windows(os_name)
    prefix = state.get("script_prefix") or []
    if isinstance(prefix, str):
        prefix = [prefix]
    head = ["@echo off", ""] if windows else ["#!/bin/bash", ""]
    body = [str(line) for line in prefix]
    body += export_lines(env, "nt" if windows else "posix")
    if windows:
        tail = f'call "{script_path}"'
    else:
        tail = f". {shlex.quote(str(script_path))}"
    return "\n".join(head + body + ["", tail, ""])


# -- reading results back ----------------------------------------------------------------


def parse_env_out(text: str) -> dict:
    """Parse ``tmp-run-env.out``: ``KEY=VALUE`` lines; the value is everything after the
    first ``=`` (``K=a=b`` → ``a=b``); key and value stripped; blank lines ignored; a line
    without ``=`` sets the key to ``""`` (as CM does)."""
    out: dict = {}
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        key, _, value = line.partition("=")
        key = key.strip()
        if key:
            out[key] = value.strip()
    return out


def read_state_out(path: Path) -> dict:
    """Load ``tmp-run-state.json`` if the script wrote one; it must hold a JSON object."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError) as exc:
        raise CMError(f"malformed {path}: {exc}", MALFORMED) from exc
    if not isinstance(data, dict):
        raise CMError(f"malformed {path}: expected a JSON object, got {type(data).__name__}", MALFORMED)
    return data


# -- running -----------------------------------------------------------------------------


def _console_stream() -> IO[bytes] | None:
    stream = sys.stderr
    return getattr(stream, "buffer", None)


def _pump(src: IO[bytes], log_file: IO[bytes], console: IO[bytes] | None, echo_text: bool,
          redactor: Any = None) -> None:
    """Copy the child's output to the log file and (optionally) the console until EOF, with
    the session's secret values masked (``redactor``)."""
    masker = redactor.stream() if redactor is not None else None
    try:
        at_end = False
        while not at_end:
            chunk = src.read1(65536) if hasattr(src, "read1") else src.read(65536)
            if not chunk:
                at_end = True
                if masker is None:
                    break
                chunk = masker.flush()
                if not chunk:
                    break
            elif masker is not None:
                chunk = masker.feed(chunk)
                if not chunk:
                    continue
            log_file.write(chunk)
            log_file.flush()
            if console is not None:
                console.write(chunk)
                console.flush()
            elif echo_text:  # sys.stderr without a byte buffer (e.g. captured in tests)
                sys.stderr.write(chunk.decode("utf-8", "replace"))
                sys.stderr.flush()
    except (OSError, ValueError):
        pass  # console or log closed under us; nothing more to save
    finally:
        try:
            log_file.close()
        finally:
            src.close()


def _stop(proc: subprocess.Popen, first: int, grace: float) -> None:
    """Signal the child, give it ``grace`` seconds, then kill it; always reap it."""
    try:
        if os.name == "nt":  # no POSIX signals to send there
            proc.terminate()
        else:
            proc.send_signal(first)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_native_script(
    script_path: Path,
    *,
    env: dict,
    state: dict,
    cwd: Path,
    dialect: Dialect = CM,
    silent: bool = False,
    log: Any = None,
    timeout: float | None = None,
    interrupt_grace: float = INTERRUPT_GRACE_S,
    redactor: Any = None,
) -> NativeResult:
    """Write the wrapper into ``cwd`` and run it; return the real exit code and outputs.

    ``env`` is the live env: ``<P>_TMP_CURRENT_SCRIPT_PATH`` and ``..._WORK_PATH`` are set in
    it first (as CM does). Output is streamed to stderr unless ``silent`` and always saved to
    ``cwd/tmp-run.log``. ``log`` is a logger (``.debug``/``.warning``) for notices. On Ctrl-C the child gets SIGINT too and is reaped before the
    KeyboardInterrupt propagates. ``timeout`` (seconds) stops the script: SIGTERM, then
    SIGKILL; the result then has ``timed_out`` and a negative ``returncode``.
    """
    script_path = Path(script_path).resolve()
    cwd = Path(cwd).resolve()
    windows = _is_windows()
    if not script_path.is_file():
        raise CMError(f"native script {script_path} not found", NOT_FOUND)
    if not cwd.is_dir():
        raise CMError(f"work folder {cwd} does not exist", NOT_FOUND)
    env[dialect.tmp("CURRENT_SCRIPT_PATH")] = str(script_path.parent)
    env[dialect.tmp("CURRENT_SCRIPT_WORK_PATH")] = str(cwd)

    bad = invalid_env_keys(env)
    if bad and log is not None:
        log.warning(f"env keys that are not shell variable names are not exported: {', '.join(map(repr, bad))}")

    wrapper = cwd / (WRAPPER_WINDOWS if windows else WRAPPER_POSIX)
    log_path = cwd / LOG_FILE
    text = wrapper_text(script_path, env, state)  # before touching files: bad env loses nothing
    try:
        for stale in (ENV_OUT, STATE_OUT):
            try:
                (cwd / stale).unlink()
            except FileNotFoundError:
                pass
        (cwd / STATE_IN).write_text(json.dumps(state, indent=2, default=str) + "\n", encoding="utf-8")
        wrapper.write_text(text, encoding="utf-8")
        wrapper.chmod(0o755)
        log_file = open(log_path, "wb")  # noqa: SIM115 - closed by the pump thread
    except OSError as exc:
        raise CMError(f"cannot prepare the native run in {cwd}: {exc.strerror or exc}", GENERIC) from exc
    if log is not None:
        log.debug(f"running {script_path} in {cwd} (log: {log_path})")

    argv = ["cmd", "/c", "call", WRAPPER_WINDOWS] if windows else ["bash", "-c", f". ./{WRAPPER_POSIX}"]
    try:
        proc = subprocess.Popen(argv, cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except OSError as exc:
        log_file.close()
        raise CMError(f"cannot start {argv[0]} to run {script_path}: {exc}", GENERIC) from exc
    timed_out = False
    pump: threading.Thread | None = None
    try:  # from here on, any abort (Ctrl-C included) stops and reaps the child
        assert proc.stdout is not None
        console = None if silent else _console_stream()
        pump = threading.Thread(
            target=_pump, args=(proc.stdout, log_file, console, not silent, redactor), name="cm-native-output",
            daemon=True
        )
        pump.start()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _stop(proc, signal.SIGTERM, interrupt_grace)
    except BaseException:
        # Ctrl-C (or any abort): the child gets SIGINT as well and is reaped first.
        _stop(proc, signal.SIGINT, interrupt_grace)
        if pump is not None and pump.ident is not None:  # Ctrl-C may come while it is being started
            pump.join(DRAIN_WAIT_S)
        raise
    pump.join(DRAIN_WAIT_S)

    rc = proc.returncode
    if log is not None and timed_out:
        log.warning(f"{script_path.name} stopped after {timeout} s")
    env_out_path = cwd / ENV_OUT
    env_out = parse_env_out(env_out_path.read_text(encoding="utf-8", errors="replace")) if env_out_path.is_file() else {}
    return NativeResult(
        returncode=rc,
        env_out=env_out,
        state_out=read_state_out(cwd / STATE_OUT),
        script_path=script_path,
        wrapper_path=wrapper,
        log_path=log_path,
        timed_out=timed_out,
    )
