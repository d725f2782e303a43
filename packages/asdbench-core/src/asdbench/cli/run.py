"""``asdbench run``: one benchmark cell, from dataset to scores, metrics and MLflow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from asdbench.cli.options import NUM_WORKERS, PRECISION, TRACKING_FALLBACK
from asdbench.cli.signals import stop_on_sigterm
from asdbench.pipeline.config import DEFAULT_COMPONENTS, STDS, RunConfig
from asdbench.pipeline.resolve import resolve
from asdbench.pipeline.resources import DEVICES, bounded_workers, check_device
from asdbench.registry.presets import get_preset
from asdbench.reporting.tables import figure
from asdbench.scoring.metrics import Results, label
from asdbench.scoring.statistics import STD
from asdbench.training.settings import TrainConfig


def _plan(config: RunConfig) -> str:
    lines = [f"asdbench run plan (cell {config.cell_hash()})"]
    from_preset: set[str] = set()
    if config.preset is not None:
        preset = get_preset(config.preset.name)
        plugin = preset.plugin
        origin = f"{plugin.distribution} {plugin.version}" if plugin.distribution else plugin.name
        lines.append(f"  preset    {config.preset.label}  [{origin}]")
        from_preset = set(config.preset.taken)
    for kind, choice in config.choices().items():
        plugin = choice.component.plugin
        origin = f"{plugin.distribution} {plugin.version}" if plugin.distribution else plugin.name
        lines.append(f"  {kind:<9} {choice.name}  [{origin}]{_marker(kind, from_preset, False)}")
        for name, value in choice.resolved_options().items():
            marker = _marker(f"{kind}.{name}", from_preset, name in choice.options)
            lines.append(f"      {name} = {value!r}{marker}")
    settings = config.as_dict()
    lines.append("  train")
    defaults = TrainConfig()
    for name, value in settings["train"].items():
        marker = _marker(f"train.{name}", from_preset, value != getattr(defaults, name))
        lines.append(f"      {name} = {value!r}{marker}")
    for name in ("trials", "seed", "device", "data_dir", "ground_truth"):
        lines.append(f"  {name:<9} {settings[name]}{_marker(name, from_preset, False)}")
    lines.append(
        f"  std       {config.std} (spread over trials){_marker('std', from_preset, False)}"
    )
    lines.append(f"  experiment {config.experiment or '(one per dataset)'}")
    return "\n".join(lines)


def _marker(key: str, from_preset: set[str], given: bool) -> str:
    """Where a value comes from, when not from the defaults."""
    if key in from_preset:
        return "  (preset)"
    return "  (set)" if given else ""


def trials_line(
    partition: str, results: Results, aggregate: dict[str, float], trials: int, std: str
) -> str:
    """``dev official score: 65.09 ± 2.05 (mean ± sample std over 10 trials)``; for a rule
    without one, each machine type's means (``dev fan AUC (all): 81.20 ± 1.10, pAUC: ...``)."""
    suffix = STD[std][1]

    def spread(key: str, machine: str = "") -> str:
        mean = aggregate.get(f"{partition}/{key}_mean{machine}", float("nan"))
        deviation = aggregate.get(f"{partition}/{key}_{suffix}{machine}", float("nan"))
        return f"{figure(mean)} ± {figure(deviation)}"

    over = f"(mean ± {std} std over {trials} trials)"
    if results.rule.pooled:
        return f"{partition} {label('official_score')}: {spread('official_score')} {over}"
    return "\n".join(
        f"{partition} {machine} (arithmetic mean over its sections) "
        + ", ".join(f"{label(m)}: {spread(m, '/' + machine)}" for m in results.rule.machine_means)
        + f" {over}"
        for machine in results.machine_means()
    )


#: The options a preset may set: given on the command line they win, left at their defaults
#: the preset's value (or the default) applies.
PRESET_FLAGS = ("loss", "embedder", "backend", "trials")


