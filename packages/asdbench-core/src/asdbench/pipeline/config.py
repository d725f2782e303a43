"""The resolved configuration of a benchmark run: components, their options, training settings.

``--set kind.option=value`` addresses a component's option (``loss.subspace_dim=16``) or a
training setting (``train.learning_rate=0.0005``). Everything is validated before any work
starts, so a typo fails in a second, not after an hour of training.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asdbench.contracts import KINDS
from asdbench.data.ground_truth import truth_digest
from asdbench.errors import AsdbenchError, OptionError, PluginError
from asdbench.registry.components import Component, components, get
from asdbench.registry.manager import PluginInfo, core_version
from asdbench.registry.options import SEED_RANGE, parse_value
from asdbench.registry.presets import get_preset
from asdbench.registry.specs import LossSpec
from asdbench.scoring.statistics import STD
from asdbench.tracking import store
from asdbench.training.settings import TrainConfig, train_options

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

    def create(self, **context: Any) -> Any:
        """Build the component with its options and the pipeline's context arguments."""
        return self.component.create(**context, **self.options)

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
            **{
                kind: {"name": c.name, "options": c.resolved_options()}
                for kind, c in self.choices().items()
            },
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
        if section not in (*KINDS, "train"):
            known = ", ".join((*KINDS, "train"))
            raise OptionError(f"--set {pair!r}: unknown section {section!r}; sections: {known}")
        sections.setdefault(section, {})[name] = value
    return sections


def choose(
    kind: str,
    name: str,
    texts: Mapping[str, str] | None = None,
    origins: Mapping[str, str] | None = None,
) -> Choice:
    """Resolve one component and parse its option texts; ``origins`` names where an option
    came from when not ``--set`` (``preset adaproj-code@1``), for the error messages."""
    texts, origins = texts or {}, origins or {}
    found = component(kind, name)
    options = {o.name: o for o in found.options()}
    values: dict[str, Any] = {}
    for key, text in texts.items():
        where = origins.get(key, "--set")
        if key not in options:
            known = ", ".join(options) or "none"
            raise OptionError(
                f"{where} {kind}.{key}: {found.label} has no option {key!r}; its options: {known}"
            )
        try:
            values[key] = parse_value(found.label, options[key], text)
        except OptionError as exc:
            raise OptionError(f"{where}: {exc}" if key in origins else str(exc)) from exc
    found.check(values)
    return Choice(found, values)


