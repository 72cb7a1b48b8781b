"""Asking the person at the terminal to pick one of several things."""

from collections.abc import Callable, Sequence


def ask_choice(
    title: str,
    options: Sequence[str],
    read: Callable[[str], str] = input,
    write: Callable[[str], None] = print,
    tries: int = 3,
) -> str:
    """A numbered list; the answer is a number or an exact name. EOFError after bad tries."""
    write(title)
    for number, option in enumerate(options, start=1):
        write(f"  {number}. {option}")
    for _ in range(tries):
        answer = read(f"Choose 1-{len(options)}: ").strip()
        if answer.isdigit() and 1 <= int(answer) <= len(options):
            return options[int(answer) - 1]
        if answer in options:
            return answer
        write(f"{answer!r} is not one of them.")
    raise EOFError("no choice was made")
