"""The applications: ``python -m fastinit [COMMAND] [options]``.

Each command is a module ``fastinit._cli.<name>`` with ``parser()`` and
``main(argv) -> exit status``; registering one is a line in ``COMMANDS``.
The library (everything outside this package) never imports it.
"""

import importlib
import sys

DEFAULT = "init"
# name -> one-line description; the module is fastinit._cli.<name>
COMMANDS = {
    "init": "initialize a decoder transformer's weights in place, timed against NumPy "
            "(default)",
    "bench": "time fastinit against NumPy, SciPy and PyTorch on the same buffers",
    "diagnose": "per-layer activation and gradient statistics of each initializer, deep net",
    "compare": "train a small network on scikit-learn's digits once per initializer",
    "checkpoint": "write a freshly initialized safetensors checkpoint, out of core, resumable",
    "check-model": "compare init_module(rules='hf') with transformers' Model(config), per "
                   "architecture",
}


def command(name):
    """The module of command `name`."""
    return importlib.import_module(f"{__name__}.{name.replace('-', '_')}")


def help_text():
    width = max(map(len, COMMANDS))
    lines = ["usage: python -m fastinit [COMMAND] [options]", "",
             "Fill preallocated buffers with reproducible weight initializations; the commands:",
             ""]
    lines += [f"  {name:<{width}}  {text}" for name, text in COMMANDS.items()]
    lines += ["", f"Without a COMMAND, `{DEFAULT}` runs with the options given.",
              "`python -m fastinit COMMAND --help` lists the options of a command."]
    return "\n".join(lines)


def main(argv=None):
    """Run the command named first in `argv` (default: ``sys.argv[1:]``); return its status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("-h", "--help"):
        print(help_text())
        return 0
    if argv and argv[0] in COMMANDS:
        name = argv.pop(0)
    elif argv and not argv[0].startswith("-"):
        print(f"error: unknown command {argv[0]!r}; choose from {', '.join(COMMANDS)} "
              "(python -m fastinit --help)", file=sys.stderr)
        return 2
    else:
        name = DEFAULT
    return command(name).main(argv)
