"""A sweep's grid: its TOML file read and checked, and every cell of losses x embedders x
back ends x datasets x each list of ``--set`` values resolved before any work starts."""

from __future__ import annotations

import itertools
import math
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from asdbench.errors import OptionError
from asdbench.pipeline.config import DEFAULT_COMPONENTS, RunConfig
from asdbench.pipeline.resolve import resolve
from asdbench.pipeline.resources import DEVICES

SWEEP_KEYS = {
    "preset",
    "losses",
    "datasets",
    "backends",
    "embedders",
    "backend",
    "embedder",
    "trials",
    "seed",
    "ensemble",
    "epochs",
    "batch_size",
    "precision",
    "set",
    "data_dir",
    "ground_truth",
    "experiment",
    "device",
}


#: The most cells one sweep may have (each resolves in about 0.2 s, and trains for minutes).
MAX_CELLS = 1000


def read_sweep_file(path: Path) -> dict[str, Any]:
    """A TOML file with a ``[sweep]`` table; ``data_dir`` and ``ground_truth`` may be tables
    keyed by dataset name; ``set`` a list of ``KIND.OPTION=VALUE[,VALUE...]`` strings or a
    table of ``"KIND.OPTION" = value or [values]``."""
    try:
        table = tomllib.loads(path.read_text()).get("sweep")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise OptionError(f"{path}: {exc}") from exc
    if not isinstance(table, dict):
        raise OptionError(f"{path}: expected a [sweep] table")
    unknown = set(table) - SWEEP_KEYS
    if unknown:
        raise OptionError(
            f"{path}: unknown key {sorted(unknown)[0]!r}; keys: {', '.join(sorted(SWEEP_KEYS))}"
        )
    for key, value in table.items():
        wanted = _SWEEP_TYPES[key]
        if not wanted[1](value):
            raise OptionError(f"{path}: {key} must be {wanted[0]}, got {value!r}")
    return table


def _names_list(value: Any) -> bool:
    return isinstance(value, str) or (
        isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)
    )


def _count(least: int) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, int) and not isinstance(value, bool) and value >= least


def _text_or_table(value: Any) -> bool:
    return isinstance(value, str) or (
        isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    )


def _set_values(value: Any) -> bool:
    plain = (str, int, float, bool)
    if isinstance(value, list):
        return all(isinstance(v, str) for v in value)
    return isinstance(value, dict) and all(
        isinstance(v, plain) or (isinstance(v, list) and v and all(isinstance(x, plain) for x in v))
        for v in value.values()
    )


#: What each sweep-file key takes: (how an error says it, the check).
_SWEEP_TYPES: dict[str, tuple[str, Callable[[Any], bool]]] = {
    **{
        key: ("a name or a non-empty list of names", _names_list)
        for key in ("losses", "datasets", "backends", "embedders")
    },
    **{
        key: ("a name", lambda v: isinstance(v, str))
        for key in ("preset", "backend", "embedder", "ensemble", "precision", "experiment")
    },
    "trials": ("a whole number >= 1", _count(1)),
    "epochs": ("a whole number >= 1", _count(1)),
    "batch_size": ("a whole number >= 1", _count(1)),
    "seed": ("a whole number >= 0", _count(0)),
    "device": (f"one of {', '.join(DEVICES)}", lambda v: v in DEVICES),
    "set": ('a list of "KIND.OPTION=VALUE" strings or a table of values', _set_values),
    "data_dir": ("a folder or a table of folders by dataset", _text_or_table),
    "ground_truth": ("a folder or a table of folders by dataset", _text_or_table),
}


def grid_values(pairs: list[str], where: str) -> dict[str, list[str]]:
    """``["loss.subspace_dim=1,2,4"]`` -> ``{"loss.subspace_dim": ["1", "2", "4"]}``; a later
    pair for the same key replaces an earlier one (flags after the sweep file)."""
    grid: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        values = [v.strip() for v in text.split(",")]
        if not sep or not key.strip() or not all(values):
            raise OptionError(
                f"{where} {pair!r}: expected KIND.OPTION=VALUE or KIND.OPTION=V1,V2,..."
            )
        grid[key.strip()] = list(dict.fromkeys(values))
    return grid


