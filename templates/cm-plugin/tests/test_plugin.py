pytest_plugins = ["cmcore.testing"]


def test_automation_answers(cm_cli):
    r = cm_cli("hello", "{{name}}", "ann", "--json")
    assert r.exit_code == 0
    assert r.json()["greeting"] == "hello ann"


def test_plugin_is_listed(cm_cli):
    r = cm_cli("plugins", "--json")
    assert "{{name}}" in {row["name"] for row in r.json()}
