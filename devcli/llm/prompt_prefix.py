"""The stable prefix of a prompt: its tokens before the text of the user's first message.

System prompt, tool descriptions and project instructions come first in every prompt devcli
writes, and they are the same from one task to the next; the prompt cache saves their state.
Where exactly they end in tokens depends on the chat format, so it is found by rendering the
same conversation with other first messages and seeing where the tokens part.
"""

from collections.abc import Callable, Sequence

from devcli.llm.backend import ChatMessage, Role

# Two stand-ins for the first message that differ from each other in their first character, so
# that at least one of them differs from the real message from its first token on.
_STAND_INS = ("0", "~")

Render = Callable[[list[ChatMessage]], list[int]]


def common_prefix_length(first: Sequence[int], second: Sequence[int]) -> int:
    length = 0
    for mine, theirs in zip(first, second, strict=False):
        if mine != theirs:
            break
        length += 1
    return length


def first_turn_prefix(
    render: Render, messages: Sequence[ChatMessage], prompt: Sequence[int]
) -> int | None:
    """The stable prefix length of `prompt`, when `messages` are a conversation's beginning
    (one user message, no reply yet); None otherwise."""
    users = [index for index, message in enumerate(messages) if message.role is Role.USER]
    if len(users) != 1 or any(message.role is Role.ASSISTANT for message in messages):
        return None
    head = list(messages[: users[0]])
    lengths = [
        common_prefix_length(prompt, render([*head, ChatMessage(role=Role.USER, content=text)]))
        for text in _STAND_INS
    ]
    return min(lengths)
