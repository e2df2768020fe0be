"""Replay: a repeated read-only command answered from its recorded output.

``cm find script --tags=...`` and a ``cm run script ...`` that ends as a cache hit depend on
nothing but the command line, the working folder, the environment and files: the repo
list, the index shards of the folders searched, the meta files they cover, the script
folder, the cache entry, and the code that ran. The first such command records, next to its
output and exit status, the stat signature ``(mtime, ctime, size, inode)`` of every one of
those files. When the same command comes again (same arguments, folder, interpreter and
environment), :func:`try_replay` stats them all again, and only when every signature still
matches prints the recorded output, without importing the plugin manager, the index or the
engine. Any difference, a missing or damaged record, or ``CM_REPLAY=no`` takes the normal
path, which records anew.

What makes it safe:

* a record is written only by code paths that declare every input they read (the script
  automation's ``search``, a top-level cache hit, and ``--version``/``--help``, which depend
  on the installed code alone; see :class:`Recorder`); anything else
  (a miss, dependencies that ran, a validator script, a prompt, a plugin outside the
  audited set hooking the lifecycle, ``--time``, ``--lock``...) refuses it;
* a signature observed within :func:`racy_window` of the recording's start is not trusted
  (the file may change again within one clock tick), so such a record is not kept;
* every meta file the index covers is stat-ed again, exactly as the index itself does, so a
  replay is never staler than a normal lookup; the modules that ran and the folders on
  ``sys.path`` (where installs land) are part of the check;
* records are one small file each, written atomically, with a checksum; a damaged one is
  ignored and removed.

A find whose query is tags only also leaves a *find template* (see :func:`try_find_template`):
a later find with other tags, in the same setting and with every input unchanged, is answered
by filtering the index shards' rows here, without the plugin manager or the engine.

This module imports only the standard library's built-in modules (the find template adds the
CLI grammar and the tag-query parser), so a replay costs little more than the interpreter's
start-up.
"""

from __future__ import annotations

import marshal
import os
import sys
import time
import zlib

TYPE_CHECKING = False  # no `typing` import here: it alone costs more than a whole replay
if TYPE_CHECKING:
    from typing import Any

FORMAT = 3  # 2: a folder is checked through its index shard; 3: with its repo's priority
MAGIC = b"CMRP"
MAX_RECORDS = 256  # per home; the oldest half is dropped beyond this
_VOLATILE_ENV = frozenset({"OLDPWD", "SHLVL", "_"})  # set by shells, changes nothing we do
FIND_VERBS = frozenset({"find", "search", "ls"})

Sig = tuple  # (mtime_ns, ctime_ns, size, inode) or () for "absent"


def disabled(env: Any = None) -> bool:
    v = (os.environ if env is None else env).get("CM_REPLAY", "")
    return str(v).strip().lower() in ("no", "off", "false", "0")


def _trace(msg: str) -> None:
    """``CM_TRACE_REPLAY=1``: one line on stderr saying why a command was or was not replayed."""
    if os.environ.get("CM_TRACE_REPLAY"):
        sys.stderr.write(f"cm replay: {msg}\n")


def sig(path: str) -> Sig:
    try:
        st = os.stat(path)
    except OSError:
        return ()
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)


def racy_window(mtime_ns: int, ctime_ns: int) -> int:
    """How old a timestamp must be to be trusted: 100 ms on file systems that keep sub-second
    times (a clock tick there is at most 10 ms), 2 s where times are whole seconds."""
    if mtime_ns % 1_000_000_000 or ctime_ns % 1_000_000_000:
        return 100_000_000
    return 2_000_000_000


def candidate(argv: list[str]) -> str:
    """``"find"``, ``"run"``, ``"about"`` or ``""``: which commands may be replayed at all."""
    if len(argv) == 1 and argv[0] in ("--version", "-V", "--help", "-h"):
        return "about"  # plugin list and help: functions of the installed code alone
    if len(argv) < 2 or argv[1] != "script" or "--" in argv:
        return ""
    if any(a.startswith("@") for a in argv):  # an input file: its content is not in the key
        return ""
    if argv[0] in FIND_VERBS:
        return "find"
    if argv[0] == "run":
        return "run"
    return ""