@click.command("run")
@click.option(
    "--preset",
    default=None,
    metavar="NAME",
    help="A named configuration (asdbench list presets); flags and --set override its values.",
)
@click.option(
    "--loss", default=DEFAULT_COMPONENTS["loss"], show_default=True, help="Loss plugin name."
)
@click.option(
    "--dataset", default=DEFAULT_COMPONENTS["dataset"], show_default=True, help="Dataset name."
)
@click.option(
    "--embedder", default=DEFAULT_COMPONENTS["embedder"], show_default=True, help="Embedder."
)
@click.option(
    "--backend", default=DEFAULT_COMPONENTS["backend"], show_default=True, help="Backend."
)
@click.option(
    "--ensemble",
    default=None,
    help="Combine the trials' scores (e.g. mean); none: no ensemble, even with a preset's.",
)
@click.option("--trials", type=int, default=1, show_default=True, help="Independent models.")
@click.option("--epochs", type=int, default=None, help="Training epochs [default: 10].")
@click.option("--batch-size", type=int, default=None, help="Batch size [default: 64].")
@PRECISION
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the first trial.")
@click.option(
    "--std",
    type=click.Choice(STDS),
    default=None,
    help="Spread reported over trials: sample (ddof 1) or population (ddof 0, as the released "
    "AdaProj code) std [default: sample, or the preset's].",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Dataset root (synthetic: where it is written; default: a cache folder).",
)
@click.option(
    "--ground-truth",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Evaluator-format ground truth for the eval partition.",
)
@click.option(
    "--device",
    type=click.Choice(DEVICES),
    default="auto",
    show_default=True,
    help="Where to train and embed: auto takes a CUDA GPU when torch sees one, else the CPU.",
)
@click.option("--experiment", default=None, help="MLflow experiment [default: per dataset].")
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder for submission files and results "
    "[default: asdbench-output/DATASET/<loss-backend-settings-hash>].",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="KIND.OPTION=VALUE",
    help="Set a component option or training setting, e.g. loss.subspace_dim=16.",
)
@click.option("--dry-run", is_flag=True, help="Resolve and check everything, print the plan.")
@click.option(
    "--resume", is_flag=True, help="Continue an interrupted training from its checkpoint."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: print the results as one JSON object.",
)
@click.option("--quiet", is_flag=True, help="No progress bars.")
@TRACKING_FALLBACK
@NUM_WORKERS
def run_command(
    epochs: int | None,
    batch_size: int | None,
    precision: str | None,
    dry_run: bool,
    resume: bool,
    fmt: str,
    quiet: bool,
    tracking_fallback: str,
    num_workers: int | None,
    **kwargs: Any,
) -> None:
    """Train, score and evaluate one benchmark cell (all trials), logging to MLflow.

    With no options: AdaProj with the dual-branch embedder and the k-means backend on the
    built-in synthetic dataset.
    """
    chosen = (("epochs", epochs), ("batch_size", batch_size), ("precision", precision))
    context = click.get_current_context()
    for name in PRESET_FLAGS:
        if context.get_parameter_source(name) is ParameterSource.DEFAULT:
            kwargs[name] = None
    config = resolve(train={k: v for k, v in chosen if v is not None}, **kwargs)
    check_device(config.device)

    def echo(message: str) -> None:
        click.echo(message, err=True)

    workers = bounded_workers(num_workers, echo)
    if dry_run:
        from asdbench.pipeline.prepare import check_data

        data = check_data(config)
        click.echo(_plan(config))
        click.echo(f"  workers   {workers}")
        click.echo(f"  data      {data}")
        return
    from asdbench.pipeline.cells import run_benchmark

    stop_on_sigterm()

    outcome = run_benchmark(
        config,
        resume=resume,
        progress=not quiet,
        echo=echo,
        tracking_fallback=tracking_fallback,
        num_workers=workers,
    )
    click.echo(_outcome_json(config, outcome) if fmt == "json" else _outcome_text(config, outcome))


def _outcome_json(config: RunConfig, outcome: Any) -> str:
    """``run --format json``: the run, its output folder and each partition's results."""
    payload: dict[str, Any] = {"run_id": outcome.run_id, "output": str(outcome.output)}
    if outcome.sync_hint:
        payload["sync"] = outcome.sync_hint
    payload.update({p: r.as_json() for p, r in outcome.results.items()})
    if config.trials > 1:
        payload["trials"] = outcome.aggregate
    return json.dumps(payload, indent=1)


def _outcome_text(config: RunConfig, outcome: Any) -> str:
    """What ``run`` prints: the results tables, the spread over trials, where everything is."""
    from asdbench.reporting.tables import RESULTS_FILE, render

    what = (
        f"ensemble ({config.ensemble.name} of {config.trials} trials)"
        if config.ensemble
        else f"trial {config.trials - 1} of {config.trials}"
        if config.trials > 1
        else "1 trial"
    )
    lines = [render(outcome.results, "text", what=f"{config.dataset.name}, {what}"), ""]
    if config.trials > 1:
        lines += [
            trials_line(partition, result, outcome.aggregate, config.trials, config.std)
            for partition, result in outcome.results.items()
        ]
    if outcome.sync_hint:
        lines.append(f"MLflow run: kept locally; upload it with: {outcome.sync_hint}")
    else:
        lines.append(f"MLflow run: {outcome.run_id}")
    trials = "trial-0" if config.trials == 1 else f"trial-{{0..{config.trials - 1}}}"
    lines += [
        f"submission: {outcome.submission}",
        f"results: {outcome.output / RESULTS_FILE}",
        f"figures (ROC, scores per section): {outcome.output}/{trials}/plots",
        f"embedding maps (per machine type): {outcome.output}/{trials}/maps",
    ]
    return "\n".join(lines)
