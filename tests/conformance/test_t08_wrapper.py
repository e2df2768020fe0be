"""CM-FORMAT §7 T8: a wrapper with prehook/posthook deps, tag injection from env and a
dynamically named exported key (modelled on download-and-extract)."""

from __future__ import annotations

URL = "http://x/y"


def dep_items(r: dict, script_tag: str) -> list[set[str]]:
    return [set(d.split(",")) for d in r["deps"] if d.split(",")[0] == script_tag]


def test_prehook_dep_gets_the_url_variation_from_env(corpus):
    r = corpus.ok("t8", url=URL, env={"T8_FINAL_ENV_NAME": "MY_PATH"})
    assert f"t3,_url.{URL}" in r["deps"]


def test_dynamically_named_key_is_exported(corpus):
    r = corpus.ok("t8", url=URL, env={"T8_FINAL_ENV_NAME": "MY_PATH"})
    env = r["new_env"]
    assert env["MY_PATH"] == URL
    assert env["T8_URL"] == URL
    assert env["T8_FINAL_ENV_NAME"] == "MY_PATH"
    # only T8_* and the <<<>>> key flow back: t3's keys stay inside
    assert not [k for k in env if k.startswith(("T3_", "T1_"))]


def test_posthook_runs_before_postprocess(corpus):
    r = corpus.ok("t8,_post", url=URL, env={"T8_FINAL_ENV_NAME": "MY_PATH"})
    # T1_B is exported only by the posthook call to t1; postprocess already saw it
    assert r["new_env"]["T8_SAW_T1_B"] == "from-meta-env"
    assert "t1" in r["deps"]


def test_without_post_the_posthook_does_not_run(corpus):
    r = corpus.ok("t8", url=URL, env={"T8_FINAL_ENV_NAME": "MY_PATH"})
    assert r["new_env"]["T8_SAW_T1_B"] == ""
    assert "t1" not in r["deps"]


def test_adr_by_name_adds_tags_to_the_dep(corpus):
    r = corpus.ok("t8", url=URL, adr={"dl": {"tags": "_ver.9"}})
    (items,) = dep_items(r, "t3")
    assert items == {"t3", f"_url.{URL}", "_ver.9"}
    # t3 really ran with `_ver.9` (its T3_VER was visible to t8's postprocess)
    assert r["new_env"]["T8_SAW_T3_VER"] == "9"


def test_adr_from_the_cli(corpus):
    from conformance_kit import parse_json_stdout

    res = corpus.cli("run", "script", "--tags=t8", f"--url={URL}", "--adr.dl.tags=_ver.9", "-j", "--quiet")
    assert res.exit_code == 0, res.stderr
    assert parse_json_stdout(res.stdout)["new_env"]["T8_SAW_T3_VER"] == "9"


def test_without_url_the_dep_gets_no_url_variation(corpus):
    r = corpus.ok("t8")
    assert dep_items(r, "t3") == [{"t3"}]
    assert r["new_env"]["T8_SAW_T3_VER"] == "four"