def plan_sets(plan: dict[str, Any]) -> list[str]:
    """The sweep file's ``set`` as ``KIND.OPTION=V1,V2`` strings (a list or a table)."""
    sets = plan.get("set", [])
    if isinstance(sets, dict):
        return [
            f"{key}={','.join(map(str, v)) if isinstance(v, list) else v}"
            for key, v in sets.items()
        ]
    if not isinstance(sets, list) or not all(isinstance(v, str) for v in sets):
        raise OptionError("sweep file: 'set' must be a list of strings or a table")
    return sets


def _names(flags: tuple[str, ...], plan: dict[str, Any], plural: str) -> list[str | None]:
    """The names of one kind to cross; ``[None]`` when none is given (the preset's, or the
    default)."""
    if flags:
        return list(dict.fromkeys(flags))
    value = plan.get(plural, plan.get(plural[:-1]))
    return list(dict.fromkeys([value] if isinstance(value, str | None) else value))


def build_configs(
    plan: dict[str, Any], flags: dict[str, Any], sets: tuple[str, ...]
) -> list[RunConfig]:
    """Every cell of the grid: losses x embedders x backends x datasets x every list of
    ``--set`` values, each resolved and checked before any work starts."""
    grid = {**grid_values(plan_sets(plan), "set"), **grid_values(list(sets), "--set")}
    keys = list(grid)
    kinds = {
        kind: _names(flags[plural], plan, plural)
        for kind, plural in (
            ("dataset", "datasets"),
            ("loss", "losses"),
            ("embedder", "embedders"),
            ("backend", "backends"),
        )
    }
    data_dirs, truths = plan.get("data_dir", {}), plan.get("ground_truth", {})
    train = {
        name: flags[name] if flags[name] is not None else plan.get(name)
        for name in ("epochs", "batch_size", "precision")
    }
    planned = math.prod(len(names) for names in kinds.values()) * math.prod(
        len(values) for values in grid.values()
    )
    if planned > MAX_CELLS:
        raise OptionError(
            f"the grid has {planned} cells, more than {MAX_CELLS}: split it into several sweeps"
        )
    configs = []
    for dataset, loss, embedder, backend, values in itertools.product(
        *kinds.values(), itertools.product(*grid.values())
    ):
        dataset = dataset or DEFAULT_COMPONENTS["dataset"]
        folder = flags["data_dir"] or (
            data_dirs.get(dataset) if isinstance(data_dirs, dict) else data_dirs
        )
        truth = flags["ground_truth"] or (
            truths.get(dataset) if isinstance(truths, dict) else truths
        )
        configs.append(
            resolve(
                loss=loss,
                dataset=dataset,
                embedder=embedder,
                backend=backend,
                ensemble=flags["ensemble"] or plan.get("ensemble"),
                preset=flags["preset"] or plan.get("preset"),
                sets=[f"{k}={v}" for k, v in zip(keys, values, strict=True)],
                train={k: v for k, v in train.items() if v is not None},
                trials=flags["trials"] or plan.get("trials"),
                seed=flags["seed"] if flags["seed"] is not None else plan.get("seed", 0),
                data_dir=Path(folder).expanduser() if folder else None,
                ground_truth=Path(truth).expanduser() if truth else None,
                experiment=plan.get("experiment"),
                device=plan.get("device", "auto"),
            )
        )
    # Values that mean the same (4, 04 and +4; true and yes) make one cell, run once.
    unique = {(c.cell_hash(), c.trials, c.seed): c for c in reversed(configs)}
    return [c for c in configs if unique[(c.cell_hash(), c.trials, c.seed)] is c]


def cell_labels(configs: list[RunConfig]) -> list[str]:
    """``synthetic / adaproj/dual_branch/kmeans loss.subspace_dim=16 (10 trials)``: each cell
    named by its components and the settings that vary across the sweep."""
    from asdbench.pipeline.outputs import cell_name

    params = [c.params() for c in configs]
    varying = [
        key
        for key in dict.fromkeys(k for p in params for k in p)
        if not key.endswith(".name") and len({p.get(key) for p in params}) > 1
    ]
    return [
        " ".join(
            [
                f"{c.dataset.name} / {cell_name(c)}",
                *(f"{k}={p[k]}" for k in varying if k in p and k != "data_dir"),
                f"({c.trials} trials)",
            ]
        )
        for c, p in zip(configs, params, strict=True)
    ]
