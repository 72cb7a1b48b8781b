"""str_replace_editor on real files: every command, every refusal, byte-exact writes."""

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devcli.tools.base import ToolResult
from devcli.tools.editor import EditorArgs, EditorTool


@pytest.fixture
def editor(tmp_path: Path) -> EditorTool:
    return EditorTool(tmp_path)


def edit(tool: EditorTool, **arguments: object) -> ToolResult:
    return tool.execute(EditorArgs.model_validate(arguments))


# -- view ----------------------------------------------------------------------------------


def test_view_numbers_lines_like_cat_n(editor: EditorTool, tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text("first\nsecond\nthird\n")
    result = edit(editor, command="view", path=str(path))
    assert not result.is_error
    assert "     1\tfirst\n     2\tsecond\n     3\tthird" in result.content


def test_view_range_and_to_end(editor: EditorTool, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("".join(f"line{i}\n" for i in range(1, 21)))
    middle = edit(editor, command="view", path=str(path), view_range=[5, 7])
    assert "     5\tline5\n     6\tline6\n     7\tline7" in middle.content
    assert "line8" not in middle.content and "line4" not in middle.content
    tail = edit(editor, command="view", path=str(path), view_range=[19, -1])
    assert "    19\tline19\n    20\tline20" in tail.content


@pytest.mark.parametrize(
    ("view_range", "message"),
    [([30, 40], "has 20 lines"), ([5, 2], "ends before it starts"), ([1], "two numbers")],
)
def test_view_range_errors(
    editor: EditorTool, tmp_path: Path, view_range: list[int], message: str
) -> None:
    path = tmp_path / "a.txt"
    path.write_text("".join(f"line{i}\n" for i in range(1, 21)))
    result = edit(editor, command="view", path=str(path), view_range=view_range)
    assert result.is_error and message in result.content


def test_view_directory_two_levels_hidden_counted(editor: EditorTool, tmp_path: Path) -> None:
    (tmp_path / "src" / "pkg" / "deep").mkdir(parents=True)
    (tmp_path / "src" / "main.py").write_text("")
    (tmp_path / "src" / "pkg" / "deep" / "too_deep.py").write_text("")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".env").write_text("")
    (tmp_path / "src" / ".cache").mkdir()
    result = edit(editor, command="view", path=str(tmp_path))
    assert f"{tmp_path}/src/" in result.content
    assert f"{tmp_path}/src/main.py" in result.content
    assert f"{tmp_path}/src/pkg/" in result.content
    assert "too_deep.py" not in result.content
    assert ".git" not in result.content.split("\n\n")[0]
    assert "3 hidden entries" in result.content


def test_view_long_file_is_clipped_with_grep_hint(editor: EditorTool, tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("".join(f"this is line number {i}\n" for i in range(5000)))
    result = edit(editor, command="view", path=str(path))
    assert len(result.content) < 16_500
    assert "grep -n" in result.content


def test_relative_path_is_refused_with_suggestion(editor: EditorTool, tmp_path: Path) -> None:
    result = edit(editor, command="view", path="src/a.py")
    assert result.is_error
    assert str(tmp_path / "src" / "a.py") in result.content


def test_missing_file(editor: EditorTool, tmp_path: Path) -> None:
    result = edit(editor, command="view", path=str(tmp_path / "nope.py"))
    assert result.is_error and "does not exist" in result.content


def test_binary_file_is_refused(editor: EditorTool, tmp_path: Path) -> None:
    path = tmp_path / "image.bin"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    result = edit(editor, command="view", path=str(path))
    assert result.is_error and "binary" in result.content


def test_file_over_10_mb_is_refused(editor: EditorTool, tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_bytes(b"a" * (10 * 1024 * 1024 + 1))
    result = edit(editor, command="str_replace", path=str(path), old_str="a", new_str="b")
    assert result.is_error and "10 MB" in result.content


# -- create --------------------------------------------------------------------------------


def test_create_new_file_with_parents(editor: EditorTool, tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "f.py"
    result = edit(editor, command="create", path=str(path), file_text="print(1)\n")
    assert not result.is_error
    assert path.read_text() == "print(1)\n"


def test_create_refuses_existing_path(editor: EditorTool, tmp_path: Path) -> None:
    path = tmp_path / "f.py"
    path.write_text("keep me")
    result = edit(editor, command="create", path=str(path), file_text="x")
    assert result.is_error and "already exists" in result.content
    assert path.read_text() == "keep me"


def test_create_requires_file_text(editor: EditorTool, tmp_path: Path) -> None:
    result = edit(editor, command="create", path=str(tmp_path / "f.py"))
    assert result.is_error and "file_text" in result.content


# -- str_replace ---------------------------------------------------------------------------


def test_str_replace_unique_match_returns_snippet(editor: EditorTool, tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text("".join(f"line{i}\n" for i in range(1, 21)))
    result = edit(
        editor, command="str_replace", path=str(path), old_str="line10\n", new_str="changed\n"
    )
    assert not result.is_error
    assert path.read_text().splitlines()[9] == "changed"
    assert "     6\tline6" in result.content and "    10\tchanged" in result.content
    assert "    14\tline14" in result.content and "line15" not in result.content


def test_str_replace_reports_lines_of_multiple_matches(editor: EditorTool, tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    original = "x = 1\ny = 2\nx = 1\nz = 3\nx = 1\n"
    path.write_text(original)
    result = edit(editor, command="str_replace", path=str(path), old_str="x = 1", new_str="x = 9")
    assert result.is_error and "[1, 3, 5]" in result.content
    assert path.read_text() == original


def test_str_replace_no_match(editor: EditorTool, tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text("    indented\n")
    result = edit(
        editor, command="str_replace", path=str(path), old_str="  indented\n\n", new_str="x"
    )
    assert result.is_error and "does not occur verbatim" in result.content


def test_str_replace_deletes_with_empty_new_str(editor: EditorTool, tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text("keep\ndrop\nkeep too\n")
    assert not edit(editor, command="str_replace", path=str(path), old_str="drop\n").is_error
    assert path.read_text() == "keep\nkeep too\n"


def test_crlf_file_stays_byte_exact(editor: EditorTool, tmp_path: Path) -> None:
    path = tmp_path / "win.txt"
    original = b"alpha\r\nbeta\r\ngamma\r\ndelta"
    path.write_bytes(original)
    result = edit(
        editor,
        command="str_replace",
        path=str(path),
        old_str="beta\ngamma",
        new_str="BETA\nGAMMA\nextra",
    )
    assert not result.is_error, result.content
    assert path.read_bytes() == b"alpha\r\nBETA\r\nGAMMA\r\nextra\r\ndelta"


def test_no_final_newline_is_kept(editor: EditorTool, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"one\ntwo")
    edit(editor, command="str_replace", path=str(path), old_str="one", new_str="ONE")
    assert path.read_bytes() == b"ONE\ntwo"
    edit(editor, command="insert", path=str(path), insert_line=2, new_str="three")
    assert path.read_bytes() == b"ONE\ntwo\nthree"


def test_latin1_and_bom_encodings_are_kept(editor: EditorTool, tmp_path: Path) -> None:
    latin = tmp_path / "latin.txt"
    latin.write_bytes("café = 1\n".encode("latin-1"))
    edit(editor, command="str_replace", path=str(latin), old_str="= 1", new_str="= 2")
    assert latin.read_bytes() == "café = 2\n".encode("latin-1")
    bom = tmp_path / "bom.txt"
    bom.write_bytes(b"\xef\xbb\xbfhello\n")
    edit(editor, command="str_replace", path=str(bom), old_str="hello", new_str="bye")
    assert bom.read_bytes() == b"\xef\xbb\xbfbye\n"


def test_mode_is_preserved(editor: EditorTool, tmp_path: Path) -> None:
    path = tmp_path / "run.sh"
    path.write_text("echo a\n")
    path.chmod(0o751)
    edit(editor, command="str_replace", path=str(path), old_str="a", new_str="b")
    assert stat.S_IMODE(path.stat().st_mode) == 0o751


# -- insert --------------------------------------------------------------------------------


def test_insert_at_top_middle_and_end(editor: EditorTool, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("b\nd\n")
    edit(editor, command="insert", path=str(path), insert_line=0, new_str="a")
    edit(editor, command="insert", path=str(path), insert_line=2, new_str="c\n")
    edit(editor, command="insert", path=str(path), insert_line=4, new_str="e")
    assert path.read_text() == "a\nb\nc\nd\ne\n"


def test_insert_into_crlf_file(editor: EditorTool, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"one\r\nthree\r\n")
    edit(editor, command="insert", path=str(path), insert_line=1, new_str="two\nand a half")
    assert path.read_bytes() == b"one\r\ntwo\r\nand a half\r\nthree\r\n"


def test_insert_line_out_of_range(editor: EditorTool, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("x\n")
    result = edit(editor, command="insert", path=str(path), insert_line=5, new_str="y")
    assert result.is_error and "between 0 and 1" in result.content


# -- undo ----------------------------------------------------------------------------------


def test_undo_restores_bytes_ten_levels(editor: EditorTool, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    versions = [b"v0\r\nend"]
    path.write_bytes(versions[0])
    for number in range(1, 12):
        edit(
            editor,
            command="str_replace",
            path=str(path),
            old_str=f"v{number - 1}",
            new_str=f"v{number}",
        )
        versions.append(path.read_bytes())
    assert path.read_bytes() == versions[11]
    for expected in reversed(versions[1:11]):  # v10 back to v1: ten levels
        assert not edit(editor, command="undo_edit", path=str(path)).is_error
        assert path.read_bytes() == expected
    assert edit(editor, command="undo_edit", path=str(path)).is_error
    assert path.read_bytes() == versions[1]


def test_undo_of_create_removes_the_file(editor: EditorTool, tmp_path: Path) -> None:
    path = tmp_path / "made.txt"
    edit(editor, command="create", path=str(path), file_text="x")
    assert not edit(editor, command="undo_edit", path=str(path)).is_error
    assert not path.exists()


# -- crash safety --------------------------------------------------------------------------

_WRITER = """
import sys
from pathlib import Path
from devcli.tools.text_file import write_atomically
path = Path(sys.argv[1])
print("ready", flush=True)
while True:
    write_atomically(path, b"N" * 40_000_000)
"""


def test_sigkill_during_large_write_leaves_old_or_new_file(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    old = b"O" * 1_000_000
    path.write_bytes(old)
    for delay in (0.05, 0.2, 0.4):
        writer = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE
        )
        assert writer.stdout is not None and writer.stdout.readline() == b"ready\n"
        time.sleep(delay)
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        content = path.read_bytes()
        assert content == old or content == b"N" * 40_000_000
        old = content
