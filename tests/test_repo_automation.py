"""The repo automation with real git repositories made in temporary folders (no network)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from test_db_support import make_repo, write_artifact

from cmcore.automations.repo import alias_from_url, github_url


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e.x", "-c", "init.defaultBranch=main",
                           *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def make_git_repo(path: Path, alias: str | None = "upstream", scripts: tuple[str, ...] = ("hello",)) -> Path:
    path.mkdir(parents=True)
    git("init", "-q", cwd=path)
    if alias:
        make_repo(path, alias)
    for s in scripts:
        write_artifact(path, "demo", s, {"tags": ["from-git", s]})
    git("add", "-A", cwd=path)
    git("commit", "-q", "-m", "first", cwd=path)
    return path


@pytest.mark.parametrize(("url", "alias"), [
    ("https://github.com/mlcommons/cm4mlops", "mlcommons@cm4mlops"),
    ("https://github.com/mlcommons/cm4mlops.git", "mlcommons@cm4mlops"),
    ("git@github.com:ctuning/mlcommons-ck.git", "ctuning@mlcommons-ck"),
    ("file:///srv/git/owner/name.git/", "owner@name"),
    ("/tmp/some/where/repo", "where@repo"),
])
def test_alias_from_url(url, alias):
    assert alias_from_url(url) == alias


def test_github_names():
    assert github_url("owner@name") == ("https://github.com/owner/name", "owner@name")
    assert github_url("cm4mlops") == ("https://github.com/mlcommons/cm4mlops", "mlcommons@cm4mlops")
    assert github_url("mlcommons@ck")[1] == "mlcommons@cm4mlops"


def test_pull_a_local_git_repo_clones_then_pulls(cm_cli, cm_home, tmp_path):
    up = make_git_repo(tmp_path / "src" / "team" / "upstream")
    r = cm_cli("pull", "repo", str(up))
    assert r.exit_code == 0, r.stderr
    dest = cm_home / "repos" / "team@upstream"
    assert (dest / ".git").is_dir() and (dest / "demo" / "hello" / "_cm.yaml").is_file()
    assert str(dest) in json.loads((cm_home / "repos.json").read_text())
    r = cm_cli("find", "repo", "upstream")
    assert r.stdout.strip().endswith(f"= {dest}") and r.stdout.startswith("upstream,")
    # a new commit upstream arrives with the next pull, and the index shows it at once
    write_artifact(up, "demo", "second", {"tags": ["from-git", "second"]})
    git("add", "-A", cwd=up)
    git("commit", "-q", "-m", "second", cwd=up)
    from cmcore.session import Session

    s = Session(home=cm_home)
    assert [a.alias for a in s.db.search("demo", tags="from-git")] == ["hello"]
    r = cm_cli("pull", "repo", str(up))
    assert r.exit_code == 0, r.stderr
    assert sorted(a.alias for a in s.db.search("demo", tags="from-git")) == ["hello", "second"]
    r = cm_cli("pull", "repo")  # no argument: every git repo
    assert r.exit_code == 0, r.stderr
    r = cm_cli("info", "repo", "upstream")
    assert "commit:" in r.stdout and str(up) in r.stdout


def test_clone_without_cmr_yaml_gets_one(cm_cli, cm_home, tmp_path):
    up = make_git_repo(tmp_path / "src" / "bare" / "content", alias=None)
    r = cm_cli("pull", "repo", f"file://{up}")
    assert r.exit_code == 0, r.stderr
    meta = yaml.safe_load((cm_home / "repos" / "bare@content" / "cmr.yaml").read_text())
    assert meta["alias"] == "bare@content" and meta["git"] is True and len(meta["uid"]) == 16
    r = cm_cli("where", "repo", "bare@content")
    assert r.stdout.strip() == str(cm_home / "repos" / "bare@content")


def test_pull_branch_checkout_and_depth(cm_cli, cm_home, tmp_path):
    up = make_git_repo(tmp_path / "src" / "o" / "branchy")
    first = git("rev-parse", "HEAD", cwd=up)
    git("checkout", "-q", "-b", "dev", cwd=up)
    write_artifact(up, "demo", "dev-only", {"tags": ["dev"]})
    git("add", "-A", cwd=up)
    git("commit", "-q", "-m", "dev", cwd=up)
    r = cm_cli("pull", "repo", f"file://{up}", "--branch=dev", "--depth=1")
    assert r.exit_code == 0, r.stderr
    dest = cm_home / "repos" / "o@branchy"
    assert (dest / "demo" / "dev-only").is_dir()
    assert git("rev-parse", "--abbrev-ref", "HEAD", cwd=dest) == "dev"
    cm_cli("rm", "repo", "upstream", "--all", "-f")
    assert not dest.exists()
    r = cm_cli("pull", "repo", str(up), f"--checkout={first}")
    assert r.exit_code == 0, r.stderr
    assert git("rev-parse", "HEAD", cwd=dest) == first
    r = cm_cli("pull", "repo", str(up) + "-missing")
    assert r.exit_code == 1 and "git clone" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (cm_home / "repos" / "o@branchy-missing").exists()
    assert not [p for p in (cm_home / "repos").iterdir() if p.name.startswith(".tmp-clone")]
    r = cm_cli("pull", "repo", f"file://{up}", "--depth=deep")
    assert r.exit_code != 0


def test_pull_a_plain_folder_registers_it_in_place(cm_cli, cm_home, tmp_path):
    plain = make_repo(tmp_path / "plain", "plain-repo")
    write_artifact(plain, "demo", "p", {"tags": ["plain"]})
    r = cm_cli("pull", "repo", str(plain))
    assert r.exit_code == 0, r.stderr
    assert json.loads((cm_home / "repos.json").read_text()) == [str(plain.resolve())]
    assert not (cm_home / "repos" / "plain-repo").exists()
    (tmp_path / "not-a-repo").mkdir()
    r = cm_cli("pull", "repo", str(tmp_path / "not-a-repo"))
    assert r.exit_code == 4 and "not a CM repository" in r.stderr


def test_pull_refuses_a_fork_of_a_registered_repo(cm_cli, cm_home, tmp_path):
    make_git_repo(tmp_path / "a" / "x" / "one", alias="same-alias")
    make_git_repo(tmp_path / "b" / "y" / "two", alias="same-alias")
    assert cm_cli("pull", "repo", str(tmp_path / "a" / "x" / "one")).exit_code == 0
    r = cm_cli("pull", "repo", str(tmp_path / "b" / "y" / "two"))
    assert r.exit_code == 8 and str(cm_home / "repos" / "x@one") in r.stderr
    assert not (cm_home / "repos" / "y@two").exists()  # the refused clone is not left behind


def test_init_list_where_rm(cm_cli, cm_home, tmp_path):
    r = cm_cli("init", "repo", "my-repo", f"--path={tmp_path / 'mine'}", "--prefix=content")
    assert r.exit_code == 0, r.stderr
    meta = yaml.safe_load((tmp_path / "mine" / "cmr.yaml").read_text())
    assert meta["alias"] == "my-repo" and meta["prefix"] == "content" and (tmp_path / "mine" / "content").is_dir()
    r = cm_cli("add", "repo", "second")
    assert r.exit_code == 0 and (cm_home / "repos" / "second" / "cmr.yaml").is_file()
    r = cm_cli("init", "repo", "third", f"--path={tmp_path / 'mine'}")
    assert r.exit_code == 8 and "already the repo" in r.stderr
    r = cm_cli("init", "repo", "../up")
    assert r.exit_code == 4
    r = cm_cli("list", "repo")
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("local,9a3280b14a4285c9 = ")
    assert any(x.startswith("my-repo,") and x.endswith(str(tmp_path / "mine")) for x in lines)
    assert cm_cli("where", "repo", "my-repo").stdout.strip() == str(tmp_path / "mine")
    r = cm_cli("where", "repo", "my-rep")
    assert r.exit_code == 16 and 'did you mean "my-repo"' in r.stderr
    r = cm_cli("rm", "repo", "my-repo")
    assert r.exit_code == 0 and (tmp_path / "mine").is_dir()
    assert "my-repo" not in cm_cli("list", "repo").stdout
    r = cm_cli("rm", "repo", "second", "--all", "-f")
    assert r.exit_code == 0 and not (cm_home / "repos" / "second").exists()
    r = cm_cli("rm", "repo", "local")
    assert r.exit_code == 1


def test_repo_actions_from_python(cm_session, tmp_path):
    r = cm_session.access({"action": "init", "automation": "repo", "artifact": "py-repo",
                           "path": str(tmp_path / "py")})
    assert r["return"] == 0 and r["repo"]["alias"] == "py-repo"
    r = cm_session.access({"action": "find", "automation": "repo", "artifact": "py-*"})
    assert [x.alias for x in r["list"]] == ["py-repo"] and r["repos"][0]["path"] == str(tmp_path / "py")
    r = cm_session.access({"action": "rm", "automation": "repo", "artifact": "py-repo", "all": True})
    assert r["return"] == 1 and "force" in r["error"] and (tmp_path / "py").is_dir()
    r = cm_session.access({"action": "load", "automation": "repo", "artifact": "py-repo"})
    assert r["return"] == 0 and r["meta"]["alias"] == "py-repo"
    r = cm_session.access({"action": "mv", "automation": "repo", "artifact": "py-repo", "artifacts": ["x"]})
    assert r["return"] == 4  # move/copy/update make no sense for repos


def test_two_pulls_of_the_same_url_at_once(cm_home, tmp_path):
    up = make_git_repo(tmp_path / "src" / "race" / "repo", scripts=tuple(f"s{k}" for k in range(30)))
    code = textwrap.dedent("""
        import sys
        from cmcore.session import Session
        r = Session(home=sys.argv[1]).access({"action": "pull", "automation": "repo", "artifact": sys.argv[2]})
        print(r["return"], r.get("error", ""))
    """)
    procs = [subprocess.Popen([sys.executable, "-c", code, str(cm_home), str(up)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [o[0].strip() for o in outs] == ["0"] * 3, outs
    dest = cm_home / "repos" / "race@repo"
    assert git("status", "--porcelain", cwd=dest) == ""
    assert json.loads((cm_home / "repos.json").read_text()) == [str(dest)]
    assert not [p for p in (cm_home / "repos").iterdir() if p.name.startswith(".tmp-clone")]
    from cmcore.session import Session

    assert len(Session(home=cm_home).db.search("demo", tags="from-git")) == 30


def test_pull_with_dir_registers_a_sub_folder(cm_cli, cm_home, tmp_path):
    up = tmp_path / "src" / "mono" / "repo"
    up.mkdir(parents=True)
    git("init", "-q", cwd=up)
    make_repo(up / "cm", "inner-repo")
    write_artifact(up / "cm", "demo", "inner", {"tags": ["inner"]})
    git("add", "-A", cwd=up)
    git("commit", "-q", "-m", "x", cwd=up)
    r = cm_cli("pull", "repo", str(up), "--dir=../escape")
    assert r.exit_code == 4 and not (cm_home / "repos" / "mono@repo").exists()
    r = cm_cli("pull", "repo", str(up), "--dir=cm")
    assert r.exit_code == 0, r.stderr
    assert cm_cli("where", "repo", "inner-repo").stdout.strip() == str(cm_home / "repos" / "mono@repo" / "cm")
