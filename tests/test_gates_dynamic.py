"""The gates against commands that hide what they run: computed command words, shells and
interpreters fed code, aliases and functions, git aliases, scripts written in the session,
links made on the way, and commands that reach the whole system. Ordinary commands pass.

Paths named OUT are outside the repository (a sibling folder); HOME is the home folder.
"""

import os
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from devcli.safety.gate_context import gate_context
from devcli.safety.gate_rules import GateContext, GateRule
from devcli.safety.gates import check_command, judge_command
from tests.support.git_histories import commit_files, git, new_repo

UNREADABLE = GateRule.UNANALYSABLE
SYSTEM = GateRule.SYSTEM_WIDE
RD = GateRule.RECURSIVE_DELETE

# Commands that would do damage outside the repository, read statically: each must be refused.
DESTRUCTIVE: list[str] = [
    # command words and scripts computed at run time
    'd=~; rm -rf "$d"',
    "t=$HOME; rm -rf $t/",
    "p=~/; rm -rf ${p}*",
    "$(echo rm) -rf ~",
    "`printf rm` -rf OUT",
    "IFS=,; x=rm,-rf,OUT; $x",
    "IFS=:; c=rm:-rf:OUT; $c",
    'x="rm -rf OUT"; $x',
    'args="-rf OUT"; rm $args',
    'eval "$(echo rm -rf OUT)"',
    'eval "$CMD_FROM_SOMEWHERE"',
    "CMD=$(cat plan.txt); $CMD",
    'sh -c "$(cat plan.txt)"',
    'bash -c "$SCRIPT"',
    "source <(echo rm -rf ~)",
    '"$SHELL_FROM_NOWHERE" -c true',
    # shells fed from strings, here-strings and pipes
    "bash <<< 'rm -rf ~'",
    'sh <<< "rm -rf OUT"',
    "bash <<'EOF'\ncd /\nrm -rf home\nEOF",
    "sh <<EOF\nrm -rf OUT\nEOF",
    "echo 'rm -rf ~' | bash",
    "printf 'rm -rf %s\\n' OUT | sh",
    "cat plan.sh | bash -s",
    "exec bash -c 'rm -rf OUT'",
    "env -S 'rm -rf OUT'",
    "command rm -rf OUT",
    "nice -n 5 rm -rf OUT",
    "xargs -a targets.txt rm -rf",
    # interpreters' inline code
    "python3 -c \"import shutil; shutil.rmtree('OUT')\"",
    "python3 -c \"import shutil, os; shutil.rmtree(os.path.expanduser('~'))\"",
    "python -c \"import os; os.system('rm -rf ~')\"",
    "python3 -c \"import subprocess; subprocess.run(['rm', '-rf', 'OUT'])\"",
    'python3 -c "import os; [os.remove(p) for p in paths]"',
    "python3 -c \"__import__('shutil').rmtree('/srv')\"",
    "python3 - <<'EOF'\nimport shutil\nshutil.rmtree('OUT')\nEOF",
    "python3 <<EOF\nimport os\nos.system('rm -rf ~')\nEOF",
    "perl -e 'use File::Path; rmtree(OUT)'",
    "perl -MFile::Path=remove_tree -e 'remove_tree(\"OUT\")'",
    "perl -e 'system(\"rm -rf ~\")'",
    "perl -e 'unlink glob \"~/*\"'",
    "ruby -e 'require \"fileutils\"; FileUtils.rm_rf(Dir.home)'",
    "ruby -e 'system(\"rm -rf OUT\")'",
    "node -e \"require('fs').rmSync(require('os').homedir(), {recursive: true})\"",
    "node -e \"require('child_process').execSync('rm -rf OUT')\"",
    "php -r 'system(\"rm -rf ~\");'",
    # links made on the way, aliases and git configuration
    "ln -s ~ h && rm -rf h/",
    "ln -sfn OUT link && rm -rf link/*",
    "alias ls='rm -rf ~'",
    "alias git='rm -rf OUT'",
    "shopt -s expand_aliases",
    "git config alias.nuke '!rm -rf OUT'",
    "git config --global alias.wipe '!f() { rm -rf ~; }; f'",
    "git -c alias.x='!rm -rf ~' x",
    "git -c core.pager='rm -rf OUT' log",
    "git config core.sshCommand 'rm -rf ~'",
    # git destruction inside the repository
    "git worktree remove --force ../wt",
    "git worktree remove -f ../wt",
    "git stash drop stash@{0}",
    "git stash clear",
    # the whole system
    "find / -name '*.pyc' -exec rm {} +",
    "find / -type f -name core -delete",
    "find /etc -exec rm -f {} \\;",
    "rm /etc/hosts",
    "rm -f /usr/bin/python3",
    ":(){ :|:& };:",
    "bomb() { bomb | bomb & }; bomb",
    "echo b > /proc/sysrq-trigger",
    "echo 1 | tee /proc/sys/kernel/sysrq",
    "echo 0 > /sys/class/leds/input0::capslock/brightness",
    "kill -9 -1",
    "kill -- -1",
    "chmod -R 000 /usr",
]

