"""The resolved configuration of a benchmark run: components, their options, training settings.

``--set kind.option=value`` addresses a component's option (``loss.subspace_dim=16``) or a
training setting (``train.learning_rate=0.0005``). Everything is validated before any work
starts, so a typo fails in a second, not after an hour of training.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asdbench.contracts import KINDS, Built, Dataset
from asdbench.data.ground_truth import truth_digest
from asdbench.errors import OptionError, PluginError
from asdbench.registry.components import Component, components, get
from asdbench.registry.manager import PluginInfo, core_version
from asdbench.registry.specs import LossSpec
from asdbench.scoring.statistics import STD
from asdbench.tracking import store
from asdbench.training.settings import TrainConfig

#: The loss of an embedder that needs no training: not a registered loss (no one chooses it;
#: a run takes it with such an embedder), so it is neither listed nor offered.
NO_LOSS = "none"
NO_LOSS_COMPONENT = Component(
    LossSpec(
        name=NO_LOSS,
        factory="asdbench.model.untrained:NoLoss",
        summary="No loss: an embedder that needs no training is not trained",
    ),
    PluginInfo("asdbench-core", "asdbench-core", core_version(), builtin=True),
)


def component(kind: str, name: str) -> Component:
    """The registered component ``name`` of ``kind``, or the ``none`` loss."""
    if kind == "loss" and name == NO_LOSS:
        return NO_LOSS_COMPONENT
    return get(kind, name)


@dataclass
class Choice:
    """A chosen component and the options given for it."""

    component: Component
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.component.name

    def create(self, **context: Any) -> Built:
        """Build the component with its options and the pipeline's context arguments."""
        return self.component.create(**context, **self.options)

    def described(self) -> dict[str, Any]:
        """The component in the resolved config: its name, every option and, for a component
        that reads files its options name, their digests (``input_digests``)."""
        options = self.resolved_options()
        found: dict[str, Any] = {"name": self.name, "options": options}
        digests = getattr(self.component.spec.resolve(), "input_digests", None)
        if digests is not None and (values := digests(options)):
            found["digests"] = dict(values)
        return found

    def resolved_options(self) -> dict[str, Any]:
        """Every option with its effective value (defaults filled in)."""
        values = {o.name: o.default for o in self.component.options() if not o.required}
        values.update(self.options)
        return values


#: How a run reports the spread over its trials: the sample (ddof 1) or the population
#: (ddof 0, the released AdaProj code's) standard deviation.
STDS = tuple(STD)
#: The components of a run that names none: AdaProj on the built-in synthetic dataset.
DEFAULT_COMPONENTS = {
    "loss": "adaproj",
    "embedder": "dual_branch",
    "backend": "kmeans",
    "dataset": "synthetic",
}


@dataclass(frozen=True)
class PresetUse:
    """The preset a run was resolved from, and what the run does differently."""

    name: str
    version: str
    #: The preset's keys whose values the run takes.
    taken: tuple[str, ...] = ()
    #: ``key -> value`` for each of the preset's values the run replaced (a flag, ``--set`` or
    #: another component, whose preset options then do not apply).
    changed: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        """``adaproj-code@1``, or ``adaproj-code@1 with loss.subspace_dim=8`` when changed."""
        base = f"{self.name}@{self.version}"
        if not self.changed:
            return base
        return f"{base} with " + ", ".join(f"{key}={value}" for key, value in self.changed)


