"""What the tools need from a sandbox: how to start the shell inside it, and where writes
may go. devcli's sandbox package implements it; a tool without one is unconfined."""

from typing import Protocol


class ToolSandbox(Protocol):
    @property
    def isolates_processes(self) -> bool:
        """Whether the shell's processes live in a process namespace of their own, so every
        process they can name is one the session started."""
        ...

    def wrap_shell(self, argv: list[str]) -> list[str]:
        """The command line that starts `argv` inside the sandbox."""
        ...

    def write_refusal(self, path: str) -> str | None:
        """Why devcli's own tools may not write `path` (absolute), or None when they may."""
        ...

    def prompt_line(self) -> str:
        """One sentence for the system prompt: what is writable, whether the network is on."""
        ...

    def close(self) -> None:
        """Remove what the sandbox made for the session (its temporary folder)."""
        ...
