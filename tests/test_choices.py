import pytest

from devcli.ui.choices import ask_choice


def answers(*replies: str):  # type: ignore[no-untyped-def]
    queue = list(replies)
    return lambda prompt: queue.pop(0)


def test_a_number_or_an_exact_name_picks() -> None:
    shown: list[str] = []
    assert ask_choice("Pick:", ["a", "b"], answers("2"), shown.append) == "b"
    assert shown == ["Pick:", "  1. a", "  2. b"]
    assert ask_choice("Pick:", ["a", "b"], answers("a"), shown.append) == "a"


def test_bad_answers_are_asked_again_then_give_up() -> None:
    shown: list[str] = []
    assert ask_choice("Pick:", ["a", "b"], answers("9", "b"), shown.append) == "b"
    assert "'9' is not one of them." in shown
    with pytest.raises(EOFError):
        ask_choice("Pick:", ["a", "b"], answers("x", "y", "z"), shown.append)
