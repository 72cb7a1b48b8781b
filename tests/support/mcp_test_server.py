"""A real MCP server, written with the `mcp` SDK, that the tests start over stdio or HTTP.

    python -m tests.support.mcp_test_server --root REPO --pid-file FILE [--port N]

Without `--port` it speaks stdio; with it, streamable HTTP on 127.0.0.1:N at `/mcp`. Each
start appends the process id to `--pid-file`, so a test can count restarts and check that
nothing is left running.

Tools: `write_file` writes into the repository, `fail` answers with an error, `sleep` outlasts
a short timeout, `crash` ends the process at once, `describe` answers with structured content,
a resource link and an image, `echo.upper` has a name devcli must clean, and `plan` takes a
nested argument model (a schema with `$defs`).
"""

import argparse
import base64
import os
from pathlib import Path

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ImageContent, ResourceLink, TextContent
from pydantic import BaseModel, Field

# A one-pixel PNG, so `describe` returns a real image.
PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


class Step(BaseModel):
    title: str
    minutes: int = Field(ge=1)


class Summary(BaseModel):
    files: int
    root: str


def build_server(root: Path) -> MCPServer:
    server = MCPServer("devcli-test-server", log_level="WARNING")

    @server.tool(description="Write a text file inside the repository.")
    def write_file(path: str, content: str) -> str:
        target = (root / path).resolve()
        if not target.is_relative_to(root.resolve()):
            raise ValueError(f"{path} is outside the repository")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
        return f"wrote {len(content)} characters to {path}"

    @server.tool(description="Always fails, with the reason given.")
    def fail(reason: str) -> str:
        raise ToolError(f"refused on purpose: {reason}")

    @server.tool(description="Wait this many seconds, then answer.")
    async def sleep(seconds: float) -> str:
        await anyio.sleep(seconds)
        return f"slept {seconds} s"

    @server.tool(description="End the server process at once, as a crash would.")
    def crash() -> str:
        os._exit(3)

    @server.tool(name="echo.upper", description="The text in capitals.")
    def echo_upper(text: str) -> str:
        return text.upper()

    @server.tool(description="Plan some steps.")
    def plan(steps: list[Step], note: str | None = None) -> str:
        total = sum(step.minutes for step in steps)
        return f"{len(steps)} steps, {total} minutes" + (f" ({note})" if note else "")

    @server.tool(description="Facts about the repository, in several kinds of content.")
    def describe() -> CallToolResult:
        files = sum(1 for _ in root.rglob("*") if ".git" not in _.parts)
        return CallToolResult(
            content=[
                TextContent(type="text", text=f"{files} files"),
                ResourceLink(
                    type="resource_link",
                    name="readme",
                    uri=f"file://{root / 'README.md'}",
                    mime_type="text/markdown",
                ),
                ImageContent(
                    type="image",
                    data=base64.b64encode(PIXEL_PNG).decode(),
                    mime_type="image/png",
                ),
            ]
        )

    @server.tool(description="A summary as structured content.")
    def summary() -> Summary:
        files = sum(1 for _ in root.rglob("*") if ".git" not in _.parts)
        return Summary(files=files, root=str(root))

    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--pid-file", type=Path, required=True)
    parser.add_argument("--port", type=int)
    options = parser.parse_args()
    with options.pid_file.open("a") as pids:
        pids.write(f"{os.getpid()}\n")
    server = build_server(options.root)
    if options.port is None:
        server.run()
    else:
        server.run("streamable-http", host="127.0.0.1", port=options.port)


if __name__ == "__main__":
    main()
