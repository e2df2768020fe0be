"""Unit tests for cmcore.secrets: the naming rule, env/text redaction and the Redactor."""

from __future__ import annotations

import json

import pytest

from cmcore.secrets import MASK, Redactor, is_secret_key, redact_env, redact_text


@pytest.mark.parametrize("name", [
    "GH_TOKEN", "CM_GH_TOKEN", "gh_token", "hf_token", "HF_TOKEN", "MLC_HF_TOKEN", "CM_DB_PASSWORD",
    "password", "MY_PASSWD", "CLIENT_SECRET", "MY_KEY", "OPENAI_API_KEY", "AWS_SECRET_ACCESS_KEY",
    "api-key", "x.api.key", "+MY_TOKEN", "SSH_PASSPHRASE", "GOOGLE_CREDENTIALS", "Token", "APIKEY",
    "CM_PRIVATE_KEY",
])
def test_secret_names(name: str) -> None:
    assert is_secret_key(name)


@pytest.mark.parametrize("name", [
    "CM_CACHE_KEY", "MLC_CACHE_KEY", "CM_SORT_KEY", "NEW_ENV_KEYS", "CM_ENV_KEY", "SSH_PUBLIC_KEY",
    "MAX_TOKENS", "CM_MLPERF_MAX_NEW_TOKENS", "CM_TOKENIZER", "CM_TOKEN_FILE", "AWS_ACCESS_KEY_ID",
    "KEY", "CM_GIT_AUTH", "PATH", "", "CM_PASSWORD_FILE", "keys", "CM_SECRETS_DIR", "CM_DATASET_KEY",
])
def test_not_secret_names(name: str) -> None:
    assert not is_secret_key(name)


def test_non_string_keys_are_not_secret() -> None:
    assert not is_secret_key(3)
    assert not is_secret_key(None)


def test_redact_env_masks_only_secret_values_and_keeps_shape() -> None:
    env = {"GH_TOKEN": "ghp_abc123", "PATH": "/bin", "+MY_TOKEN": ["a1b2", "c3d4"], "EMPTY_TOKEN": "",
           "USE_PASSWORD": True, "CM_CACHE_KEY": "abcdef", "env": {"HF_TOKEN": "hf_x1y2"}}
    out = redact_env(env)
    assert out == {"GH_TOKEN": MASK, "PATH": "/bin", "+MY_TOKEN": [MASK, MASK], "EMPTY_TOKEN": "",
                   "USE_PASSWORD": True, "CM_CACHE_KEY": "abcdef", "env": {"HF_TOKEN": MASK}}
    assert env["GH_TOKEN"] == "ghp_abc123", "the input is not modified"


def test_redact_env_masks_url_passwords_under_any_key() -> None:
    out = redact_env({"CM_GIT_URL": "https://git:ghp_secret@github.com/o/r", "X": "http://host/a:b@c"})
    assert out["CM_GIT_URL"] == f"https://git:{MASK}@github.com/o/r"
    assert "ghp_secret" not in json.dumps(out)


def test_redact_text_longest_first_and_short_values_ignored() -> None:
    text = "token=abcd1234 and prefix abcd and 1"
    assert redact_text(text, ["abcd", "abcd1234", "1"]) == f"token={MASK} and prefix {MASK} and 1"
    assert redact_text("no secrets here", []) == "no secrets here"


def test_redactor_collects_from_inputs_env_and_nested() -> None:
    r = Redactor()
    r.observe({"gh_token": "ghp_TOKENVALUE", "tags": "get,x",
               "env": {"MY_TOKEN": "s3cr3t-VALUE", "N": "1"}, "adr": {"a": {"env": {"DB_PASSWORD": 12345}}}})
    assert r.values == {"ghp_TOKENVALUE", "s3cr3t-VALUE", "12345"}
    line = "cloning https://git:ghp_TOKENVALUE@host/r with s3cr3t-VALUE (12345)"
    masked = r.text(line)
    assert "ghp_TOKENVALUE" not in masked and "s3cr3t-VALUE" not in masked and "12345" not in masked
    assert masked.startswith("cloning https://git:")


def test_redactor_data_masks_keys_and_values_everywhere() -> None:
    r = Redactor(["s3cr3t-VALUE"])
    result = {"return": 0, "new_env": {"MY_TOKEN": "s3cr3t-VALUE", "CM_ECHO": "got s3cr3t-VALUE!"},
              "list": ["s3cr3t-VALUE", 3, None], "n": 1.5}
    out = r.data(result)
    assert "s3cr3t-VALUE" not in json.dumps(out)
    assert out["new_env"]["MY_TOKEN"] == MASK and out["new_env"]["CM_ECHO"] == f"got {MASK}!"
    assert out["list"][1:] == [3, None] and out["n"] == 1.5


def test_redactor_add_ignores_empty_and_strips() -> None:
    r = Redactor()
    r.add("")
    r.add("  spaced-secret \n")
    r.add(None)
    assert r.values == {"spaced-secret"}


def test_stream_redactor_masks_secrets_split_across_chunks() -> None:
    secret = "s3cr3t-VALUE"
    data = f"start {secret} middle {secret}{secret} end and s3cr3t-VAL".encode()
    for size in (1, 2, 3, 5, 7, 11, 64):
        s = Redactor([secret]).stream()
        out = b"".join(s.feed(data[i:i + size]) for i in range(0, len(data), size)) + s.flush()
        assert out == f"start {MASK} middle {MASK}{MASK} end and s3cr3t-VAL".encode(), size


def test_stream_redactor_without_secrets_passes_through() -> None:
    s = Redactor().stream()
    assert s.feed(b"abc") == b"abc" and s.flush() == b""


def test_working_directory_variables_are_not_secrets(tmp_path):
    from cmcore.secrets import Redactor, is_secret_key

    assert not is_secret_key("PWD") and not is_secret_key("OLDPWD")
    assert is_secret_key("DB_PWD")  # a password abbreviated after a prefix still is one
    red = Redactor().observe({"PWD": str(tmp_path), "MY_TOKEN": str(tmp_path)})
    # neither the working directory nor any existing path is ever masked in kept values
    assert red.values == frozenset()
    assert red.text(f"cd {tmp_path}/x") == f"cd {tmp_path}/x"


def test_identifier_keys_are_data_not_secrets():
    for name in ("official_key", "perf_key", "run_key", "CM_DATASET_KEY", "cache_key", "sort_key"):
        assert not is_secret_key(name), name
    for name in ("OPENAI_API_KEY", "SSH_PRIVATE_KEY", "HF_KEY", "MY_KEY", "AZURE_STORAGE_KEY"):
        assert is_secret_key(name), name