# What the system-wide ones are refused as, and refused in every mode.
ALWAYS = [
    "find / -name '*.pyc' -exec rm {} +",
    "find / -type f -name core -delete",
    "rm /etc/hosts",
    ":(){ :|:& };:",
    "echo b > /proc/sysrq-trigger",
    "kill -9 -1",
    "chmod -R 000 /usr",
    "rm -rf /",
]

# Ordinary work of a coding agent, written independently of the gates: nearly all must pass.
ORDINARY: list[str] = [
    "rm -rf $(pwd)/build",
    'rm -rf "$(pwd)/dist"',
    'rm -rf "$PWD/build"',
    "rm -rf `pwd`/build/*",
    "rm -f build/*.o",
    "rm -rf .pytest_cache __pycache__",
    "mkdir -p out && cp -r src/* out/",
    "rm -rf out",
    "touch scratch.txt && rm scratch.txt",
    'python3 -c "import sys; print(sys.version)"',
    "python3 -c 'import json; print(json.dumps({\"a\": 1}))'",
    'python -c "import os; print(os.getcwd())"',
    "python3 -c \"import os; print(os.listdir('.'))\"",
    "python3 -c \"import shutil; shutil.rmtree('build')\"",
    "python3 -c \"from pathlib import Path; Path('scratch.txt').unlink()\"",
    "python3 -c \"import subprocess; subprocess.run(['pytest', '-q'])\"",
    "python3 -m pytest -q",
    "python3 -m pip install -e .",
    "python3 -m venv .venv && . .venv/bin/activate && pip install -U pip",
    "source .venv/bin/activate",
    "python3 - <<'EOF'\nprint('hello')\nEOF",
    "python3 <<EOF\nimport json\nprint(json.dumps([1, 2]))\nEOF",
    'node -e "console.log(process.version)"',
    "node -p \"require('./package.json').version\"",
    "ruby -e 'puts 1 + 1'",
    "php -r 'echo PHP_VERSION;'",
    "perl -pi -e 's/foo/bar/g' src/app.py",
    "perl -ne 'print if /TODO/' src/app.py",
    "perl -lane 'print $F[0]' data.txt",
    "$(which python3) -m pip list",
    "$(command -v python3) --version",
    'cd "$(git rev-parse --show-toplevel)" && git status',
    "cat > notes.md <<'EOF'\n# Notes\n\nrm -rf / is never run here.\nEOF",
    "cat > tool.sh <<'EOF'\n#!/bin/sh\necho building\nEOF\nchmod +x tool.sh",
    'cat <<EOF > config.json\n{"debug": true}\nEOF',
    "bash scripts/check.sh",
    "sh scripts/check.sh --quick",
    "./scripts/check.sh",
    "make",
    "make -j4 test",
    "make -n clean",
    "bash -n scripts/check.sh",
    "sh -c 'cd build && ls'",
    "bash -c 'set -e; python3 -m pytest -q'",
    'for f in src/*.py; do python3 -m py_compile "$f"; done',
    'while IFS= read -r line; do echo "$line"; done < names.txt',
    'IFS= read -r first < names.txt; echo "$first"',
    'x=$(git rev-parse HEAD); echo "$x"',
    "files=$(git ls-files); echo $files",
    'for f in $(git ls-files "*.py"); do wc -l "$f"; done',
    'export PATH="$HOME/.local/bin:$PATH"',
    "export PYTHONPATH=src && python3 -m app",
    "find . -name '*.log' -mtime +7 -delete",
    "find . -name '*.pyc' -exec rm -f {} +",
    "find src -type f -name '*.py' | xargs grep -n 'import os'",
    "xargs -n1 echo < names.txt",
    "ls | head",
    "ls -la ~",
    "cat ~/.gitconfig",
    "git log --format='%H %s' | head -5",
    "git diff --stat HEAD~1",
    "git stash list",
    "git stash show -p",
    "git stash push -m wip",
    "git stash pop",
    "git config user.name",
    "git config --get remote.origin.url",
    "git config alias.st status",
    "git config alias.lg 'log --oneline --graph'",
    "git st",
    "git worktree add ../wt2 -b feature",
    "git worktree list",
    "git worktree remove ../clean-wt",
    "git worktree prune",
    "git add -A && git commit -m 'Add the parser'",
    "git checkout -b fix/parser",
    "git rebase --continue",
    "sed -n '1,20p' src/app.py",
    "awk '{print $1}' names.txt",
    "sort -u names.txt -o names.txt",
    "grep -rn 'def main' .",
    "diff -u clean.txt src/app.py",
    "git apply fix.patch",
    "patch -p1 < fix.patch",
    "tar -xzf archive.tgz -C build",
    "curl -sSf http://localhost:8000/health",
    "wget -q https://example.com/data.csv -O data.csv",
    "docker build -t app .",
    "npm run build",
    "npm test -- --watch=false",
    "cargo test",
    "go test ./...",
    "pip install -r requirements.txt",
    "nohup python3 -m http.server 8000 > server.log 2>&1 &",
    "sleep 2; kill %1",
    "ps aux | grep -v grep | grep python",
    "pgrep -f http.server",
    "env | sort",
    "which python3",
    "type ls",
    "command -v git",
    "uname -a",
    "df -h .",
    "du -sh .",
    "wc -l src/*.py",
    "head -c 100 /dev/urandom | base64",
    "openssl rand -hex 16",
    "date +%s",
    "printf '%s\\n' a b c",
    'echo "$HOME"',
    "ln -s ../clean.txt build/link.txt",
    "ln -sf clean.txt current",
    "chmod 644 clean.txt",
    "chmod -R u+rw build",
    "jq .name package.json",
    "tree -L 2",
    "time make",
    "timeout 60 python3 -m pytest -x",
    "true",
]


