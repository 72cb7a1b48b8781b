"""execute_bash against a real bash process."""

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devcli.config import Settings
from devcli.sandbox.launch import start_sandbox
from devcli.tools.bash import BashArgs, BashTool, count_top_level_commands
from tests.support.processes import descendants
from tests.support.sandbox import requires_sandbox


# Every test runs against a plain shell and again against one inside the sandbox, where the
# behaviour must be the same.
@pytest.fixture(params=["plain", pytest.param("sandboxed", marks=requires_sandbox)])
def bash(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BashTool]:
    sandbox = start_sandbox(Settings(), tmp_path) if request.param == "sandboxed" else None
    tool = BashTool(tmp_path, soft_timeout=3, hard_timeout=60, sandbox=sandbox)
    yield tool
    tool.close()
    if sandbox is not None:
        sandbox.close()


def call(tool: BashTool, command: str, **extra: object):  # type: ignore[no-untyped-def]
    return tool.execute(BashArgs.model_validate({"command": command, **extra}))


def look(tool: BashTool, command: str) -> str:
    return str(call(tool, command, timeout=30).content)


def test_working_directory_and_environment_persist(bash: BashTool, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    call(bash, "cd sub && export GREETING=hello")
    result = call(bash, 'pwd; echo "$GREETING"')
    assert result.content.splitlines()[:2] == [str(tmp_path / "sub"), "hello"]
    assert result.exit_code == 0
    assert f"Working directory: {tmp_path / 'sub'}" in result.content


def test_exit_code_is_reported(bash: BashTool) -> None:
    result = call(bash, "ls /definitely/not/here")
    assert result.exit_code == 2
    assert "exit code 2" in result.content


def test_activated_virtualenv_persists(bash: BashTool, tmp_path: Path) -> None:
    venv = tmp_path / "env"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "activate").write_text(
        f'export VIRTUAL_ENV="{venv}"\nPATH="{venv}/bin:$PATH"\n'
    )
    call(bash, f"source {venv}/bin/activate")
    assert call(bash, "echo $VIRTUAL_ENV").content.startswith(str(venv))


def test_soft_timeout_then_continue_with_empty_input(bash: BashTool) -> None:
    first = call(bash, "echo start; sleep 6; echo end")
    assert first.exit_code == -1
    assert "start" in first.content and "is_input=true" in first.content
    later = call(bash, "", is_input="true")
    for _ in range(5):
        if later.exit_code != -1:
            break
        later = call(bash, "", is_input="true")
    assert "end" in later.content
    assert later.exit_code == 0


def test_input_to_read_prompt(bash: BashTool) -> None:
    waiting = call(bash, 'read -p "Your name: " name && echo "hi $name"')
    assert waiting.exit_code == -1
    assert "Your name:" in waiting.content
    answered = call(bash, "Ada", is_input="true")
    assert "hi Ada" in answered.content
    assert answered.exit_code == 0


def test_input_to_python_input(bash: BashTool) -> None:
    waiting = call(bash, "python3 -c 'print(input(\"value? \")[::-1])'")
    assert waiting.exit_code == -1
    answered = call(bash, "abc", is_input="true")
    assert "cba" in answered.content
    assert answered.exit_code == 0


def test_ctrl_c_interrupts_and_shell_stays_usable(bash: BashTool) -> None:
    running = call(bash, "sleep 100")
    assert running.exit_code == -1
    refused = call(bash, "echo other")
    assert refused.is_error and "still running" in refused.content
    interrupted = call(bash, "C-c", is_input="true")
    assert interrupted.exit_code == 130
    assert call(bash, "echo alive").content.startswith("alive")


def test_ctrl_d_ends_input(bash: BashTool) -> None:
    call(bash, "cat > typed.txt")
    call(bash, "line one", is_input="true")
    done = call(bash, "C-d", is_input="true")
    assert done.exit_code == 0
    assert call(bash, "cat typed.txt").content.startswith("line one")


def _processes_with(marker: str) -> list[str]:
    listing = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in listing.splitlines() if marker in line and "ps -eo" not in line]


def test_hard_timeout_kills_every_process_of_the_command(bash: BashTool) -> None:
    marker = "1007"  # sleep durations nobody else uses
    result = call(bash, f"bash -c 'sleep {marker} & sleep {marker}'", timeout=1)
    assert result.is_error
    assert "killed after 1 s" in result.content
    time.sleep(0.3)
    assert _processes_with(f"sleep {marker}") == []
    assert call(bash, "echo still-here").content.startswith("still-here")