def home_dir(env: Any) -> str:
    h = env.get("CM_HOME")
    if h:
        return os.path.realpath(os.path.expanduser(h))
    from platformdirs import user_data_dir

    return os.path.realpath(user_data_dir("cm", appauthor=False))


def _tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _material(argv: list[str], env: Any) -> tuple:
    """Everything a command's answer depends on besides files: what identifies a record."""
    envs = tuple(sorted((k, v) for k, v in env.items() if k not in _VOLATILE_ENV))
    ttys = (_tty(sys.stdin), _tty(sys.stdout), _tty(sys.stderr))  # prompts and progress differ on a terminal
    return (FORMAT, sys.executable, tuple(sys.path), os.getcwd(), tuple(argv), envs, ttys)


def _record_path(home: str, material: tuple) -> str:
    raw = repr(material).encode("utf-8", "surrogateescape")  # not marshal: its bytes vary with refcounts
    name = f"{zlib.crc32(raw):08x}{zlib.adler32(raw):08x}"
    return os.path.join(home, "index", "replay", name + ".rec")


def _read(path: str) -> dict | None:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    if data[:4] != MAGIC or int.from_bytes(data[4:8], "little") != zlib.crc32(data[8:]):
        _drop(path)
        return None
    try:
        rec = marshal.loads(data[8:])
    except (ValueError, EOFError, TypeError):
        _drop(path)
        return None
    return rec if isinstance(rec, dict) and rec.get("v") == FORMAT else None