def _fill(command: str, outside: Path) -> str:
    return command.replace("OUT", str(outside))


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """A repository with scripts of its own, a dirty linked worktree and a clean one, and a
    folder outside it."""
    base = tmp_path_factory.mktemp("dynamic")
    repo = new_repo(base / "repo")
    commit_files(
        repo,
        {
            "clean.txt": "clean\n",
            "src/app.py": "print(1)\n",
            "scripts/check.sh": "#!/bin/sh\nrm -rf build/tmp\necho ok\n",
            "Makefile": "test:\n\tpython3 -m pytest -q\nclean:\n\trm -rf build\n",
            "names.txt": "b\na\n",
        },
        "Start",
    )
    os.chmod(repo / "scripts/check.sh", 0o755)
    (repo / "build").mkdir()
    git(repo, "worktree", "add", "-q", str(base / "wt"), "-b", "dirty")
    (base / "wt" / "new-file.txt").write_text("unsaved\n")
    git(repo, "worktree", "add", "-q", str(base / "clean-wt"), "-b", "clean")
    outside = base / "outside"
    outside.mkdir()
    yield repo.resolve(), outside.resolve()


def context_for(repo: Path, started: float | None = None, **changes: Any) -> GateContext:
    context = gate_context(repo, str(repo), None, session_started=started)
    return replace(context, **changes)


def test_the_tables_are_big_enough() -> None:
    assert len(DESTRUCTIVE) >= 70 and len(ORDINARY) >= 100
    assert len(set(DESTRUCTIVE)) == len(DESTRUCTIVE) and len(set(ORDINARY)) == len(ORDINARY)


@pytest.mark.parametrize("command", DESTRUCTIVE)
def test_destructive_command_is_refused(command: str, places: tuple[Path, Path]) -> None:
    repo, outside = places
    violations = check_command(_fill(command, outside), context_for(repo, time.time()))
    assert violations, "nothing stopped it"
    for violation in violations:
        assert "A safer way:" in violation.message()


