"""The contract of each kind of component: what a plugin's factory builds, with its methods,
shapes and invariants, and the optional capabilities a component declares by having them.

A plugin registers a factory with a spec record (``asdbench.LossSpec`` ...); the pipeline calls
the factory with its context arguments (sizes the data decides) and the user's options, and
then uses the object only through the methods below. ``asdbench.testing`` has a conformance
kit per kind that checks these contracts on a plugin's own component. Nothing here imports
torch or numpy: the types are for readers and type checkers. :data:`KINDS` is the one table of
kinds.

Every component may declare ``numerics_version: ClassVar[str]``: the version of the numbers it
computes, bumped with any change that alters them. The trial cache is keyed by it (a component
that declares none is keyed by its distribution's release, so each release retrains).

A component whose options name files it reads (a pretrained encoder's checkpoint) declares
``input_digests(options) -> dict[str, str]``, a classmethod given the resolved options: the
files' digests (``{"checkpoint_sha256": ...}``). They join the resolved config beside the
options, so another file under the same path is another cell and another trial cache entry, and
each run's MLflow params record them (``embedder.checkpoint_sha256``).

Parameters an embedder holds fixed (``requires_grad`` false: weights read from a checkpoint) are
neither optimised nor penalised, and a trial's stored weights leave them out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    import torch

    from asdbench.data.audio import AudioFormat
    from asdbench.data.clips import ClipTable
    from asdbench.data.score_rule import ScoreRule


class Module(Protocol):
    """What the pipeline uses of an ``nn.Module`` (losses and embedders are ones): its modes,
    parameters, state and device."""

    def train(self, mode: bool = True) -> Self: ...

    def eval(self) -> Self: ...

    def parameters(self, recurse: bool = True) -> Iterator[torch.nn.Parameter]: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> Any: ...

    def to(self, *args: Any, **kwargs: Any) -> Self: ...


class Loss(Module, Protocol):
    """``factory(*, num_classes, embedding_dim, **options) -> Loss``, an ``nn.Module``.

    - ``forward(embeddings [B, D] float32, targets [B, C] soft labels, each row summing to 1)``
      returns a scalar tensor (mixup mixes two classes per row; most batches lack most
      classes; the last batch of an epoch may hold one clip).
    - Sizes are keyword-only; an option value the loss cannot use raises ``ValueError`` in the
      constructor (the run reports it before any work).
    - Trainable parameters are registered parameters: the trainer, not the user, puts them into
      the optimiser. Fixed state (centres, an adaptive scale) lives in buffers, so it is saved
      with ``state_dict`` and moves with ``.to(device)`` (float64 included); eval mode changes
      no state.
    - Given the same ``torch.manual_seed``, construction and ``forward`` are deterministic; the
      inputs are not modified.
    - Angular losses also expose ``logits(embeddings)``, the unscaled class similarities
      (``asdbench.AngularLoss`` keeps their centres and adaptive scale).
    """

    def forward(self, embeddings: torch.Tensor, targets: torch.Tensor) -> torch.Tensor: ...


@runtime_checkable
class ReportsTrainingMetrics(Protocol):
    """A loss capability: values worth following during training (an adaptive scale), logged
    after every step as ``train/<name>`` and at the end of every epoch as
    ``train/epoch_<name>``. Each value is a 0-d tensor, read without waiting for a GPU."""

    def training_metrics(self) -> Mapping[str, torch.Tensor]: ...


class Embedder(Module, Protocol):
    """``factory(*, sample_rate, clip_samples, embedding_dim, **options) -> Embedder``, an
    ``nn.Module``; a factory that declares ``accepts_channels`` is also passed ``channels``.

    - ``forward(waveforms)`` takes float32 samples in [-1, 1): ``[B, clip_samples]`` for one
      channel, ``[B, channels, clip_samples]`` when ``channels`` is above 1; it returns
      ``[B, embedding_dim]`` float32 (features are computed inside the module, so a back end
      sees embeddings only).
    - ``accepts_channels``: the channel counts ``forward`` takes, a class attribute
      (``(1, 2)`` for DCASE2026's near and far microphones); ``(1,)`` when not declared. A run
      whose dataset keeps another count (``stereo=both``, ``dcase2026``'s ``channel=both``) is
      refused before any work, naming the embedders that take it.
    - ``needs_training = False`` (a class attribute) for an embedder used as built: a trial
      embeds every clip with it (no epochs), its loss is ``none`` (another ``--loss`` is
      refused) and it has no trainable parameter (core's ``logmel_stats``).
    - In eval mode a clip's embedding does not depend on the other clips of its batch; every
      trainable parameter gets a gradient.
    - Sizes are keyword-only; refused option values raise ``ValueError`` in the constructor.
    - Deterministic given ``torch.manual_seed``; everything that defines the network is in
      ``state_dict``.
    """

    accepts_channels: ClassVar[tuple[int, ...]]
    needs_training: ClassVar[bool]

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor: ...


def needs_training(embedder_factory: object) -> bool:
    """Whether an embedder (its factory, read without building it) is trained."""
    return bool(getattr(embedder_factory, "needs_training", True))


def accepted_channels(embedder_factory: object) -> tuple[int, ...]:
    """The channel counts an embedder's ``forward`` takes: its ``accepts_channels``, or one
    channel when it declares none."""
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


class Backend(Protocol):
    """``factory(**options) -> Backend``: scores test clips from embeddings, one section at a
    time (a new back end per section).

    - ``fit(embeddings [N, D] float, domains [N] of "source" | "target")`` on the section's
      training clips (normal only) returns the back end itself; it sees no test clip and no
      label.
    - ``score(embeddings [M, D]) -> [M]`` float, finite, higher = more anomalous; called on every
      clip of the section (training clips too: their scores set the decision threshold).
    - ``score`` before ``fit`` raises; both are deterministic and leave their inputs alone.
    - ``fit`` raises ``ValueError`` for training clips it cannot fit (too few for a covariance,
      say); the run reports it on one line naming the section.
    """

    def fit(self, embeddings: np.ndarray, domains: np.ndarray) -> Self: ...

    def score(self, embeddings: np.ndarray) -> np.ndarray: ...


class Dataset(Protocol):
    """``factory(**options) -> Dataset``: a DCASE-style dataset, which states its facts as
    attributes. Subclassing ``asdbench.DcaseLayoutDataset`` gives all of it from a tree in the
    DCASE layout.

    - ``name``; ``sample_rate``; ``clip_samples``, every clip tiled and cropped to it;
      ``audio_format``, how files are decoded (sample rate, resampling, what to do with several
      channels); ``skip_bad_files``, whether unreadable files are left out and listed rather
      than refused; ``how_to_obtain``, one line a run prints when no ``--data-dir`` is given.
    - ``official_score``: its year's rule, an ``asdbench.ScoreRule``: the harmonic mean over
      every section of the section metrics in ``pooled`` (AUC (source), AUC (target) and pAUC
      as DCASE 2022-2026 score), ``name`` what outputs call it (``eval official score
      (dcase2024 rule)``), ``files`` the form of its evaluator's ground-truth and submission
      files (``section``; ``section_domain`` in 2021; ``machine_id`` in 2020) and
      ``machine_means`` the metrics its evaluator averages per machine type (``pooled=()``
      for a year without a single official score, as 2020).
    - ``load(data_dir, *, ground_truth=None, progress=True) -> ClipTable``: every clip, eval
      labels joined by file name from evaluator-format ground truth.
    - ``data_dir(data_dir, *, progress=True) -> Path``: the folder to read (a dataset that has
      data of its own, as the synthetic one, needs none).
    - ``partition_of(machine, section) -> "dev" | "eval" | None``: from its facts, so that
      results are never pooled across partitions.
    """

    name: str
    sample_rate: int
    clip_samples: int
    official_score: ScoreRule
    audio_format: AudioFormat
    skip_bad_files: bool

    def load(
        self,
        data_dir: Path | None = None,
        *,
        ground_truth: Path | None = None,
        progress: bool = True,
    ) -> ClipTable: ...

    def data_dir(self, data_dir: Path | None, *, progress: bool = True) -> Path: ...

    def partition_of(self, machine: str, section: str) -> str | None: ...


@runtime_checkable
class Downloadable(Protocol):
    """A dataset capability: ``asdbench data download`` fetches and unpacks it into
    ``target`` (resumable, verified; ``asdbench.fetch_and_extract`` does the work), returning
    the folder to pass as ``--data-dir``."""

    def download(
        self,
        target: Path,
        *,
        parts: Sequence[str],
        machines: Sequence[str] = (),
        mirror: str | None = None,
        progress: bool = True,
    ) -> Path: ...


class Ensemble(Protocol):
    """``factory(**options) -> Ensemble``: combines the scores of several trials.

    ``combine(per_trial: list of [N] arrays aligned on the same clips, sections [N] section
    ids, train [N] bool: the training clips) -> [N]`` float, finite. A section's combined
    scores depend only on that section's scores; the order of the trials does not matter; the
    inputs are not modified.
    """

    def combine(
        self, per_trial: list[np.ndarray], sections: np.ndarray, train: np.ndarray
    ) -> np.ndarray: ...


#: What a factory builds: a component of one of the kinds.
Built = Loss | Embedder | Backend | Dataset | Ensemble


@dataclass(frozen=True)
class Kind:
    """A kind of component: everything else about kinds (the registration hooks, the spec
    records' context, the names the CLI accepts, the sections of a preset and of ``--set``)
    is derived from :data:`KINDS`."""

    name: str
    plural: str
    contract: type
    #: The arguments the pipeline passes the factory itself (sizes the data decides), and
    #: those of them passed only to a factory that declares it takes them.
    context: tuple[str, ...] = ()
    optional_context: tuple[str, ...] = ()
    #: Whether a preset names it (a preset is a system, run on any dataset) and may name none.
    in_presets: bool = True
    optional: bool = False

    @property
    def hook(self) -> str:
        """The registration hook plugins implement (``asdbench_losses``)."""
        return f"asdbench_{self.plural}"


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("loss", "losses", Loss, ("num_classes", "embedding_dim")),
        Kind(
            "embedder",
            "embedders",
            Embedder,
            ("sample_rate", "clip_samples", "embedding_dim", "channels"),
            ("channels",),
        ),
        Kind("backend", "backends", Backend),
        Kind("dataset", "datasets", Dataset, in_presets=False),
        Kind("ensemble", "ensembles", Ensemble, optional=True),
    )
}


def kind_named(text: str) -> Kind | None:
    """The kind a user typed, singular or plural (``losses``); None when there is none."""
    return KINDS.get(text) or next((k for k in KINDS.values() if k.plural == text), None)