def _drop(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _folder_fresh(folder: str, dir_sig: Sig, shard: str, token: int) -> bool:
    """The index's own freshness test: the folder, then (the shard written when the record was
    made must still be there) every meta file it covers, one stat each."""
    if sig(folder) != dir_sig:
        return False
    if not shard:
        return True  # it held no artifact folders: any new one changes its signature
    from cmcore import shardfile

    return shardfile.fresh_data(folder, shard, token) is not None


def _files_unchanged(rec: dict) -> bool:
    for path, s in rec["files"]:
        if sig(path) != s:
            _trace(f"changed since recorded: {path}")
            return False
    return True


def valid(rec: dict, material: tuple) -> bool:
    if rec.get("material") != material:
        _trace("a record of another command (hash clash)")
        return False
    if not _files_unchanged(rec):
        return False
    for folder, dir_sig, shard, token, _priority in rec["folders"]:
        if not _folder_fresh(folder, dir_sig, shard, token):
            _trace(f"changed since recorded: an artifact in {folder}")
            return False
    return True


def try_replay(argv: list[str]) -> int | None:
    """Print the recorded output of this very command and return its exit status, or None
    when it must run for real."""
    env = os.environ
    if not candidate(argv) or disabled(env):
        return None
    try:
        material = _material(argv, env)
        path = _record_path(home_dir(env), material)
        rec = _read(path)
        if rec is None:
            _trace(f"no record {path}")
            return None
        if not valid(rec, material):
            return None
    except Exception as exc:  # noqa: BLE001 - a replay problem only means running for real
        _trace(f"cannot replay: {type(exc).__name__}: {exc}")
        return None
    _trace(f"replayed {path}")
    if rec["out"]:
        sys.stdout.write(rec["out"])
        sys.stdout.flush()
    if rec["err"]:
        sys.stderr.write(rec["err"])
        sys.stderr.flush()
    return int(rec["rc"])


# -- the find template: a new tag query answered from the index shards alone -----------------
#
# A find whose query is tags only (``cm find script --tags=a,-b`` or ``cm find script "a b"``)
# reads the same inputs whatever the tags: the repos, the script folders of every repo and the
# code. Besides its own record, such a find writes a *template* keyed by everything but the
# tags; a later find with other tags, when every input is unchanged (the same test as a
# replay), filters the shards' rows itself and prints the sorted paths, as the search would.
# Anything the template does not cover (a name, other flags, a broken meta or ``_base`` in a
# searched folder) runs the command for real.

#: the keys of a parsed find that the template answers (``out`` is added by the CLI)
TEMPLATE_KEYS = frozenset({"action", "automation", "artifact", "artifacts", "tags", "cmd"})


def _template_material(argv: list[str], env: Any) -> tuple:
    return _material([argv[0], argv[1], "\0tags"], env)


def try_find_template(argv: list[str]) -> int | None:
    """Answer a new tags-only ``find script`` from the find template, or None."""
    env = os.environ
    if candidate(argv) != "find" or disabled(env):
        return None
    try:
        material = _template_material(argv, env)
        path = _record_path(home_dir(env), material)
        rec = _read(path)
        if rec is None or "out" in rec or rec.get("material") != material:
            _trace(f"no find template {path}")
            return None
        out = _template_answer(argv, rec)
    except Exception as exc:  # noqa: BLE001 - a template problem only means running for real
        _trace(f"cannot use the find template: {type(exc).__name__}: {exc}")
        return None
    if out is None:
        return None
    _trace(f"answered from the find template {path}")
    sys.stdout.write(out)
    sys.stdout.flush()
    return 0


def _template_answer(argv: list[str], rec: dict) -> str | None:
    from cmcore import shardfile
    from cmcore.grammar import parse_cli
    from cmcore.refs import parse_tags
    from cmcore.script.tagquery import build_query

    inp = parse_cli(argv)
    if set(inp) - TEMPLATE_KEYS:
        return None
    query = build_query(inp)
    if query.ref:
        return None
    yes, no = parse_tags(list(query.tags) if query.tags else None)
    if not _files_unchanged(rec):
        return None
    found = []
    sep = os.sep
    for folder, dir_sig, shard, token, priority in rec["folders"]:
        if sig(folder) != dir_sig:
            _trace(f"changed since recorded: {folder}")
            return None
        if not shard:
            continue  # it held no artifact folders
        data = shardfile.fresh_data(folder, shard, token)
        if data is None:
            _trace(f"changed since recorded: an artifact in {folder}")
            return None
        cols = shardfile.decode_rows(data)
        names, tagcol, files, sorts = cols["name"], cols["tags"], cols["files"], cols["sort"]
        if any(cols["error"]) or any(cols["has_base"]):
            return None  # a warning to print, or inherited tags to resolve: the real search does
        for k in shardfile.candidate_rows(tagcol, cols["has_base"], cols["error"], yes, False):
            if files[k] and shardfile.tags_ok(tagcol[k], yes, no):
                found.append((int(sorts[k] or 0), -int(priority or 0), folder + sep + names[k]))
    found.sort()
    return "".join(f"{p}\n" for _s, _pr, p in found)


class _Tee:
    """A text stream that also keeps what was written."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.parts: list[str] = []

    def write(self, s: str) -> int:
        self.parts.append(s)
        return self._stream.write(s)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


# Plugins whose lifecycle hooks are known to leave a script's cache hit alone: the built-ins
# and this project's hardware and backend plugins (they answer only their own component kinds).
AUDITED_PLUGINS = frozenset({
    "cmcore.builtin.automations", "cmcore.builtin.native", "cmcore.builtin.cache",
    "cmcore.builtin.executors", "cmcore.repro.plugin", "cmcore.gui.plugin",
    "hw-cpu", "hw-cuda", "hw-metal", "hw-qualcomm", "backend-onnx", "backend-tensorrt",
})
LIFECYCLE_HOOKS = ("cm_detect", "cm_install", "cm_run", "cm_postprocess")


class Recorder:
    """Collects what one command read; :meth:`commit` writes the record if it is complete.

    Code that reads inputs calls :meth:`file`, :meth:`tree` and :meth:`folder`; the code path
    that knows it declared everything sets :attr:`kind` (``"find"`` or ``"run"``); anything
    that makes the output depend on more calls :meth:`refuse`.
    """

    def __init__(self, argv: list[str], want: str) -> None:
        self.started_ns = time.time_ns()
        self.env = dict(os.environ)
        self.argv = list(argv)
        self.material = _material(argv, self.env)
        self.template = False  # set by a find whose answer the find template can compute (tags only)
        self.home = home_dir(self.env)
        self.want = want
        self.kind = ""
        self.refused = ""
        self.files: dict[str, Sig] = {}
        self.folders: dict[str, tuple] = {}
        self.out = _Tee(sys.stdout)
        self.err = _Tee(sys.stderr)

    # -- what the command read ---------------------------------------------------------
    def file(self, path: str | os.PathLike) -> None:
        p = os.fspath(path)
        if p not in self.files:
            self.files[p] = sig(p)

    def tree(self, folder: str | os.PathLike) -> None:
        """A folder and every file directly in it (a script folder: its content hash)."""
        d = os.fspath(folder)
        self.file(d)
        try:
            names = sorted(os.listdir(d))
        except OSError:
            return
        for n in names:
            self.file(os.path.join(d, n))

    def folder(self, folder: str, shard: Any, priority: int = 0) -> None:
        """An automation folder as the index just validated it: its shard, by file and token
        (and the priority of its repo, which orders a find's answer)."""
        if not shard.rels:  # no artifact folders (or no folder): its own signature says it all
            self.folders[folder] = (folder, tuple(shard.dir_sig), "", 0, int(priority or 0))
        elif shard.path is None:  # not what is on disk (index off, or a write that failed)
            self.refuse(f"the index of {folder} is not saved")
        elif shard.racy():
            self.refuse(f"the index of {folder} holds entries that changed too recently")
        else:
            self.folders[folder] = (folder, tuple(shard.dir_sig), shard.path, shard.token, int(priority or 0))

    def refuse(self, why: str) -> None:
        if not self.refused:
            self.refused = why

    def check_plugins(self, pm: Any) -> None:
        for hook in LIFECYCLE_HOOKS:
            for impl in getattr(pm.hook, hook).get_hookimpls():
                if impl.plugin_name not in AUDITED_PLUGINS:
                    self.refuse(f"plugin {impl.plugin_name} implements {hook}")
                    return

    # -- writing -----------------------------------------------------------------------
    def _trusted(self, s: Sig) -> bool:
        if not s:
            return True
        if -1 in s:
            return False
        return self.started_ns - max(s[0], s[1]) >= racy_window(s[0], s[1])

    def commit(self, rc: int) -> bool:
        """Write the record; False (nothing written) when it would not be complete or safe."""
        if any("cm warning: " in part for part in self.err.parts):
            # a warning may be about something this run repaired (a corrupt index file):
            # replaying it would report a problem that is gone
            self.refuse("a warning was printed")
        if self.refused or self.kind != self.want or rc != 0 or disabled(self.env):
            _trace(f"not recorded: {self.refused or (f'exit status {rc}' if rc else 'not a replayable answer')}")
            return False
        for m in list(sys.modules.values()):  # the code that ran
            f = getattr(m, "__file__", None)
            if f and f.endswith(".py"):
                self.file(f)
        for p in sys.path:  # installs and removals change these folders
            if p:
                self.file(p)
        for p, s in self.files.items():
            if not self._trusted(s):
                _trace(f"not recorded: {p} changed too recently to be trusted")
                return False
        for f, dir_sig, *_shard in self.folders.values():
            # the rows' own signatures were taken by the index, which marks young ones as racy
            if not self._trusted(dir_sig):
                _trace(f"not recorded: {f} changed too recently to be trusted")
                return False
        files = sorted(self.files.items())
        rec = {"v": FORMAT, "material": self.material, "files": files,
               "folders": list(self.folders.values()), "out": "".join(self.out.parts),
               "err": "".join(self.err.parts), "rc": rc}
        if not _write(_record_path(self.home, self.material), rec):
            return False
        if self.template and self.kind == "find" and not rec["err"]:
            tmat = _template_material(self.argv, self.env)
            _write(_record_path(self.home, tmat), {
                "v": FORMAT, "material": tmat, "files": files,
                "folders": rec["folders"]})
        return True


def _write(path: str, rec: dict) -> bool:
    try:
        payload = marshal.dumps(rec)
    except ValueError:
        return False
    data = MAGIC + zlib.crc32(payload).to_bytes(4, "little") + payload
    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        _trace(f"not recorded: {exc}")
        return False
    _prune(folder)
    _trace(f"recorded {path}")
    return True


def _prune(folder: str) -> None:
    try:
        entries = [e for e in os.scandir(folder) if e.name.endswith(".rec")]
        if len(entries) <= MAX_RECORDS:
            return
        entries.sort(key=lambda e: e.stat().st_mtime_ns)
        for e in entries[: len(entries) // 2]:
            _drop(e.path)
    except OSError:
        pass


def start(argv: list[str]) -> Recorder | None:
    """A recorder for this command line when it may be replayed later, else None."""
    want = candidate(argv)
    if not want or disabled():
        return None
    try:
        return Recorder(argv, want)
    except Exception:  # noqa: BLE001 - e.g. no usable home: just do not record
        return None