def test_ordinary_commands_pass(places: tuple[Path, Path]) -> None:
    repo, outside = places
    context = context_for(repo, time.time() + 3600)  # nothing counts as written in the session
    refused = {
        command: [v.message() for v in check_command(_fill(command, outside), context)]
        for command in ORDINARY
    }
    refused = {command: messages for command, messages in refused.items() if messages}
    # At most one ordinary command in a hundred may be refused.
    assert len(refused) <= len(ORDINARY) // 100, refused


@pytest.mark.parametrize("command", ALWAYS)
def test_system_wide_commands_are_refused_in_every_mode(
    command: str, places: tuple[Path, Path]
) -> None:
    repo, _ = places
    violations = check_command(command, context_for(repo))
    assert any(v.always for v in violations), violations
    assert "refused in every approval mode" in next(v for v in violations if v.always).message()


def test_the_sandbox_contains_what_cannot_be_read(places: tuple[Path, Path]) -> None:
    repo, outside = places
    opaque = _fill('python3 -c "import shutil; shutil.rmtree(p)"', outside)
    assert {v.rule for v in check_command(opaque, context_for(repo))} == {UNREADABLE}
    assert check_command(opaque, context_for(repo, sandboxed=True)) == []
    # What the gates can read stays refused, sandbox or not.
    spelled = _fill("rm -rf OUT", outside)
    assert check_command(spelled, context_for(repo, sandboxed=True)) != []
    assert check_command("kill -9 -1", context_for(repo, sandboxed=True)) != []


def test_an_unanalysable_refusal_explains_itself(places: tuple[Path, Path]) -> None:
    repo, _ = places
    [violation] = check_command("$(echo rm) -rf ~", context_for(repo))
    assert violation.rule is UNREADABLE
    message = violation.message()
    assert "only known when it runs" in message and "sandbox" in message


def test_word_splitting_is_followed(places: tuple[Path, Path]) -> None:
    repo, _ = places
    assert check_command('x="-rf /"; rm $x', context_for(repo)) != []
    assert check_command('x="-rf /"; rm "$x"', context_for(repo)) == []  # one word: `-rf /`


def test_a_function_is_read_where_it_is_called(places: tuple[Path, Path]) -> None:
    repo, outside = places
    cleaning = "clean() { rm -rf build; }"
    verdict = judge_command(cleaning, context_for(repo))
    assert verdict.violations == [] and "clean" in verdict.defined
    later = context_for(repo, functions=verdict.defined)
    assert check_command("clean", later) == []
    assert {v.rule for v in check_command(f"cd {outside}/.. && clean", later)} == {RD}


def test_a_git_alias_runs_what_it_names(places: tuple[Path, Path]) -> None:
    repo, outside = places
    git(repo, "config", "alias.sweep", f"!rm -rf {outside}")
    git(repo, "config", "alias.hard", "reset --hard")
    try:
        assert {v.rule for v in check_command("git sweep", context_for(repo))} == {RD}
        hard = {v.rule for v in check_command("git hard HEAD~1", context_for(repo))}
        assert hard == {GateRule.GIT_RESET_HARD}
    finally:
        git(repo, "config", "--unset", "alias.sweep")
        git(repo, "config", "--unset", "alias.hard")


def test_worktree_removal_is_gated_only_over_uncommitted_work(places: tuple[Path, Path]) -> None:
    repo, _ = places
    dirty = check_command("git worktree remove --force ../wt", context_for(repo))
    assert {v.rule for v in dirty} == {GateRule.GIT_DISCARD}
    assert check_command("git worktree remove --force ../clean-wt", context_for(repo)) == []


