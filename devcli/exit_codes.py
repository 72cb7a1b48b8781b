"""Process exit codes, shared by `run`, `replay` and the documentation."""

from enum import IntEnum


class ExitCode(IntEnum):
    COMPLETED = 0
    NOT_COMPLETED = 1
    USAGE = 2
    LIMIT = 3
    BACKEND = 4
    INTERRUPTED = 130


EXIT_CODE_HELP = (
    "Exit codes: 0 finished with the task completed; 1 finished with the task not or only "
    "partly completed; 2 usage or configuration error; 3 step limit reached or agent stuck; "
    "4 model or backend failure; 130 interrupted."
)