def test_long_output_is_cut_in_the_middle(bash: BashTool) -> None:
    result = call(bash, "seq 1 50000")
    lines = result.content.splitlines()
    assert lines[0] == "1"
    assert "50000" in lines[-2]
    assert "cut from the middle" in result.content
    assert len(result.content) < 32_000


def test_git_log_does_not_wait_for_a_pager(bash: BashTool, git_repo: Path) -> None:
    call(bash, f"cd {git_repo}")
    made = call(
        bash,
        'for i in $(seq 1 150); do git commit -q --allow-empty -m "commit $i"; done',
        timeout=120,
    )
    assert made.exit_code == 0
    result = call(bash, "git log")
    assert result.exit_code == 0
    assert "commit 150" in result.content and "commit 1\n" in result.content + "\n"


def test_less_prints_instead_of_waiting(bash: BashTool, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("".join(f"line {i}\n" for i in range(500)))
    result = call(bash, "less notes.txt")
    assert result.exit_code == 0
    assert "line 499" in result.content


def test_exit_starts_a_new_shell(bash: BashTool, tmp_path: Path) -> None:
    call(bash, "cd / && export LOST=yes")
    exited = call(bash, "exit 7")
    assert exited.is_error and "new shell was started" in exited.content
    after = call(bash, 'pwd; echo "[$LOST]"')
    assert after.content.splitlines()[:2] == [str(tmp_path), "[]"]


def test_killed_shell_recovers(bash: BashTool) -> None:
    killed = call(bash, "kill -9 $$")
    assert killed.is_error and "new shell" in killed.content
    assert call(bash, "echo back").content.startswith("back")


def test_several_commands_on_separate_lines_are_refused(bash: BashTool, tmp_path: Path) -> None:
    result = call(bash, "touch a.txt\ntouch b.txt")
    assert result.is_error and "2 separate commands" in result.content
    assert not (tmp_path / "a.txt").exists()


def test_heredoc_and_multiline_blocks_run(bash: BashTool, tmp_path: Path) -> None:
    heredoc = 'cat > script.py << "EOF"\nif True:\n        print("deep")\nEOF'
    assert call(bash, heredoc).exit_code == 0
    assert (tmp_path / "script.py").read_text() == 'if True:\n        print("deep")\n'
    loop = call(bash, "for i in 1 2 3; do\n  echo item$i\ndone")
    assert loop.content.splitlines()[:3] == ["item1", "item2", "item3"]
    condition = call(bash, "if [ -f script.py ]; then\n  echo present\nfi")
    assert condition.content.startswith("present")


def test_long_single_line_command_is_not_truncated(bash: BashTool, tmp_path: Path) -> None:
    payload = "x" * 20_000
    call(bash, f"printf '%s' {payload} > long.txt")
    assert (tmp_path / "long.txt").read_text() == payload


def test_input_without_a_running_command_is_an_error(bash: BashTool) -> None:
    result = call(bash, "hello", is_input="true")
    assert result.is_error and "No command is running" in result.content


def test_commands_do_not_see_a_colour_terminal(bash: BashTool) -> None:
    result = call(bash, 'echo "$TERM $PAGER $GIT_PAGER"')
    assert result.content.startswith("dumb cat cat")


def test_top_level_command_counting() -> None:
    assert count_top_level_commands("ls; pwd") == 1
    assert count_top_level_commands("ls\npwd") == 2
    assert count_top_level_commands("echo 'a\nb'") == 1
    assert count_top_level_commands('cat <<"EOF"\nx\nEOF') == 1


def test_background_server_output_does_not_block(bash: BashTool) -> None:
    # A background job that writes far more than a terminal buffer must keep running.
    result = call(bash, "(yes | head -c 1000000; echo BG-DONE > bg.txt) > /dev/tty &")
    assert result.exit_code == 0
    # Each look waits for its prompt (a timeout, not the 3 s idle rule): draining a megabyte
    # of terminal output can keep the shell busy for seconds on a loaded machine.
    deadline = time.time() + 60
    while time.time() < deadline and "BG-DONE" not in look(bash, "cat bg.txt 2>/dev/null"):
        time.sleep(0.2)
    assert "BG-DONE" in look(bash, "cat bg.txt")


def test_shell_runs_in_its_own_session(bash: BashTool) -> None:
    # Read from this side, by this process's numbering: inside the sandbox's PID namespace the
    # session's leader is out of sight, and so may this process's be in a container.
    call(bash, "sleep 30 &")
    leader = bash.shell.pid
    assert os.getsid(leader) == leader
    assert os.getsid(0) != leader
    inside = {pid for pid, _ in descendants(leader)}
    assert inside, "the shell and its job run below the process devcli started"
    assert {os.getsid(pid) for pid in inside} == {leader}
