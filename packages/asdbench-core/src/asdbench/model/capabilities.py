"""What an embedder declares about itself as class attributes of its factory, read without
building it (and without importing torch): whether it is trained, and how many audio channels
its ``forward`` takes."""

from __future__ import annotations


def needs_training(embedder_factory: object) -> bool:
    """Whether an embedder (its factory) is trained; one declares ``needs_training = False``
    when it is not."""
    return bool(getattr(embedder_factory, "needs_training", True))


def accepted_channels(embedder_factory: object) -> tuple[int, ...]:
    """The channel counts an embedder's ``forward`` takes: its ``accepts_channels``, or one
    channel (``[B, T]`` waveforms) when it declares none."""
    declared = getattr(embedder_factory, "accepts_channels", (1,))
    if (
        not isinstance(declared, tuple)
        or not declared
        or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in declared)
    ):
        raise TypeError(
            f"accepts_channels must be a tuple of channel counts (whole numbers of at least 1), "
            f"got {declared!r}"
        )
    return declared


def takes_channels(embedder_factory: object) -> bool:
    """Whether the factory is passed ``channels``: it declares ``accepts_channels``."""
    return hasattr(embedder_factory, "accepts_channels")
