"""Entry point of the decode probe's child process: `python -m devcli.llm.probe_child REQUEST`."""

import sys

from devcli.llm.decode_probe import child_main

if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
