"""The ``asdbench`` command line. Subcommands live in sibling modules; plugins add their own
through the ``asdbench_commands`` hook."""

from asdbench.cli.main import cli, main

__all__ = ["cli", "main"]
