"""A Tekken tokenizer file of version v15 (model settings such as the reasoning effort), built
offline from the v13 one the tests already make.

The ids of [MODEL_SETTINGS] and [/MODEL_SETTINGS] (36 and 37) are this file's own choice:
mistral-common reads them by name, and no test depends on their value.
"""

import json
from pathlib import Path

from tests.support.llm_files import write_v13_tekken

_SETTINGS_TOKENS = {36: "[MODEL_SETTINGS]", 37: "[/MODEL_SETTINGS]"}


def write_v15_tekken(folder: Path) -> Path:
    """`folder/tekken.json`, v15, accepting reasoning_effort "none" (the default) or "high"."""
    path = write_v13_tekken(folder)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["config"]["version"] = "v15"
    for token in data["special_tokens"]:
        token["token_str"] = _SETTINGS_TOKENS.get(token["rank"], token["token_str"])
    data["model_settings_builder"] = {
        "reasoning_effort": {
            "type": "enum",
            "accepts_none": True,
            "default": "none",
            "values": ["none", "high"],
        }
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path
