"""The resolved configuration of a benchmark run: components, their options, training settings.

``--set kind.option=value`` addresses a component's option (``loss.subspace_dim=16``) or a
training setting (``train.learning_rate=0.0005``). Everything is validated before any work
starts, so a typo fails in a second, not after an hour of training.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asdbench.errors import OptionError
from asdbench.model.settings import TrainConfig, train_options
from asdbench.plugins.options import parse_value
from asdbench.plugins.registry import Component, get


@dataclass
class Choice:
    """A chosen component and the options given for it."""

    component: Component
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.component.name

    def create(self, **context: Any) -> Any:
        """Build the component with its options and the pipeline's context arguments."""
        return self.component.create(**context, **self.options)

    def resolved_options(self) -> dict[str, Any]:
        """Every option with its effective value (defaults filled in)."""
        values = {o.name: o.default for o in self.component.options() if not o.required}
        values.update(self.options)
        return values


COMPONENT_KINDS = ("loss", "embedder", "backend", "dataset", "ensemble")
#: The components of a run that names none: AdaProj on the built-in synthetic dataset.
DEFAULT_COMPONENTS = {
    "loss": "adaproj",
    "embedder": "dual_branch",
    "backend": "kmeans",
    "dataset": "synthetic",
}


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

    def choices(self) -> dict[str, Choice]:
        found = {kind: getattr(self, kind) for kind in COMPONENT_KINDS}
        return {kind: choice for kind, choice in found.items() if choice is not None}

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view: the resolved config logged with every run."""
        return {
            **{
                kind: {"name": c.name, "options": c.resolved_options()}
                for kind, c in self.choices().items()
            },
            "train": dataclasses.asdict(self.train),
            "trials": self.trials,
            "seed": self.seed,
            "data_dir": str(self.data_dir) if self.data_dir else None,
            "ground_truth": str(self.ground_truth) if self.ground_truth else None,
            "device": self.device,
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
                if f.name not in (*COMPONENT_KINDS, "train")
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
        cell = {k: v for k, v in self.as_dict().items() if k not in ("trials", "seed", "device")}
        text = json.dumps(cell, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def parse_sets(pairs: Iterable[str]) -> dict[str, dict[str, str]]:
    """``["loss.subspace_dim=16"]`` -> ``{"loss": {"subspace_dim": "16"}}`` (values as text)."""
    sections: dict[str, dict[str, str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        section, dot, name = key.strip().partition(".")
        if not sep or not dot or not name:
            raise OptionError(
                f"--set {pair!r}: expected KIND.OPTION=VALUE, e.g. loss.subspace_dim=16"
            )
        if section not in (*COMPONENT_KINDS, "train"):
            known = ", ".join((*COMPONENT_KINDS, "train"))
            raise OptionError(f"--set {pair!r}: unknown section {section!r}; sections: {known}")
        sections.setdefault(section, {})[name] = value
    return sections


def choose(kind: str, name: str, texts: Mapping[str, str] | None = None) -> Choice:
    """Resolve one component and parse its ``--set`` option texts."""
    texts = texts or {}
    component = get(kind, name)
    options = {o.name: o for o in component.options()}
    values: dict[str, Any] = {}
    for key, text in texts.items():
        if key not in options:
            known = ", ".join(options) or "none"
            raise OptionError(
                f"--set {kind}.{key}: {component.label} has no option {key!r}; its options: {known}"
            )
        values[key] = parse_value(component.label, options[key], text)
    component.check(values)
    return Choice(component, values)


def resolve(
    *,
    loss: str,
    embedder: str,
    backend: str,
    dataset: str,
    ensemble: str | None = None,
    sets: Iterable[str] = (),
    train: Mapping[str, Any] | None = None,
    **settings: Any,
) -> RunConfig:
    """Resolve component names and ``--set`` pairs into a checked ``RunConfig``.

    ``train`` holds training settings given directly (``--epochs``); ``--set train.*`` wins over
    nothing else, so giving both for one setting is an error.
    """
    sections = parse_sets(sets)
    if "ensemble" in sections and ensemble is None:
        raise OptionError("--set ensemble.*: no --ensemble was chosen")
    names = {"loss": loss, "embedder": embedder, "backend": backend, "dataset": dataset}
    if ensemble is not None:
        names["ensemble"] = ensemble
    choices = {kind: choose(kind, name, sections.get(kind)) for kind, name in names.items()}

    known = train_options()
    train_values: dict[str, Any] = dict(train or {})
    for key, text in sections.get("train", {}).items():
        if key not in known:
            raise OptionError(
                f"--set train.{key}: no such training setting; settings: {', '.join(known)}"
            )
        if key in train_values:
            raise OptionError(f"train.{key} is given twice (as a flag and with --set)")
        train_values[key] = parse_value("train", known[key], text)
    train_config = TrainConfig(**train_values)
    train_config.validate()
    if settings.get("trials", 1) < 1:
        raise OptionError(f"--trials must be at least 1, got {settings['trials']}")
    seed = settings.get("seed", 0)
    if not 0 <= seed <= MAX_SEED:
        raise OptionError(f"--seed must be between 0 and {MAX_SEED}, got {seed}")
    config = RunConfig(**choices, train=train_config, **settings)
    probe(config)
    return config


#: The largest seed (numpy and torch take any unsigned 32-bit integer).
MAX_SEED = 2**32 - 1


def probe(config: RunConfig) -> None:
    """Build every component once with the run's sizes (a placeholder class count for the
    loss), so that an option value a component refuses (``subspace_dim=0``) is a one-line error
    now, not after the data is prepared or a model trained."""
    dataset = config.dataset.create()
    config.embedder.create(
        sample_rate=dataset.sample_rate,
        clip_samples=dataset.clip_samples,
        embedding_dim=config.train.embedding_dim,
    )
    config.loss.create(num_classes=2, embedding_dim=config.train.embedding_dim)
    config.backend.create()
    if config.ensemble is not None:
        config.ensemble.create()


def from_portable(spec: Mapping[str, Any]) -> RunConfig:
    """The config :meth:`RunConfig.portable` describes, resolved against this process's
    plugins."""
    choices = {}
    for kind, (name, options) in spec["choices"].items():
        component = get(kind, name)
        component.check(options)
        choices[kind] = Choice(component, dict(options))
    return RunConfig(**choices, train=TrainConfig(**spec["train"]), **spec["settings"])
