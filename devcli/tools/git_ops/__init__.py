"""The operations behind the `git` tool, one module per job, all through gitpython."""
