from pathlib import Path

import pytest

from devcli.config import ConfigError, load_settings, user_config_path


def test_layers_override_in_order(tmp_path: Path) -> None:
    user = user_config_path()
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text('model = "from-user"\nmax_steps = 7\ntemperature = 0.5\n')
    (tmp_path / ".devcli.toml").write_text('model = "from-repo"\n')
    settings = load_settings(tmp_path, {"temperature": 0.1}, environ={"DEVCLI_MAX_STEPS": "9"})
    assert settings.model == "from-repo"
    assert settings.max_steps == 9
    assert settings.temperature == 0.1


def test_flags_left_unset_do_not_override(tmp_path: Path) -> None:
    (tmp_path / ".devcli.toml").write_text("max_steps = 12\n")
    assert load_settings(tmp_path, {"max_steps": None}, environ={}).max_steps == 12


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("max_steps = 'many'\n", "max_steps"),
        ("nonsense = 1\n", "nonsense"),
        ("this is not toml", ".devcli.toml"),
    ],
)
def test_bad_config_names_the_file_and_setting(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / ".devcli.toml").write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_settings(tmp_path, environ={})


def test_bad_environment_value_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="DEVCLI_"):
        load_settings(tmp_path, environ={"DEVCLI_APPROVAL": "sometimes"})
