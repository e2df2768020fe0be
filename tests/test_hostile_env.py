"""Env values reach run.sh byte-for-byte and are never executed (a full `cmr` run).

Values with quotes, ``$``, backticks, spaces, newlines, globs and ``;`` go in through the
CLI (``--env.K=v``) and the Python API; run.sh copies each value into a file with printf,
and the test compares bytes. Marker commands inside the values would create a file if any
of them were executed by the wrapper.
"""

from __future__ import annotations

from pathlib import Path

import cmcore

VALUES = {
    "HX_QUOTES": "it's \"quoted\" 'twice'",
    "HX_DOLLAR": "$HOME ${PATH} $((1+1)) $(touch PWNED-dollar)",
    "HX_BACKTICK": "`touch PWNED-backtick` and \\`escaped\\`",
    "HX_SPACES": "a  b\tc",
    "HX_SEMI": "x; touch PWNED-semi; # comment",
    "HX_GLOB": "* ? [a-z] ~ ~root",
    "HX_BANG": "!! !$ %PATH% \\n \\\\",
    "HX_UNICODE": "naïve — ✓ 𝛑",
}
API_ONLY = {  # the CLI strips surrounding whitespace of flag values (CM-FORMAT §2.1); the API does not
    "HX_NEWLINES": "line1\nline2\n\nline4\n",
    "HX_EDGES": "  lead and trail  ",
    "HX_CR": "a\r\nb",
}

RUN_SH = "#!/bin/bash\n" + "".join(
    f'printf "%s" "${{{k}}}" > "$HX_OUT/{k}"\n' for k in [*VALUES, *API_ONLY]) + "exit 0\n"


def _script(cm_repo) -> None:
    cm_repo("hx", scripts={"hostile-env": {"meta": {"tags": ["hostile-env"], "cache": False},
                                           "files": {"run.sh": RUN_SH}}})


def _check(out: Path, values: dict[str, str], cwd: Path) -> None:
    for k, v in values.items():
        assert (out / k).read_bytes() == v.encode("utf-8"), k
    assert not list(cwd.rglob("PWNED*")) and not list(out.rglob("PWNED*")), "an env value was executed"


def test_env_values_byte_for_byte_through_cli(cm_repo, cm_cli, tmp_path: Path) -> None:
    _script(cm_repo)
    out = tmp_path / "out"
    out.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    args = ["run", "script", "--tags=hostile-env", "--quiet", f"--env.HX_OUT={out}"]
    args += [f"--env.{k}={v}" for k, v in VALUES.items()]
    r = cm_cli.subprocess(*args, cwd=work)
    assert r.exit_code == 0, r.stderr
    _check(out, VALUES, work)


def test_env_values_byte_for_byte_through_api(cm_repo, cm_home, tmp_path: Path, monkeypatch) -> None:
    _script(cm_repo)
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(tmp_path)
    env = {"HX_OUT": str(out), **VALUES, **API_ONLY}
    r = cmcore.access({"action": "run", "automation": "script", "tags": "hostile-env", "quiet": True, "env": env})
    assert r["return"] == 0, r
    _check(out, {**VALUES, **API_ONLY}, tmp_path)


def test_hostile_env_keys_are_skipped_not_executed(cm_repo, cm_home, tmp_path: Path, monkeypatch) -> None:
    """A key that is not a variable name cannot be exported; it must not become shell code."""
    _script(cm_repo)
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(tmp_path)
    env = {"HX_OUT": str(out), "X=1; touch PWNED-key; Y": "v", "$(touch PWNED-key2)": "v", "A B": "v"}
    r = cmcore.access({"action": "run", "automation": "script", "tags": "hostile-env", "quiet": True, "env": env})
    if r["return"]:
        assert "\n" not in r["error"]
    assert not list(tmp_path.rglob("PWNED*"))
