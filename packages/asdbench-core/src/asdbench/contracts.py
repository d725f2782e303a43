"""The contract of each kind of component: what a plugin's factory builds, with its methods,
shapes and invariants, and the optional capabilities a component declares by having them.

A plugin registers a factory with a spec record (``asdbench.LossSpec`` ...); the pipeline calls
the factory with its context arguments (sizes the data decides) and the user's options, and
then uses the object only through the methods below. ``asdbench.testing`` has a conformance
kit per kind that checks these contracts on a plugin's own component. Nothing here imports
torch or numpy: the types are for readers and type checkers.

Every component may declare ``numerics_version: ClassVar[str]``: the version of the numbers it
computes, bumped with any change that alters them. The trial cache is keyed by it (a component
that declares none is keyed by its distribution's release, so each release retrains).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    import torch

    from asdbench.data.audio import AudioFormat
    from asdbench.data.clips import ClipTable


class Loss(Protocol):
    """``factory(*, num_classes, embedding_dim, **options) -> Loss``, an ``nn.Module``.

    - ``forward(embeddings [B, D] float32, targets [B, C] soft labels, each row summing to 1)``
      returns a scalar tensor (mixup mixes two classes per row).
    - Sizes are keyword-only; an option value the loss cannot use raises ``ValueError`` in the
      constructor (the run reports it before any work).
    - Trainable parameters are registered parameters: the trainer, not the user, puts them into
      the optimiser. Fixed state (centres, an adaptive scale) lives in buffers, so it is saved
      with ``state_dict`` and moves with ``.to(device)``.
    - Given the same ``torch.manual_seed``, construction and ``forward`` are deterministic.
    """

    def forward(self, embeddings: torch.Tensor, targets: torch.Tensor) -> torch.Tensor: ...


@runtime_checkable
class ReportsTrainingMetrics(Protocol):
    """A loss capability: values worth following during training (an adaptive scale), logged
    after every step as ``train/<name>`` and at the end of every epoch as
    ``train/epoch_<name>``. Each value is a 0-d tensor, read without waiting for a GPU."""

    def training_metrics(self) -> Mapping[str, torch.Tensor]: ...


class Embedder(Protocol):
    """``factory(*, sample_rate, clip_samples, embedding_dim, **options) -> Embedder``, an
    ``nn.Module``.

    - ``forward(waveforms [B, clip_samples] float32 in [-1, 1))`` returns ``[B, embedding_dim]``
      (features are computed inside the module, so a back end sees embeddings only).
    - In eval mode a clip's embedding does not depend on the other clips of its batch.
    - Sizes are keyword-only; refused option values raise ``ValueError`` in the constructor.
    - Deterministic given ``torch.manual_seed``; state in ``state_dict``.
    - One that needs no training declares ``needs_training = False`` (a class attribute): a
      trial embeds with it as built, with the loss ``none``; it has no trainable parameter.
    """

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor: ...


class Backend(Protocol):
    """``factory(**options) -> Backend``: scores test clips from embeddings, one section at a
    time (a new backend per section).

    - ``fit(embeddings [N, D], domains [N] of "source" | "target")`` on the section's training
      clips (normal only); it sees no test clip and no label.
    - ``score(embeddings [M, D]) -> [M]`` float, finite, higher = more anomalous; called on every
      clip of the section (training clips too: their scores set the decision threshold).
    - ``score`` before ``fit`` raises; both are deterministic.
    - ``fit`` raises ``ValueError`` for training clips it cannot fit (too few); the run reports
      it on one line naming the section.
    """

    def fit(self, embeddings: np.ndarray, domains: np.ndarray) -> None: ...

    def score(self, embeddings: np.ndarray) -> np.ndarray: ...


#: The forms of the official evaluators' files (``ScoreRule.files``).
FILE_FORMS = ("section", "section_domain", "machine_id")


@dataclass(frozen=True)
class ScoreRule:
    """How a challenge year's evaluator turns per-section metrics into its official score: the
    harmonic mean, over every section, of the section metrics in ``pooled`` taken together,
    each floored at machine epsilon (keys of ``asdbench.scoring.metrics``: ``auc_source``,
    ``auc_target``, ``pauc``, ``auc_source_own``...). A dataset carries its year's rule as
    ``official_score``; ``name`` is how outputs name it (``eval official score (dcase2023
    rule)``). ``files``: the form of the evaluator's ground-truth and submission files:
    ``section`` (2022 on: one per section, domains in ``ground_truth_domain/``),
    ``section_domain`` (2021: one per section and domain) or ``machine_id`` (2020: one per
    machine ID, ground truth in ``eval_data_list.csv``). ``machine_means``: section metrics
    whose arithmetic mean over each machine type's sections the evaluator reports (2020: AUC
    and pAUC per machine ID, averaged per machine type). A year without a single official score
    (2020) pools nothing: ``pooled=()``, and its figures are the machine means. ``subset``: the
    machine types scored, when a run was asked for only some of the dataset's
    (``--set dataset.machines=fan+valve``); its ``label`` then says so, so that a score over
    part of the data is never shown as the whole's."""

    name: str
    pooled: tuple[str, ...] = ("auc_source", "auc_target", "pauc")
    files: str = "section"
    machine_means: tuple[str, ...] = ()
    subset: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``dcase2023 rule``, or ``dcase2023 rule, on fan+valve only`` for a subset."""
        only = f", on {'+'.join(self.subset)} only" if self.subset else ""
        return f"{self.name} rule{only}"

    def __post_init__(self) -> None:
        named = (*self.pooled, *self.machine_means)
        if not self.name or not named or not all(isinstance(m, str) for m in named):
            raise ValueError(
                f"a score rule needs a name and the metrics it pools or averages, got {self!r}"
            )
        if self.files not in FILE_FORMS:
            raise ValueError(f"files must be one of {', '.join(FILE_FORMS)}, got {self.files!r}")


class Dataset(Protocol):
    """``factory(**options) -> Dataset``: a DCASE-style dataset. Subclassing
    ``asdbench.DcaseLayoutDataset`` gives all of it from a tree in the DCASE layout; a dataset
    states its facts as attributes.

    - ``name``; ``sample_rate`` and ``clip_samples`` (every clip is tiled and cropped to it);
      ``audio_format`` (how files are decoded) and ``skip_bad_files``.
    - ``official_score``: its year's official-score rule, an ``asdbench.ScoreRule``.
    - ``load(data_dir, *, ground_truth=None, progress=True) -> ClipTable``: every clip, eval
      labels joined by file name from evaluator-format ground truth.
    - ``data_dir(data_dir, *, progress=True) -> Path``: the folder to read (a dataset that has
      data of its own, as the synthetic one, needs none).
    - ``partition_of(machine, section) -> "dev" | "eval" | None``: from its facts.
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


#: The contract of each kind, by kind.
CONTRACTS: dict[str, Any] = {
    "loss": Loss,
    "embedder": Embedder,
    "backend": Backend,
    "dataset": Dataset,
    "ensemble": Ensemble,
}
