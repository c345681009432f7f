"""``python -m fastinit [COMMAND] [options]``: see ``python -m fastinit --help``."""

import os
import sys

from ._cli import main

if __name__ == "__main__":
    try:
        status = main()
        sys.stdout.flush()
    except KeyboardInterrupt:  # Ctrl-C: one line, the shell's status for SIGINT
        print("interrupted", file=sys.stderr)
        status = 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        # as the Python docs advise: point stdout at devnull so the exit's flush cannot fail
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = 1
    sys.exit(status)
