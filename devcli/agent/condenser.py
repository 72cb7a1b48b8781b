"""Keeps a long session inside the context window.

When the next prompt would pass a share of the window, the model summarises the middle of the
history; the system prompt, the first user message and the most recent steps stay verbatim.
If that frees too little, the oldest kept observations are reduced to a note; if even that
cannot bring the prompt under the threshold, the run stops instead of condensing forever.
"""

import json
from collections.abc import Callable, Sequence
from string import Template
from typing import Any

from devcli.agent.budget import PromptMeter
from devcli.agent.conversation import model_messages, plain_messages
from devcli.event_history import first_user_index, latest_condensation
from devcli.events import AssistantTurn, Condensation, Event, Observation, UserMessage
from devcli.llm.backend import Backend, BackendError, ChatMessage, Role
from devcli.prompt_files import read_prompt
from devcli.tool_schema import ToolSchemas
from devcli.truncation import CHARS_PER_TOKEN, cut_middle

_OBSERVATION_SNIPPET = 600


class ContextExhausted(RuntimeError):
    """The conversation cannot be made to fit; the message says why."""


class Condenser:
    def __init__(
        self,
        summariser: Backend,
        meter: PromptMeter,
        window: int,
        threshold: float = 0.75,
        keep_share: float = 0.3,
        summary_share: float = 0.12,
    ) -> None:
        self.summariser = summariser
        self.meter = meter
        self.window = window
        self.threshold = threshold
        self.keep_share = keep_share
        self.summary_share = summary_share

    @property
    def limit(self) -> int:
        return int(self.window * self.threshold)

    def needed(self, prompt_tokens: int) -> bool:
        return prompt_tokens > self.limit

    def condense(
        self,
        system_prompt: str,
        events: Sequence[Event],
        tools: ToolSchemas,
        instructions: str | None = None,
    ) -> Condensation:
        first_user = first_user_index(events)
        if first_user is None:
            raise ContextExhausted("there is no conversation to condense yet")
        previous = latest_condensation(events)
        start = previous.first_kept if previous else first_user + 1
        before = self.meter.count(model_messages(system_prompt, events), tools)
        # What always stays (system prompt, tools, task) decides the room left for the rest.
        fixed = self.meter.count(model_messages(system_prompt, events[: first_user + 1]), tools)
        room = self.limit - fixed
        if room <= 0:
            raise ContextExhausted(
                f"the system prompt, tools and task alone need {fixed} tokens, over {self.limit} "
                f"({self.threshold:.0%} of the {self.window}-token window); use a larger "
                "--ctx-size or a shorter task"
            )
        # After condensing, about half the room stays free, so several steps fit before the
        # next condensation instead of one condensation per step.
        summary_tokens = int(min(self.window * self.summary_share, room * self.summary_share * 2))
        keep_tokens = int(min(self.window * self.keep_share, room * self.keep_share * 1.4))
        head = [ChatMessage(role=Role.SYSTEM, content=system_prompt)]
        head += plain_messages(events[: first_user + 1])

        def kept_tokens(boundary: int) -> int:
            messages = head + plain_messages(events[boundary:])
            return self.meter.count(messages, tools) - fixed

        first_kept = self._choose_first_kept(events, start, keep_tokens, kept_tokens)
        summary = previous.summary if previous else ""
        if first_kept > start:
            summary = self._summarise(
                system_prompt,
                tools,
                events,
                (start, first_kept),
                previous,
                instructions,
                summary_tokens,
                before,
            )
        kept_ids = {e.tool_call_id for e in events[first_kept:] if isinstance(e, Observation)}
        elided = [i for i in (previous.elided if previous else ()) if i in kept_ids]
        candidate = Condensation(summary=summary, first_kept=first_kept, elided=tuple(elided))
        after = self._count_with(system_prompt, events, candidate, tools)
        # Characters are only a guess at tokens: hold the summary to its budget in real tokens.
        without = self._count_with(
            system_prompt, events, candidate.model_copy(update={"summary": ""}), tools
        )
        if after - without > summary_tokens and summary:
            keep = len(summary) * summary_tokens // (after - without)
            candidate = candidate.model_copy(update={"summary": summary[:keep]})
            after = self._count_with(system_prompt, events, candidate, tools)
        # Still above the target: reduce the oldest kept outputs to a note, newest last.
        target = fixed + room // 2
        for observation in (e for e in events[first_kept:] if isinstance(e, Observation)):
            if after <= target:
                break
            if observation.tool_call_id in elided:
                continue
            elided.append(observation.tool_call_id)
            candidate = candidate.model_copy(update={"elided": tuple(elided)})
            after = self._count_with(system_prompt, events, candidate, tools)
        if after > self.limit:
            raise ContextExhausted(
                f"the conversation still needs {after} tokens after condensing, over "
                f"{self.limit} ({self.threshold:.0%} of the {self.window}-token window); "
                "use a larger --ctx-size or a shorter task"
            )
        return candidate.model_copy(update={"tokens_before": before, "tokens_after": after})

    def _count_with(
        self,
        system_prompt: str,
        events: Sequence[Event],
        candidate: Condensation,
        tools: ToolSchemas,
    ) -> int:
        return self.meter.count(model_messages(system_prompt, [*events, candidate]), tools)

    def _choose_first_kept(
        self,
        events: Sequence[Event],
        start: int,
        budget: int,
        kept_tokens: Callable[[int], int],
    ) -> int:
        """The earliest step boundary after `start` whose tail fits `budget` tokens.

        The tail shrinks as the boundary moves later, so a binary search needs only a few
        exact counts even for long histories.
        """
        boundaries = [
            index for index in range(start + 1, len(events)) if _starts_step(events[index])
        ]
        if not boundaries:
            return start
        low, high = 0, len(boundaries) - 1
        while low < high:
            middle = (low + high) // 2
            if kept_tokens(boundaries[middle]) <= budget:
                high = middle
            else:
                low = middle + 1
        return boundaries[low]

    def _summarise(
        self,
        system_prompt: str,
        tools: ToolSchemas,
        events: Sequence[Event],
        span: tuple[int, int],
        previous: Condensation | None,
        instructions: str | None,
        summary_tokens: int,
        prompt_tokens: int,
    ) -> str:
        """The model's summary of events[span], followed by the mechanical action digest.

        First the request is appended to the conversation itself, so a local model reuses
        its KV cache and evaluates only the request; when that does not fit or yields no
        text, the removed part is sent on its own.
        """
        budget_chars = summary_tokens * CHARS_PER_TOKEN
        words = max(40, budget_chars // 7)
        request = Template(read_prompt("condenser.md")).safe_substitute(words=words)
        if instructions:
            request += f"\nPay particular attention to: {instructions}"
        written = ""
        request_tokens = len(request) // CHARS_PER_TOKEN + 8
        if prompt_tokens + request_tokens + summary_tokens < self.window:
            messages = model_messages(system_prompt, events)
            written = self._ask([*messages, ChatMessage(role=Role.USER, content=request)], tools)
        if not written:
            written = self._ask([self._material_request(events, span, previous, request)], [])
        digest = action_digest(events[span[0] : span[1]])
        summary = written[: max(budget_chars - len(digest), budget_chars // 2)]
        if digest:
            summary = (summary + "\n\n" if summary else "") + digest
        return summary[:budget_chars]

    def _material_request(
        self,
        events: Sequence[Event],
        span: tuple[int, int],
        previous: Condensation | None,
        request: str,
    ) -> ChatMessage:
        task = events[first_user_index(events) or 0]
        assert isinstance(task, UserMessage)
        material = (
            f"THE TASK:\n{task.content}\n\n"
            + (f"EARLIER SUMMARY:\n{previous.summary}\n\n" if previous else "")
            + f"CONVERSATION TO SUMMARISE:\n{render_events(events[span[0] : span[1]])}"
        )
        material = cut_middle(material, int(self.window * 0.4) * CHARS_PER_TOKEN)
        # One user message: some backends swap a system message for the model's own.
        return ChatMessage(role=Role.USER, content=f"{request}\n\n{material}")

    def _ask(self, messages: list[ChatMessage], tools: ToolSchemas) -> str:
        try:
            return self.summariser.next_turn(messages, tools).content.strip()
        except BackendError:
            return ""


def action_digest(events: Sequence[Event], limit: int = 40) -> str:
    """A mechanical list of what was done, kept even if the model's summary is poor."""
    results = {e.tool_call_id: e for e in events if isinstance(e, Observation)}
    lines: list[str] = []
    for event in events:
        if not isinstance(event, AssistantTurn):
            continue
        for call in event.tool_calls:
            if call.name in ("think", "finish"):
                continue
            result = results.get(call.id)
            status = (
                ""
                if result is None
                else (
                    " (error)"
                    if result.is_error
                    else f" (exit {result.exit_code})"
                    if result.exit_code is not None
                    else ""
                )
            )
            lines.append(f"- {call.name} {_short_arguments(call.arguments)}{status}")
    if len(lines) > limit:
        lines = [f"- … {len(lines) - limit} earlier actions", *lines[-limit:]]
    return "ACTIONS TAKEN:\n" + "\n".join(lines) if lines else ""


def _short_arguments(arguments: dict[str, Any]) -> str:
    if "command" in arguments and "path" in arguments:
        return f"{arguments['command']} {arguments['path']}"
    if "command" in arguments:
        return str(arguments["command"]).splitlines()[0][:120] if arguments["command"] else '""'
    return json.dumps(arguments, ensure_ascii=False)[:120]


def render_events(events: Sequence[Event]) -> str:
    parts: list[str] = []
    for event in events:
        match event:
            case UserMessage():
                parts.append(f"USER: {event.content}")
            case AssistantTurn():
                if event.content.strip():
                    parts.append(f"AGENT: {event.content.strip()}")
                for call in event.tool_calls:
                    arguments = call.raw_arguments or json.dumps(call.arguments, ensure_ascii=False)
                    parts.append(f"AGENT CALLS {call.name}: {arguments[:1500]}")
            case Observation():
                status = "error" if event.is_error else f"exit code {event.exit_code}"
                parts.append(
                    f"RESULT of {event.name} ({status}):\n"
                    + cut_middle(event.content, _OBSERVATION_SNIPPET)
                )
    return "\n\n".join(parts)


def _starts_step(event: Event) -> bool:
    """Where a kept tail may begin: a model turn, or a message the user typed."""
    if isinstance(event, UserMessage):
        return not event.synthetic
    return isinstance(event, AssistantTurn)
