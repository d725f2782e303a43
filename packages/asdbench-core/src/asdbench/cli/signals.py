"""Signals during long work: SIGTERM and Ctrl-C end a run cleanly, a second one at once."""

from __future__ import annotations

import os
import signal


def stop_on_sigterm() -> None:
    """Treat SIGTERM (a scheduler, ``kill``) like Ctrl-C: the run in progress is marked KILLED in
    MLflow and its last checkpoint stays for ``--resume``, instead of dying mid-write. A second
    Ctrl-C or SIGTERM while that is done ends the process at once, with exit status 130."""
    interrupted = False

    def interrupt(signum: int, frame: object) -> None:
        nonlocal interrupted
        if interrupted:
            os._exit(130)
        interrupted = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)