@dataclass
class RunConfig:
    """Everything that defines one benchmark cell, resolved and checked."""

    loss: Choice
    embedder: Choice
    backend: Choice
    dataset: Choice
    ensemble: Choice | None = None
    train: TrainConfig = field(default_factory=TrainConfig)
    trials: int = 1
    seed: int = 0
    data_dir: Path | None = None
    ground_truth: Path | None = None
    device: str = "auto"
    experiment: str | None = None
    output: Path | None = None
    preset: PresetUse | None = None
    std: str = "sample"

    def choices(self) -> dict[str, Choice]:
        found = {kind: getattr(self, kind) for kind in KINDS}
        return {kind: choice for kind, choice in found.items() if choice is not None}

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view: the resolved config logged with every run."""
        return {
            **{kind: c.described() for kind, c in self.choices().items()},
            "train": dataclasses.asdict(self.train),
            "trials": self.trials,
            "seed": self.seed,
            "data_dir": str(self.data_dir) if self.data_dir else None,
            "ground_truth": str(self.ground_truth) if self.ground_truth else None,
            # What the ground truth says, not only where it is: a corrected file is another cell.
            "ground_truth_digest": truth_digest(self.ground_truth) if self.ground_truth else None,
            "device": self.device,
            "preset": self.preset.label if self.preset else "none",
        }

    def portable(self) -> dict[str, Any]:
        """What rebuilds this config in another process (:func:`from_portable`, e.g. on a Ray
        worker): component names with the options that were set, training and run settings."""
        return {
            "choices": {kind: [c.name, dict(c.options)] for kind, c in self.choices().items()},
            "train": dataclasses.asdict(self.train),
            "settings": {
                f.name: getattr(self, f.name)
                for f in dataclasses.fields(self)
                if f.name not in (*KINDS, "train")
            },
        }

    def non_default(self) -> dict[str, Any]:
        """``kind.option`` -> value for every component option and training setting whose
        value is not its default: what a cell's readable name shows."""
        changed: dict[str, Any] = {}
        for kind, choice in self.choices().items():
            defaults = {o.name: o.default for o in choice.component.options() if not o.required}
            for name, value in choice.resolved_options().items():
                if name not in defaults or defaults[name] != value:
                    changed[f"{kind}.{name}"] = value
        for name, value in dataclasses.asdict(self.train).items():
            if value != getattr(TrainConfig, name):
                changed[f"train.{name}"] = value
        return changed

    def cell_hash(self) -> str:
        """Identifies the benchmark cell: the same components, options and training settings."""
        return cell_hash_of(self.as_dict())

    @property
    def experiment_name(self) -> str:
        """The MLflow experiment of the cell."""
        return store.experiment_name(self.dataset.name, self.experiment)

    def tags(self, run_type: str) -> dict[str, str]:
        """The MLflow tags of the cell's ``run_type`` runs (``cell``, ``trial``)."""
        return store.cell_tags(
            components={kind: choice.name for kind, choice in self.choices().items()},
            run_type=run_type,
            cell=self.cell_hash(),
            trials=self.trials,
            seed=self.seed,
            rule=self.dataset.create().official_score.name,
            preset=self.preset.label if self.preset else None,
        )

    def params(self) -> dict[str, str]:
        """The MLflow params of the cell's runs: the resolved configuration, flat."""
        return store.flat_params(self.as_dict())


def cell_hash_of(resolved: Mapping[str, Any]) -> str:
    """The cell hash of a resolved config as :meth:`RunConfig.as_dict` gives it (and a cell's
    ``config.json`` holds)."""
    shown = ("trials", "seed", "device", "preset")  # a preset is a name for values, not one
    cell = {k: v for k, v in resolved.items() if k not in shown}
    text = json.dumps(cell, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _channels_of(found: Component) -> tuple[int, ...]:
    """The channel counts a registered embedder takes; a malformed declaration is an error
    naming its plugin."""
    from asdbench.contracts import accepted_channels

    try:
        return accepted_channels(found.spec.resolve())
    except TypeError as exc:
        origin = f" ({found.plugin.distribution})" if found.plugin.distribution else ""
        raise PluginError(f"{found.label}{origin}: {exc}") from exc


def embedder_context(config: RunConfig, dataset: Dataset) -> dict[str, int]:
    """The sizes the run's embedder is built with: the dataset's rate and clip length, the
    embedding size, and, for an embedder that declares ``accepts_channels``, the channels each
    clip has. An embedder that does not take the dataset's channel count is an error naming
    both, and the embedders that do."""
    from asdbench.contracts import takes_channels

    chosen = config.embedder.component
    channels = dataset.audio_format.channels
    accepted = _channels_of(chosen)
    if channels not in accepted:
        fitting = [
            name
            for name, found in components("embedder").items()
            if channels in _channels_of(found)
        ]
        raise OptionError(
            f"--embedder {chosen.name} takes {'/'.join(map(str, accepted))} channel(s), but the "
            f"dataset {dataset.name} keeps {channels} channels per clip: keep one with the "
            f"dataset's options, or choose an embedder that takes {channels} "
            f"({', '.join(fitting) or 'none installed'})"
        )
    context = {
        "sample_rate": dataset.sample_rate,
        "clip_samples": dataset.clip_samples,
        "embedding_dim": config.train.embedding_dim,
    }
    if takes_channels(chosen.spec.resolve()):
        context["channels"] = channels
    return context


def probe(config: RunConfig) -> None:
    """Build every component once with the run's sizes (a placeholder class count for the
    loss), so that an option value a component refuses (``subspace_dim=0``), or an embedder
    that does not take the dataset's channels, is a one-line error now, not after the data is
    prepared or a model trained."""
    dataset = config.dataset.create()
    config.embedder.create(**embedder_context(config, dataset))
    config.loss.create(num_classes=2, embedding_dim=config.train.embedding_dim)
    config.backend.create()
    if config.ensemble is not None:
        config.ensemble.create()


def from_portable(spec: Mapping[str, Any]) -> RunConfig:
    """The config :meth:`RunConfig.portable` describes, resolved against this process's
    plugins."""
    choices = {}
    for kind, (name, options) in spec["choices"].items():
        found = component(kind, name)
        found.check(options)
        choices[kind] = Choice(found, dict(options))
    return RunConfig(**choices, train=TrainConfig(**spec["train"]), **spec["settings"])
