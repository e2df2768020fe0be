"""CM-FORMAT §7 T10: `+KEY` list env vars, a custom separator, state.script_prefix and
inherit_variation_tags with skip_inherit_variation_groups.

The exact wrapper text of §7 (`export PATH="/opt/t10/bin:${PATH}"`) is not asserted: the
project quotes exported values safely (flaw 2 fixed), so the observable semantics are
checked instead, from inside run.sh.
"""

from __future__ import annotations


def test_plus_path_is_prepended_for_the_native_script(corpus):
    r = corpus.ok("t10")
    assert r["new_env"]["T10_PATH_HEAD"] == "/opt/t10/bin"


def test_space_separator_list_is_prepended_to_the_real_variable(corpus, monkeypatch):
    monkeypatch.setenv("LDFLAGS", "-O2")
    r = corpus.ok("t10")
    assert r["new_env"]["T10_LDF"] == "-L/opt/t10/lib -O2"


def test_space_separator_list_alone(corpus):
    r = corpus.ok("t10")
    assert r["new_env"]["T10_LDF"].strip() == "-L/opt/t10/lib"


def test_script_prefix_runs_in_the_wrapper(corpus):
    r = corpus.ok("t10")
    assert r["new_env"]["T10_SEEN"] == "1"


def test_list_keys_and_state_are_exported(corpus):
    r = corpus.ok("t10")
    assert r["new_env"]["+PATH"] == ["/opt/t10/bin"]
    assert r["new_env"]["+ LDFLAGS"] == ["-L/opt/t10/lib"]
    assert r["new_state"]["script_prefix"] == ["export T10_PREFIX_SEEN=1"]


def test_grouped_default_variation_is_not_inherited(corpus):
    r = corpus.ok("t10")
    assert r["deps"] == ["t4"]
    r = corpus.ok("t10,_static")
    assert r["deps"] == ["t4"]


def test_other_variations_are_inherited_strictly(corpus):
    # t4 has no `opt` variation: the inherited `_opt` makes the dep fail with 16
    r = corpus.run("t10,_opt")
    assert r["return"] == 16
    assert "opt" in r["error"]


def test_inherited_tags_with_fake_deps(corpus):
    r = corpus.ok("t10,_opt", fake_deps=True)
    assert r["deps"] == ["t4,_opt"]


def test_parent_sees_plus_path_once_and_script_prefix_in_a_later_script(corpus):
    r = corpus.ok("t10-parent")
    assert r["new_env"]["+PATH"].count("/opt/t10/bin") == 1
    assert r["new_state"]["script_prefix"].count("export T10_PREFIX_SEEN=1") == 1
    # inside the second script's wrapper: the prefix ran, and PATH has the dir once
    assert r["new_env"]["T10B_SEEN"] == "1"
    assert r["new_env"]["T10B_PATH_COUNT"] == "1"


def test_plus_key_with_a_non_list_value_is_an_error(corpus):
    # §3.5: keys starting with `+` MUST hold lists; a non-list value is an error
    r = corpus.run("t1", env={"+PATH": "/not/a/list"})
    assert r["return"] != 0
    assert "+PATH" in r["error"]
