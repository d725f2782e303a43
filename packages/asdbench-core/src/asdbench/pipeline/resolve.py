"""Resolving a run: component names, presets, ``--set`` pairs and flags into a checked
:class:`~asdbench.pipeline.config.RunConfig`, every value checked before any work starts."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from typing import Any

from asdbench.contracts import KINDS
from asdbench.errors import AsdbenchError, OptionError
from asdbench.pipeline.config import (
    DEFAULT_COMPONENTS,
    NO_LOSS,
    STDS,
    Choice,
    PresetUse,
    RunConfig,
    component,
    probe,
)
from asdbench.registry.components import get
from asdbench.registry.options import SEED_RANGE, parse_value
from asdbench.registry.presets import get_preset
from asdbench.training.settings import TrainConfig, train_options


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
        check_preset(chosen, sets, **given, ensemble=ensemble)
    values = dict(chosen.spec.values) if chosen else {}
    given = {"loss": loss, "embedder": embedder, "backend": backend, "ensemble": ensemble}
    names = _component_names(values, dataset=dataset, **given)
    sections = parse_sets(sets)
    if "ensemble" in sections and "ensemble" not in names:
        raise OptionError("--set ensemble.*: no --ensemble was chosen")
    flags = dict(train or {})
    for key in sections.get("train", {}):
        if key in flags:
            raise OptionError(f"train.{key} is given twice (as a flag and with --set)")
    origin = f"preset {chosen.label}" if chosen else ""
    applied, origins = _preset_options(values, names, sections, flags, origin)
    choices = {
        kind: choose(kind, name, sections.get(kind), origins.get(kind))
        for kind, name in names.items()
    }
    train_config = _train_config(flags, sections.get("train", {}), origins.get("train", {}))
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
        config.preset = _preset_use(chosen, config, values, applied, origins)
    probe(config)
    return config


def _component_names(
    values: Mapping[str, Any],
    *,
    loss: str | None,
    embedder: str | None,
    backend: str | None,
    dataset: str | None,
    ensemble: str | None,
) -> dict[str, str]:
    """The run's component names: given, else the preset's (``values``), else the defaults;
    the ensemble only when one is asked for."""
    names = {
        kind: given or values.get(kind) or DEFAULT_COMPONENTS[kind]
        for kind, given in (("loss", loss), ("embedder", embedder), ("backend", backend))
    }
    names["dataset"] = dataset or DEFAULT_COMPONENTS["dataset"]
    names["loss"] = _loss_for(names["embedder"], loss, names["loss"])
    wanted_ensemble = values.get("ensemble") if ensemble is None else ensemble
    if wanted_ensemble is not None and wanted_ensemble != "none":
        names["ensemble"] = str(wanted_ensemble)
    return names


def _preset_options(
    values: Mapping[str, Any],
    names: Mapping[str, str],
    sections: dict[str, dict[str, str]],
    flags: Mapping[str, Any],
    origin: str,
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Add the preset's options to ``sections`` where ``--set`` and flags give none, skipping
    those of a component the run replaces. Returns the preset's options the run takes (as
    text) and, per section, the options that came from the preset (for error messages)."""
    origins: dict[str, dict[str, str]] = {}
    applied: dict[str, str] = {}
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
    return applied, origins


def _train_config(
    flags: Mapping[str, Any], texts: Mapping[str, str], origins: Mapping[str, str]
) -> TrainConfig:
    """The training settings: the flags, and ``train.*`` texts parsed and checked."""
    known = train_options()
    train_values: dict[str, Any] = dict(flags)
    for key, text in texts.items():
        where = origins.get(key)
        if key not in known:
            raise OptionError(
                f"{where or '--set'} train.{key}: no such training setting; settings: "
                f"{', '.join(known)}"
            )
        try:
            train_values[key] = parse_value("train", known[key], text)
        except OptionError as exc:
            raise OptionError(f"{where}: {exc}" if where else str(exc)) from exc
    config = TrainConfig(**train_values)
    config.validate()
    return config


def _preset_use(
    chosen: Any,
    config: RunConfig,
    values: Mapping[str, Any],
    applied: Mapping[str, str],
    origins: Mapping[str, Mapping[str, str]],
) -> PresetUse:
    """What the run took from its preset and what it changed."""
    changed = _changed(config, values, applied)
    from_preset = {f"{section}.{o}" for section, found in origins.items() for o in found}
    taken = [
        key for key in values if key not in dict(changed) and ("." not in key or key in from_preset)
    ]
    return PresetUse(chosen.name, chosen.spec.version, tuple(taken), changed)


def check_preset(preset: Any, sets: Iterable[str] = (), **components: str | None) -> None:
    """Resolve ``preset`` with the run's components and the ``--set`` pairs of options it
    leaves to the user (a checkpoint file), but none that override it and no flags, so that a
    value of the preset no run could use (an unknown component, ``subspace_dim=0``, a NaN
    learning rate) is an error that names the preset, not the option only. Checked once per
    preset, values, components and pairs."""
    values = json.dumps(preset.spec.values, sort_keys=True)
    own = {key.strip() for key in preset.spec.values}
    left = tuple(pair for pair in sets if pair.partition("=")[0].strip() not in own)
    _check_preset(preset.spec.name, preset.label, values, tuple(sorted(components.items())), left)


@functools.cache
def _check_preset(
    name: str,
    label: str,
    values: str,
    components: tuple[tuple[str, str | None], ...],
    sets: tuple[str, ...],
) -> None:
    try:
        resolve(preset=name, sets=sets, _preset_checked=True, **dict(components))
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
