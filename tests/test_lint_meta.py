"""Meta lint: the published schema, planted mistakes, the first-party collection clean."""

from __future__ import annotations

import json

import pytest

from cmcore.lint import SCHEMA_PATH
from cmcore.lint.checks import lint_meta
from cmcore.lint.validator import Validator, load_schema

GOOD = {
    "alias": "lint-good", "uid": "0123456789abcdef", "automation_alias": "script",
    "automation_uid": "5b4e0237da074764", "tags": ["lint", "good"], "cache": True,
    "input_mapping": {"size": "LINT_SIZE"},
    "variations": {"small": {"group": "size", "default": True, "env": {"S": "1"}},
                   "large": {"group": "size", "base": ["fast"]}, "fast": {}, "url.#": {"env": {"U": "#"}},
                   "large,fast": {"env": {"LF": "yes"}}},
    "deps": [{"tags": "lint,leaf,_x", "names": ["leaf"], "size": "3"}],
}
LEAF = {"tags": ["lint", "leaf"], "input_mapping": {"size": "LEAF_SIZE"}, "variations": {"x": {}}}


def test_schema_file_is_valid_json_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"].endswith("2020-12/schema")


@pytest.mark.parametrize("meta", [
    GOOD,
    {**GOOD, "alis": "x"},
    {**GOOD, "tags": "a,b"},
    {**GOOD, "variations": {"v": {"default-variations": {}}}},
    {**GOOD, "deps": [{"tags": "a", "force-cache": True}]},
    {**GOOD, "uid": "xyz"},
])
def test_our_validator_agrees_with_jsonschema(meta):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA_PATH.read_text())
    theirs = sorted(".".join(str(p) for p in e.absolute_path)
                    for e in jsonschema.Draft202012Validator(schema).iter_errors(meta))
    ours = Validator(schema).validate(meta)
    assert bool(theirs) == bool(ours), (theirs, ours)


@pytest.fixture
def lint_repo(cm_repo, cm_session):
    return cm_repo("lint-repo", {"lint-good": {"meta": GOOD}, "lint-leaf": {"meta": LEAF}})


def _lint(session, **kw):
    return session.access({"action": "lint", "automation": "script", **kw})


def test_a_clean_repo_passes(lint_repo, cm_session):
    r = _lint(cm_session, repo="lint-repo")
    assert r["return"] == 0, r.get("lines")
    assert r["scripts"] == 2 and r["findings"] == []


def test_planted_mistakes_are_found(cm_repo, cm_session):
    bad = json.loads(json.dumps(GOOD))
    bad["alias"] = "lint-bad"
    bad["uid"] = "fedcba9876543210"
    bad["tags"] = ["lint", "bad"]
    bad["cach"] = True                                        # unknown top-level key
    bad["new_env_keys"] = "LINT_*"                            # wrong type (list expected)
    bad["variations"]["small"]["alis"] = "large"              # the real cm4mlops typo
    bad["variations"]["large"]["default-variations"] = {}     # another real one
    bad["variations"]["large"]["base"] = ["fats"]             # base not defined
    bad["variations"]["huge,fast"] = {}                       # combined key part not defined
    bad["variations"]["medium"] = {"group": "size", "default": True}  # two defaults in a group
    bad["deps"] = [{"tags": "lint,leaf,_y"},                  # variation the dep's script lacks
                   {"tags": "no,such,script"},                # resolves to nothing
                   {"tags": "lint", "force-cache": True},     # typo + several scripts
                   {"tags": "lint,leaf", "updats_tags_from_env_with_prefix": {}}]
    cm_repo("lint-repo", {"lint-bad": {"meta": bad}, "lint-leaf": {"meta": LEAF},
                          "lint-good": {"meta": GOOD}})
    r = _lint(cm_session, artifact="lint-bad")
    assert r["return"] == 1 and "1 script(s) linted" in r["error"]
    text = "\n".join(r["lines"])
    expected = [
        "cach: unknown key (did you mean \"cache\"?)",
        "new_env_keys: expected array, got string",
        "variations.small.alis: unknown key (did you mean \"alias\"?)",
        "variations.large.default-variations: unknown key (did you mean \"default_variations\"?)",
        "variations.large.base[0]: base \"fats\" is not a defined variation (did you mean \"fast\"?)",
        "variations.huge,fast: combined key part \"huge\" is not a defined variation",
        "group \"size\" has 2 defaults: small, medium",
        "deps[0].tags: \"lint,leaf,_y\": lint-leaf has no variation _y",
        "deps[1].tags: \"no,such,script\" resolves to no script",
        "deps[2].force-cache: unknown key (did you mean \"force_cache\"?)",
        "deps[3].updats_tags_from_env_with_prefix: unknown key (did you mean \"update_tags_from_env_with_prefix\"?)",
    ]
    for e in expected:
        assert e in text, f"missing: {e}\n{text}"
    assert "deps[2].tags: \"lint\" resolves to 3 scripts" in text and "[warning]" in text
    # the dep's "size" key is an input flag of lint-leaf: not a typo
    assert "deps[0].size" not in text
    assert all(line.startswith("lint-repo:lint-bad (_cm.yaml): ") for line in r["lines"])


def test_unknown_selection_and_repo_are_one_line_errors(lint_repo, cm_session):
    r = _lint(cm_session, artifact="no-such-script")
    assert r["return"] == 16 and "no script matches" in r["error"]
    r = _lint(cm_session, repo="lint-rep")
    assert r["return"] == 16 and 'did you mean' in r["error"]


def test_meta_that_is_not_a_mapping():
    assert lint_meta(["a"], None)[0].message == "the meta must be a mapping"


def test_first_party_collection_is_clean(cm_session):
    """cm_scripts_mlops (registered through its entry point) lints without errors."""
    r = _lint(cm_session, repo="mlcommons@cm-scripts-mlops")
    assert r["return"] == 0, "\n".join(r.get("lines") or [r.get("error", "")])
    assert r["scripts"] >= 25
    assert all(f["level"] == "warning" for f in r["findings"])


def test_cli_lint_prints_one_line_per_finding(cm_repo, cm_cli):
    bad = dict(GOOD, alias="cli-bad", uid="aaaaaaaaaaaaaaaa", tags=["cli", "bad"], alis="x")
    cm_repo("cli-repo", {"cli-bad": {"meta": bad}, "lint-leaf": {"meta": LEAF}})
    r = cm_cli("lint", "script", "--repo=cli-repo")
    assert r.exit_code == 1
    assert "cli-repo:cli-bad (_cm.yaml): alis: unknown key" in r.stdout
    assert "2 script(s) linted" in r.stderr


def test_schema_is_loaded_once():
    assert load_schema(str(SCHEMA_PATH)) is load_schema(str(SCHEMA_PATH))