def as_text(value: str | int | float | bool | None) -> str:
    """A preset value as ``--set`` takes it."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def resolve(
    *,
    loss: str | None = None,
    embedder: str | None = None,
    backend: str | None = None,
    dataset: str | None = None,
    ensemble: str | None = None,
    preset: str | None = None,
    sets: Iterable[str] = (),
    train: Mapping[str, Any] | None = None,
    trials: int | None = None,
    std: str | None = None,
    _preset_checked: bool = False,
    **settings: Any,
) -> RunConfig:
    """Resolve component names and ``--set`` pairs into a checked ``RunConfig``.

    A name, ``trials`` or ``std`` left ``None`` comes from the ``preset`` when it has one, else
    from the defaults; ``ensemble="none"`` asks for none even where the preset has one. The
    preset's options are overridden by ``--set`` and flags, and do not apply to a component the
    run replaces. ``train`` holds training settings given directly (``--epochs``); giving one
    also with ``--set train.*`` is an error.
    """
    chosen = get_preset(preset) if preset else None
    if chosen is not None and not _preset_checked:
        given = {"loss": loss, "embedder": embedder, "backend": backend, "dataset": dataset}
        check_preset(chosen, **given, ensemble=ensemble)
    values = dict(chosen.spec.values) if chosen else {}
    names = {
        kind: given or values.get(kind) or DEFAULT_COMPONENTS[kind]
        for kind, given in (("loss", loss), ("embedder", embedder), ("backend", backend))
    }
    names["dataset"] = dataset or DEFAULT_COMPONENTS["dataset"]
    names["loss"] = _loss_for(names["embedder"], loss, names["loss"])
    wanted_ensemble = values.get("ensemble") if ensemble is None else ensemble
    if wanted_ensemble is not None and wanted_ensemble != "none":
        names["ensemble"] = str(wanted_ensemble)
    sections = parse_sets(sets)
    if "ensemble" in sections and "ensemble" not in names:
        raise OptionError("--set ensemble.*: no --ensemble was chosen")
    flags = dict(train or {})
    for key in sections.get("train", {}):
        if key in flags:
            raise OptionError(f"train.{key} is given twice (as a flag and with --set)")
    origin = f"preset {chosen.label}" if chosen else ""
    origins: dict[str, dict[str, str]] = {}
    applied: dict[str, str] = {}  # the preset's options this run takes
    for key, value in values.items():
        section, dot, option = key.partition(".")
        replaced = section in values and names.get(section) != values[section]
        if not dot or replaced or (section == "ensemble" and "ensemble" not in names):
            continue
        applied[key] = as_text(value)
        if option in sections.get(section, {}) or (section == "train" and option in flags):
            continue
        sections.setdefault(section, {})[option] = applied[key]
        origins.setdefault(section, {})[option] = origin
    choices = {
        kind: choose(kind, name, sections.get(kind), origins.get(kind))
        for kind, name in names.items()
    }

    known = train_options()
    train_values: dict[str, Any] = flags
    for key, text in sections.get("train", {}).items():
        where = origins.get("train", {}).get(key)
        if key not in known:
            raise OptionError(
                f"{where or '--set'} train.{key}: no such training setting; settings: "
                f"{', '.join(known)}"
            )
        try:
            train_values[key] = parse_value("train", known[key], text)
        except OptionError as exc:
            raise OptionError(f"{where}: {exc}" if where else str(exc)) from exc
    train_config = TrainConfig(**train_values)
    train_config.validate()
    trials = trials if trials is not None else int(values.get("trials", 1))
    if trials < 1:
        raise OptionError(f"--trials must be at least 1, got {trials}")
    std = std or str(values.get("std", "sample"))
    if std not in STDS:
        raise OptionError(f"std must be {' or '.join(STDS)}, got {std!r}")
    seed = settings.get("seed", 0)
    if not 0 <= seed <= MAX_SEED:
        raise OptionError(f"--seed must be between 0 and {MAX_SEED}, got {seed}")
    config = RunConfig(**choices, train=train_config, trials=trials, std=std, **settings)
    if chosen is not None:
        changed = _changed(config, values, applied)
        from_preset = {f"{section}.{o}" for section, found in origins.items() for o in found}
        taken = [
            key
            for key in values
            if key not in dict(changed) and ("." not in key or key in from_preset)
        ]
        config.preset = PresetUse(chosen.name, chosen.spec.version, tuple(taken), changed)
    probe(config)
    return config


def check_preset(preset: Any, **components: str | None) -> None:
    """Resolve ``preset`` with the run's components but none of its other values (``--set``,
    flags), so that a value of the preset no run could use (an unknown component,
    ``subspace_dim=0``, a NaN learning rate) is an error that names the preset, not the option
    only. Checked once per preset, values and components."""
    values = json.dumps(preset.spec.values, sort_keys=True)
    _check_preset(preset.spec.name, preset.label, values, tuple(sorted(components.items())))


@functools.cache
def _check_preset(
    name: str, label: str, values: str, components: tuple[tuple[str, str | None], ...]
) -> None:
    try:
        resolve(preset=name, _preset_checked=True, **dict(components))
    except AsdbenchError as exc:
        if f"preset {label}" in str(exc):
            raise
        raise OptionError(f"preset {label}: {exc}") from exc


def _loss_for(embedder: str, given: str | None, chosen: str) -> str:
    """The loss of a run: ``none`` for an embedder that needs no training (refusing another
    given with ``--loss``), and any but ``none`` for one that is trained."""
    from asdbench.contracts import needs_training

    if not needs_training(get("embedder", embedder).spec.resolve()):
        if given not in (None, NO_LOSS):
            raise OptionError(
                f"--loss {given}: the embedder {embedder} needs no training, so it takes no "
                "loss; leave --loss out"
            )
        return NO_LOSS
    if chosen == NO_LOSS:
        raise OptionError(f"--loss {NO_LOSS}: the embedder {embedder} is trained; choose a loss")
    return chosen


def _changed(
    config: RunConfig, values: Mapping[str, Any], applied: Mapping[str, str]
) -> tuple[tuple[str, str], ...]:
    """``key -> value`` of each preset value the run does not keep: the component replaced,
    an option, training setting, ``trials`` or ``std`` given otherwise."""
    choices = config.choices()
    final: dict[str, Any] = {
        "trials": config.trials,
        "std": config.std,
        **{kind: choices[kind].name if kind in choices else "none" for kind in KINDS},
    }
    changed = []
    for key, value in values.items():
        section, dot, option = key.partition(".")
        if not dot:
            if as_text(final[key]) != as_text(value):
                changed.append((key, as_text(final[key])))
            continue
        if key not in applied:
            continue  # belongs to a component the run replaced (listed above)
        if section == "train":
            now = getattr(config.train, option)
            wanted = parse_value("train", train_options()[option], applied[key])
        else:
            choice = choices[section]
            now = choice.resolved_options()[option]
            known = {o.name: o for o in choice.component.options()}
            wanted = parse_value(choice.component.label, known[option], applied[key])
        if now != wanted:
            changed.append((key, as_text(now)))
    return tuple(changed)


#: The largest seed (numpy, scikit-learn and torch take any unsigned 32-bit integer).
MAX_SEED = int(SEED_RANGE.high)


def _channels_of(found: Component) -> tuple[int, ...]:
    """The channel counts a registered embedder takes; a malformed declaration is an error
    naming its plugin."""
    from asdbench.contracts import accepted_channels

    try:
        return accepted_channels(found.spec.resolve())
    except TypeError as exc:
        origin = f" ({found.plugin.distribution})" if found.plugin.distribution else ""
        raise PluginError(f"{found.label}{origin}: {exc}") from exc


def embedder_context(config: RunConfig, dataset: Any) -> dict[str, int]:
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
