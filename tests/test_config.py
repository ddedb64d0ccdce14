"""Settings: precedence, types, and every setting documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridmap.core import config
from gridmap.core.errors import ConfigError

DOCS = Path(__file__).resolve().parent.parent / "docs" / "settings.md"


def test_precedence_defaults_file_environment_test(tmp_path):
    (tmp_path / "gridmap.toml").write_text('port = 9000\ntiles = "tianditu"\n', encoding="utf-8")
    env = {"GRIDMAP_INSTANCE_DIR": str(tmp_path), "GRIDMAP_PORT": "9100"}
    values = config.load(environ=env)
    assert values["TILES"] == "tianditu" and values["PORT"] == 9100
    assert config.load({"PORT": 9200}, environ=env)["PORT"] == 9200
    assert config.load(environ={})["STREET_CODE"] == "420114004"


def test_unknown_keys_and_bad_numbers_are_explained(tmp_path):
    (tmp_path / "gridmap.toml").write_text("colour = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="未知设置项：colour"):
        config.load(environ={"GRIDMAP_INSTANCE_DIR": str(tmp_path)})
    with pytest.raises(ConfigError, match="应为整数"):
        config.load(environ={"GRIDMAP_PORT": "eighty"})


def test_every_setting_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    missing = [s.name for s in config.SETTINGS if f"`{s.name}`" not in text]
    assert missing == []
