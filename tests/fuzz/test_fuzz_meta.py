"""Property tests for meta loading through the database, in both dialects.

Random metas (YAML and JSON, CM ``_cm.*`` and MLC ``meta.yaml``) and random garbage files are
written into a temporary repository; searching and loading must find every well-formed
script with its meta intact, skip the broken ones (with a one-line warning), and never
raise anything but a CMError.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
import yaml
from fuzzkit import any_text, assert_cm_error, fast_and_slow
from hypothesis import strategies as st

from cmcore.session import Session

scalar = st.one_of(st.none(), st.booleans(), st.integers(-10**9, 10**9),
                   st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=15))
json_value = st.recursive(scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(st.characters(blacklist_categories=("Cs", "Cc")),
                                                         min_size=1, max_size=8), inner, max_size=3)), max_leaves=8)
meta_extra = st.dictionaries(st.sampled_from(["env", "default_env", "deps", "x_random", "variations", "cache",
                                              "new_env_keys", "input_mapping", "docker", "weird key"]),
                             json_value, max_size=4)
tag = st.from_regex(r"[a-z][a-z0-9\-]{0,10}", fullmatch=True)
# YAML tags ("!x") have their own test below (test_yaml_tag_in_meta_is_skipped).
garbage = st.one_of(any_text.filter(lambda t: "!" not in t), st.sampled_from(["tags: [a, b", "- just\n- a list", "{", "null", "42", "\t:\t",
                                               "alias: x\n  bad: indent", "\"unterminated", "&a [*a]"]))


def _write(folder: Path, name: str, meta: dict, fmt: str) -> None:
    folder.mkdir(parents=True)
    text = json.dumps(meta) if fmt == "json" else yaml.safe_dump(meta, allow_unicode=True)
    (folder / name).write_text(text, encoding="utf-8")


def _search_survives(dialect: str, fmt: str, tags: list[str], extra: dict, bad_text: str, bad_name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        home, repo = root / "home", root / "repo"
        home.mkdir()
        repo.mkdir()
        marker = "cmr.yaml" if dialect == "cm" else "meta.yaml"
        (repo / marker).write_text("alias: fuzz-repo\nuid: 0123456789abcdef\n")
        (home / "repos.json").write_text(json.dumps([str(repo)]))
        good = {**extra, "alias": "good-one", "uid": "fedcba9876543210", "automation_alias": "script",
                "automation_uid": "5b4e0237da074764", "tags": ["fuzzgood", *tags]}
        meta_name = ("_cm.json" if fmt == "json" else "_cm.yaml") if dialect == "cm" else \
            ("meta.json" if fmt == "json" else "meta.yaml")
        _write(repo / "script" / "good-one", meta_name, good, fmt)
        bad = repo / "script" / "bad-one"
        bad.mkdir()
        (bad / bad_name).write_text(bad_text, encoding="utf-8")
        session = Session(home=home, env={"CM_HOME": str(home)}, load_entry_points=False)
        try:
            found = session.db.search("script", tags=["fuzzgood", *tags])
            assert [a.alias for a in found] == ["good-one"]
            assert found[0].meta["tags"] == good["tags"]
            for key, value in extra.items():
                if key not in ("alias", "uid", "tags"):
                    assert found[0].meta.get(key) == value
            every = session.db.search("script")  # the broken one may or may not be listed
            assert "good-one" in [a.alias for a in every]
            for a in every:
                assert isinstance(a.meta, dict)
        except Exception as exc:  # noqa: BLE001 - only CMError may escape
            assert_cm_error(exc)
            raise


test_meta_search_survives, test_meta_search_survives_slow = fast_and_slow(
    st.sampled_from(["cm", "mlc"]), st.sampled_from(["yaml", "json"]), st.lists(tag, max_size=3, unique=True),
    meta_extra, garbage, st.sampled_from(["_cm.yaml", "_cm.json", "meta.yaml", "meta.json"]),
    fast=25, slow=400)(_search_survives)


@pytest.mark.parametrize("bad_text", ["!0 {}", "alias: bad\ntags: [fuzzgood]\nx: !0 {}\n",
                                      "tags: [fuzzgood]\nx: !!python/object:os.system {}\n"])
def test_yaml_tag_in_meta_is_skipped(bad_text: str) -> None:
    _search_survives("cm", "yaml", [], {}, bad_text, "_cm.yaml")