@pytest.mark.parametrize(
    ("name", "content", "run"),
    [
        ("wipe.sh", "#!/bin/bash\nrm -rf OUT\n", "bash wipe.sh"),
        ("wipe.sh", "rm -rf ~\n", "sh ./wipe.sh"),
        ("wipe.sh", "#!/bin/sh\nrm -rf OUT\n", "./wipe.sh"),
        ("env.sh", "cd / && rm -rf home\n", "source env.sh"),
        ("fix.py", "import shutil\nshutil.rmtree('OUT')\n", "python3 fix.py"),
        ("fix.py", "import os\nos.system('rm -rf ~')\n", "python3 fix.py --now"),
        ("tool", "#!/usr/bin/env python3\nimport shutil\nshutil.rmtree(TARGET)\n", "./tool"),
        ("clean.pl", "use File::Path;\nrmtree('OUT');\n", "perl clean.pl"),
        ("GNUmakefile", "DIR := OUT\nclean:\n\trm -rf $(DIR)\n", "make clean"),
    ],
)
def test_a_script_written_in_the_session_is_read_when_it_runs(
    name: str, content: str, run: str, places: tuple[Path, Path], tmp_path: Path
) -> None:
    repo, outside = places
    folder = tmp_path / "work"
    folder.mkdir()
    started = time.time() - 5
    (folder / name).write_text(_fill(content, outside))
    os.chmod(folder / name, 0o755)
    context = replace(context_for(repo, started), cwd=str(folder))
    assert check_command(run, context) != []
    # The same file from before the session is the project's own.
    old = time.time() - 3600
    os.utime(folder / name, (old, old))
    assert check_command(run, context) == []


def test_a_benign_script_written_in_the_session_runs(
    places: tuple[Path, Path], tmp_path: Path
) -> None:
    repo, _ = places
    (tmp_path / "build.sh").write_text("#!/bin/sh\nset -e\nrm -rf build\nmkdir build\n")
    (tmp_path / "report.py").write_text("import json\nprint(json.dumps({'ok': True}))\n")
    context = replace(context_for(repo, time.time() - 5), root=str(tmp_path), cwd=str(tmp_path))
    assert check_command("bash build.sh && python3 report.py", context) == []


def test_running_a_file_the_same_command_writes_is_unanalysable(places: tuple[Path, Path]) -> None:
    repo, outside = places
    command = _fill("echo 'rm -rf OUT' > x.sh && bash x.sh", outside)
    assert {v.rule for v in check_command(command, context_for(repo))} == {UNREADABLE}


def test_the_tool_shell_does_not_expand_aliases(tmp_path: Path) -> None:
    from devcli.tools.bash import BashArgs, BashTool

    tool = BashTool(tmp_path)
    try:
        tool.execute(BashArgs(command="alias greet='echo EXPANDED'"))
        result = tool.execute(BashArgs(command="greet"))
    finally:
        tool.close()
    assert "EXPANDED" not in result.content and result.exit_code != 0


def test_long_commands_are_bounded(places: tuple[Path, Path]) -> None:
    repo, _ = places
    pipeline = "x | " * 40_000 + "x"
    [violation] = check_command(pipeline, context_for(repo))
    assert violation.rule is UNREADABLE and "too long to check" in violation.problem
    heredoc = "cat > big.py <<'EOF'\n" + "print('line')\n" * 50_000 + "EOF"
    assert check_command(heredoc, context_for(repo)) == []
    shell_fed = "bash <<'EOF'\n" + "echo fine\n" * 20 + "rm -rf ~\nEOF"
    assert check_command(shell_fed, context_for(repo)) != []


def test_a_real_run_of_the_tool_refuses_a_two_step_trick(tmp_path: Path) -> None:
    """Through the loop's own hooks: the alias is refused at definition, the script when run."""
    from devcli.events import ToolCall
    from devcli.safety.call_hooks import GateHook
    from devcli.tools.bash import BashArgs, BashTool

    repo = new_repo(tmp_path / "repo").resolve()
    victim = tmp_path / "victim"
    victim.mkdir()
    hook = GateHook(repo, None, ask=False)
    tool = BashTool(repo)
    try:
        steps = [
            f"cat > wipe.sh <<'EOF'\nrm -rf {victim}\nEOF",
            "bash wipe.sh",
        ]
        refusals = []
        for command in steps:
            args = BashArgs(command=command)
            refusal = hook.before(ToolCall(id="abcdefghi", name="execute_bash"), tool, args)
            refusals.append(refusal)
            if refusal is None:
                tool.execute(args)
    finally:
        tool.close()
    assert refusals[0] is None and refusals[1] is not None
    assert "written during this session" in refusals[1].reason
    assert victim.exists()


def test_pwd_in_a_path_is_the_shells_directory(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo").resolve()
    context = gate_context(repo, str(repo), None)
    assert check_command("rm -rf $(pwd)/build", context) == []
    assert check_command("rm -rf $(pwd)", context) != []
