"""CacheStore in one process: publish/lookup, versions, --new, renew, validation, stale
dependencies, path fixing, corrupt entries, cycles and threads."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from cmcore.cache.entry import META_FILE
from cmcore.cache.keys import CacheKey
from cmcore.cache.store import CacheStore
from cmcore.errors import CMError
from cmcore.session import Session

SCRIPT = "get-tool,1234567890abcdef"


def key(**kw: Any) -> CacheKey:
    base: dict[str, Any] = dict(script_uid="1234567890abcdef", script_content_hash="c1", variations=["v"])
    base.update(kw)
    return CacheKey(**base)


def publish(store: CacheStore, k: CacheKey, version: str = "1.0", env: dict | None = None,
            new: bool = False, tags: list[str] | None = None, dcp: str | None = None):
    with store.reserve(k, tags or ["get", "tool", "_v"], SCRIPT, new=new) as slot:
        assert slot.hit is None
        (slot.path / "made-by-script.txt").write_text("x")
        return slot.publish(tags or ["get", "tool", "_v"], version, env or {"TOOL": "1"}, {"s": 1},
                            ["get,os"], dependent_cached_path=dcp)


@pytest.fixture
def store(cm_session: Session) -> CacheStore:
    return CacheStore(cm_session)


def test_publish_then_lookup(store: CacheStore, cm_home: Path) -> None:
    k = key()
    assert store.lookup(k) is None
    e = publish(store, k, env={"TOOL_BIN": "/usr/bin/tool"})
    assert e.path == cm_home / "repos" / "local" / "cache" / k.digest()[:16]
    meta = json.loads((e.path / "_cm.json").read_text())
    assert meta["automation_alias"] == "cache" and meta["automation_uid"] == "541d6f712a6b464e"
    assert meta["cache_key"] == k.digest() and meta["uid"] == e.uid
    assert meta["associated_script_artifact"] == SCRIPT
    assert meta["associated_script_artifact_uid"] == "1234567890abcdef"
    assert meta["tags"] == ["get", "tool", "_v", "script-artifact-1234567890abcdef", "version-1.0"]
    state = json.loads((e.path / "cm-cached-state.json").read_text())
    assert state == {"new_env": {"TOOL_BIN": "/usr/bin/tool"}, "new_state": {"s": 1}, "deps": ["get,os"],
                     "version": "1.0"}
    assert (cm_home / "repos" / "local" / "cmr.yaml").exists()
    hit = store.lookup(k)
    assert hit is not None and hit.uid == e.uid and hit.new_env == {"TOOL_BIN": "/usr/bin/tool"}
    assert hit.version == "1.0" and hit.deps == ["get,os"]
    # another key misses, even though tags would match
    assert store.lookup(key(variations=["v", "w"])) is None
    assert store.lookup(key(script_content_hash="c2")) is None
    # a second reservation of the same key is a hit, in the same folder
    with store.reserve(k, ["get"], SCRIPT) as slot:
        assert slot.hit is not None and slot.hit.uid == e.uid and slot.path == e.path
        with pytest.raises(CMError):
            slot.publish([], "", {}, {}, [])


def test_mlc_dialect_state_file(store: CacheStore) -> None:
    e = publish(store, key(dialect="mlc"))
    assert (e.path / "mlc-cached-state.json").exists() and not (e.path / "cm-cached-state.json").exists()
    assert store.lookup(key(dialect="mlc")).new_env == {"TOOL": "1"}  # type: ignore[union-attr]
    assert store.lookup(key()) is None


def test_version_filters(store: CacheStore) -> None:
    k = key()
    publish(store, k, version="3.9.7")
    assert store.lookup(k, version_min="3.9") is not None
    assert store.lookup(k, version_min="3.9.7", version_max="3.9.7") is not None
    assert store.lookup(k, version_min="3.10") is None
    assert store.lookup(k, version_max="3.8") is None
    # the filtered-out entry stays; a run for the new constraint gets another folder
    with store.reserve(k, ["get"], SCRIPT, version_min="3.10") as slot:
        assert slot.hit is None and slot.path.name != k.digest()[:16]
        e2 = slot.publish(["get"], "3.11.1", {}, {}, [])
    assert store.lookup(k, version_min="3.10").uid == e2.uid  # type: ignore[union-attr]
    assert store.lookup(k, version_max="3.9.9").version == "3.9.7"  # type: ignore[union-attr]
    assert store.lookup(k).uid == e2.uid  # type: ignore[union-attr]  # newest first


def test_unversioned_entry_fails_a_bounded_request(store: CacheStore) -> None:
    k = key()
    publish(store, k, version="")
    assert store.lookup(k) is not None
    assert store.lookup(k, version_min="1.0") is None


def test_new_adds_an_entry_and_lookup_returns_newest(store: CacheStore) -> None:
    k = key()
    first = publish(store, k, env={"N": "1"})
    second = publish(store, k, env={"N": "2"}, new=True)
    assert first.uid != second.uid and second.uid.startswith(k.digest()[:8]) and len(second.uid) == 16
    assert len(store.entries()) == 2
    assert store.lookup(k).new_env == {"N": "2"}  # type: ignore[union-attr]
    store.remove(second)
    assert store.lookup(k).new_env == {"N": "1"}  # type: ignore[union-attr]
    # with the primary gone, an entry under another name is still found (fallback scan)
    third = publish(store, k, env={"N": "3"}, new=True)
    store.remove(first)
    assert store.lookup(k).uid == third.uid  # type: ignore[union-attr]


def test_renew_reruns_in_the_same_folder(store: CacheStore) -> None:
    k = key()
    e = publish(store, k, env={"N": "1"})
    with store.reserve(k, ["get"], SCRIPT, renew=True) as slot:
        assert slot.hit is None and slot.path == e.path
        assert (slot.path / "made-by-script.txt").exists()  # files kept for the re-run
        assert store.lookup(k) is None  # hidden while it re-runs
        slot.publish(["get"], "1.1", {"N": "2"}, {}, [])
    got = store.lookup(k)
    assert got is not None and got.uid == e.uid and got.new_env == {"N": "2"} and got.version == "1.1"


def test_failed_run_leaves_an_invisible_folder_that_is_reused_clean(store: CacheStore) -> None:
    k = key()
    with pytest.raises(RuntimeError), store.reserve(k, ["get"], SCRIPT) as slot:
        (slot.path / "half-done.bin").write_text("partial")
        raise RuntimeError("run.sh failed")
    assert store.lookup(k) is None and store.entries() == []
    assert store.unfinished() == [slot.path]
    with store.reserve(k, ["get"], SCRIPT) as again:
        assert again.hit is None and again.path == slot.path
        assert not (again.path / "half-done.bin").exists()
        again.publish(["get"], "1", {}, {}, [])
    assert store.lookup(k) is not None and store.unfinished() == []


def test_validate_callback(store: CacheStore) -> None:
    k = key()
    publish(store, k)
    seen = []
    assert store.lookup(k, validate=lambda e: seen.append(e.uid) or False) is None
    assert len(seen) == 1
    assert store.lookup(k, validate=lambda e: True) is not None

    def broken(e: Any) -> bool:
        raise CMError("validate_cache.sh failed", 2)

    assert store.lookup(k, validate=broken) is None


def test_dependent_cached_path_gone_is_a_miss(store: CacheStore, tmp_path: Path) -> None:
    model = tmp_path / "model.onnx"
    model.write_text("weights")
    k = key()
    publish(store, k, dcp=str(model))
    assert store.lookup(k) is not None
    model.unlink()
    assert store.lookup(k) is None
    assert store.entries()[0].dependency_missing


def test_path_fixing_on_reuse_from_another_home(tmp_path: Path) -> None:
    home_a, home_b = tmp_path / "a" / "CM", tmp_path / "b" / "CM"
    sa = CacheStore(Session(home=home_a))
    k = key()
    with sa.reserve(k, ["get"], SCRIPT) as slot:
        (slot.path / "bin").mkdir()
        venv = str(slot.path / "venv")
        e = slot.publish(["get"], "1", {
            "TOOL_BIN": str(slot.path / "bin" / "tool"),
            "+PATH": [str(slot.path / "bin"), "/usr/bin"],
            "FLAGS": f"-I{slot.path}/include --prefix={venv}",
            "PLAIN": "/opt/local/cache/elsewhere",  # not under a repos root: untouched shape
            "N": 3,
        }, {}, [], dependent_cached_path=str(slot.path / "bin"))
    # copy the entry folder into another home, as `cp -r` or a docker mount would
    dst = home_b / "repos" / "local" / "cache" / e.uid
    dst.parent.mkdir(parents=True)
    shutil.copytree(e.path, dst)
    hit = CacheStore(Session(home=home_b)).lookup(k)
    assert hit is not None, "dependent_cached_path must be fixed before the existence check"
    cache_b = str(home_b / "repos" / "local" / "cache")
    assert hit.new_env["TOOL_BIN"] == f"{cache_b}/{e.uid}/bin/tool"
    assert hit.new_env["+PATH"] == [f"{cache_b}/{e.uid}/bin", "/usr/bin"]
    assert hit.new_env["FLAGS"] == f"-I{cache_b}/{e.uid}/include --prefix={cache_b}/{e.uid}/venv"
    assert hit.new_env["N"] == 3
    assert hit.dependent_cached_path == f"{cache_b}/{e.uid}/bin"
    # in its own home nothing changes
    assert sa.lookup(k).new_env["TOOL_BIN"] == str(e.path / "bin" / "tool")  # type: ignore[union-attr]


def test_truncated_meta_one_warning_others_fine(store: CacheStore, cm_session: Session, capsys) -> None:
    k_bad, k_good = key(variations=["bad"]), key(variations=["good"])
    bad = publish(store, k_bad, tags=["conc3"])
    publish(store, k_good)
    text = (bad.path / META_FILE).read_text()
    (bad.path / META_FILE).write_text(text[: len(text) // 2])
    capsys.readouterr()
    assert store.lookup(k_bad) is None
    assert store.lookup(k_bad) is None
    assert store.lookup(k_good) is not None
    err = capsys.readouterr().err
    assert err.count("corrupt cache entry") == 1 and str(bad.path) in err
    listed = {e.uid: e for e in store.entries()}
    assert listed[bad.uid].corrupt and "does not parse" in listed[bad.uid].error
    assert listed[bad.uid].tags == ["conc3"]  # recovered from the reservation record
    assert [e.uid for e in store.entries("conc3")] == [bad.uid]
    # the next reservation of that key reuses the folder and succeeds
    with store.reserve(k_bad, ["conc3"], SCRIPT) as slot:
        assert slot.hit is None and slot.path == bad.path
        slot.publish(["conc3"], "2", {}, {}, [])
    assert store.lookup(k_bad).version == "2"  # type: ignore[union-attr]


def test_corrupt_state_and_remove(store: CacheStore) -> None:
    k = key()
    e = publish(store, k)
    (e.path / "cm-cached-state.json").write_text("{not json")
    assert store.lookup(k) is None
    (corrupt,) = store.entries()
    assert corrupt.corrupt and "cm-cached-state.json" in corrupt.error
    store.remove(corrupt)
    assert not e.path.exists() and store.entries() == []


def test_remove_refuses_a_folder_outside_the_cache(store: CacheStore, tmp_path: Path) -> None:
    with pytest.raises(CMError):
        store.remove(tmp_path)
    assert tmp_path.exists()


def test_reentrant_reservation_is_a_cycle_error(store: CacheStore) -> None:
    k, other = key(), key(variations=["other"])
    with store.reserve(k, ["get"], SCRIPT) as outer:
        with store.reserve(other, ["get"], "dep-tool,aaaaaaaaaaaaaaaa") as inner:
            with pytest.raises(CMError) as exc, store.reserve(k, ["get"], SCRIPT):
                pass
            inner.publish(["dep"], "", {}, {}, [])
        msg = exc.value.message
        assert "cycle" in msg and "get-tool _v -> dep-tool _other -> get-tool _v" in msg
        outer.publish(["get"], "", {}, {}, [])
    # the locks were released: the key can be reserved again
    with store.reserve(k, ["get"], SCRIPT) as slot:
        assert slot.hit is not None


def test_other_thread_waits_then_hits(store: CacheStore) -> None:
    k = key()
    results: list[Any] = []
    started = threading.Event()

    def second() -> None:
        started.set()
        with store.reserve(k, ["get"], SCRIPT) as slot:
            results.append(slot.hit)

    with store.reserve(k, ["get"], SCRIPT) as slot:
        t = threading.Thread(target=second)
        t.start()
        started.wait()
        t.join(0.3)
        assert t.is_alive(), "the second thread must wait for the first to publish"
        e = slot.publish(["get"], "1", {}, {}, [])
    t.join()
    assert results and results[0] is not None and results[0].uid == e.uid


def test_entry_copied_in_under_another_name_is_found(store: CacheStore) -> None:
    k = key()
    e = publish(store, k, env={"N": "orig"})
    assert store.lookup(key(variations=["miss"])) is None  # a miss first: the scan memo is built
    moved = e.path.parent / "00000000deadbeef"
    shutil.move(str(e.path), str(moved))
    hit = store.lookup(k)
    assert hit is not None and hit.path == moved and hit.new_env == {"N": "orig"}
    # a reservation does not clobber it either: the lookup under the lock finds it
    with store.reserve(k, ["get"], SCRIPT) as slot:
        assert slot.hit is not None and slot.hit.path == moved


def test_detect_hook_answers_for_cached_scripts(store: CacheStore, cm_session: Session) -> None:
    from types import SimpleNamespace

    from cmcore.cache.plugin import detect
    from cmcore.types import Component

    k = key()
    e = publish(store, k, version="2.0")

    def comp(**kw: Any) -> Component:
        data = dict(cache_key=k, version_min="", version_max="", validate=None, new=False, renew=False,
                    skip_cache=False)
        data.update(kw)
        return Component(kind="script", name="get-tool", data=SimpleNamespace(**data))

    hit = cm_session.pm.hook.cm_detect(component=comp(), session=cm_session)
    assert hit is not None and hit.uid == e.uid
    assert detect(comp(version_min="1.5", version_max="2"), cm_session).uid == e.uid  # type: ignore[union-attr]
    assert detect(comp(version_min="2.1"), cm_session) is None
    assert detect(comp(validate=lambda entry: False), cm_session) is None
    for flag in ("new", "renew", "skip_cache"):
        assert detect(comp(**{flag: True}), cm_session) is None
    assert detect(comp(cache_key=None), cm_session) is None
    from cmcore.builtin import cache as builtin_cache

    assert builtin_cache.cm_detect(Component(kind="device", name="cpu", data=comp().data), cm_session) is None
