"""``cmcore.hwprobe.detect_devices``: the override-or-probe rule every hardware plugin uses."""

from __future__ import annotations

from typing import Any

from cmcore.hwprobe import detect_devices


class FakeSession:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.cache: dict[str, Any] = {}


def _from_override(session: Any, value: str) -> list:
    return [f"override:{value}"]


def test_override_wins_and_empty_means_absent(monkeypatch) -> None:
    monkeypatch.delenv("CM_OVERRIDE_GIZMO", raising=False)
    calls: list[int] = []

    def probe() -> list:
        calls.append(1)
        return ["probed"]

    s = FakeSession({"CM_OVERRIDE_GIZMO": "v2"})
    assert detect_devices(s, "gizmo", _from_override, "", probe) == ["override:v2"]
    assert detect_devices(FakeSession({"CM_OVERRIDE_GIZMO": ""}), "gizmo", _from_override, "", probe) == []
    assert calls == []


def test_probe_is_memoised_per_key_and_a_raising_probe_is_absent(monkeypatch) -> None:
    monkeypatch.delenv("CM_OVERRIDE_GIZMO", raising=False)
    calls: list[str] = []

    def probe() -> list:
        calls.append("x")
        return ["probed"]

    s = FakeSession({})
    assert detect_devices(s, "gizmo", _from_override, "a", probe) == ["probed"]
    assert detect_devices(s, "gizmo", _from_override, "a", probe) == ["probed"]
    assert detect_devices(s, "gizmo", _from_override, "b", probe) == ["probed"]
    assert calls == ["x", "x"]

    def broken() -> list:
        raise RuntimeError("no driver")

    assert detect_devices(FakeSession({}), "gizmo", _from_override, "", broken) == []
