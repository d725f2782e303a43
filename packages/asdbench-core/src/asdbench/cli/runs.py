"""``asdbench runs``: list past benchmark cells from MLflow, and show one in full."""

from __future__ import annotations

import json
import math
import time
from typing import Any

import click

from asdbench.cli.options import WHERE, store_line
from asdbench.errors import AsdbenchError
from asdbench.reporting.tables import figure
from asdbench.scoring.metrics import describe, label


def _percent(value: float | None) -> str:
    """A figure as MLflow holds it (in percent) with two decimals; ``-`` when absent."""
    return "-" if value is None else figure(value)


def _when(milliseconds: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(milliseconds / 1000))


@click.group(
    "runs",
    invoke_without_command=True,
    short_help="List the benchmark cells in the MLflow store, newest first.",
)
@click.option("--dataset", default=None, help="Only cells of this dataset.")
@WHERE
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def runs_group(ctx: click.Context, dataset: str | None, where: tuple[str, ...], fmt: str) -> None:
    """List every benchmark cell (parent run) in the MLflow store, newest first: its status,
    trials, mean official scores and output folder. `asdbench runs show RUN_ID` shows one."""
    if ctx.invoked_subcommand is not None:
        return
    from asdbench.reporting.leaderboard.records import load_cells, parse_where, select
    from asdbench.scoring.statistics import over_trials
    from asdbench.tracking import connection, store

    uri = connection.existing_store()
    store_line(uri)
    mlflow = connection.client(uri)
    cells = load_cells(mlflow, store.experiments(mlflow, dataset=dataset), every=True)
    cells = select([c for c in cells if dataset in (None, c.dataset)], parse_where(where))
    cells.sort(key=lambda c: -c.started)
    listed = []
    for cell in cells:
        means = {
            p: over_trials([t.get(f"{p}/official_score", math.nan) for t in cell.trials], 1).mean
            for p in ("dev", "eval")
        }
        listed.append(
            {
                "run_id": cell.run_id,
                "started": _when(cell.started),
                "dataset": cell.dataset,
                "name": cell.name,
                "status": cell.status,
                "trials": len(cell.trials),
                "trials_asked": cell.trials_asked,
                **{f"{p}/official_score_mean": _number(v) for p, v in means.items()},
                "output": cell.output or None,
            }
        )
    if fmt == "json":
        click.echo(json.dumps(listed, indent=1))
        return
    if not listed:
        click.echo(f"No benchmark cells in {uri} (run `asdbench run`).", err=True)
        return
    official = label("official_score")
    header = ["run id", "started", "dataset", "status", "trials", f"dev {official}"]
    header += [f"eval {official}", "name"]
    rows = [
        [
            c["run_id"],
            c["started"],
            c["dataset"],
            c["status"],
            f"{c['trials']}/{c['trials_asked']}",
            _percent(c["dev/official_score_mean"]),
            _percent(c["eval/official_score_mean"]),
            c["name"],
        ]
        for c in listed
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    click.echo(f"({official}: mean over the finished trials)", err=True)


def _number(value: float) -> float | None:
    return None if math.isnan(value) else value


@runs_group.command("show")
@click.argument("run_id")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def show_command(run_id: str, fmt: str) -> None:
    """Show cell RUN_ID (a trial's id shows its cell): its resolved configuration, each
    trial's seed, status and official scores, the mean ± sample std, the ensemble, where its
    files are and its MLflow artifacts."""
    from asdbench.tracking import connection, store

    uri = connection.existing_store()
    store_line(uri)
    mlflow = connection.client(uri)
    run = store.get_run(mlflow, run_id)
    kind = run.data.tags.get(store.RUN_TYPE)
    if kind == "trial":
        run = store.get_run(mlflow, run.data.tags[store.PARENT])
    elif kind != "cell":
        raise AsdbenchError(f"run {run_id} is not an asdbench cell or trial")
    trials = store.trials_of(mlflow, run)
    details = _details(run, trials, [a.path for a in mlflow.list_artifacts(run.info.run_id)])
    if fmt == "json":
        click.echo(json.dumps(details, indent=1))
        return
    click.echo(f"{details['name']}  [{details['status']}]  {details['run_id']}")
    click.echo(f"  experiment  {details['experiment_id']}, started {details['started']}")
    click.echo(f"  output      {details['output'] or '-'}")
    click.echo(f"  artifacts   {', '.join(details['artifacts']) or '-'}")
    click.echo("  configuration")
    for key, value in details["params"].items():
        click.echo(f"      {key} = {value}")
    official = label("official_score")
    click.echo(f"  trials ({len(trials)} of {details['trials_asked']})")
    for trial in details["trials"]:
        scores = ", ".join(
            f"{p} {official} {_percent(trial.get(f'{p}/official_score'))}" for p in ("dev", "eval")
        )
        click.echo(f"      {trial['trial']}  seed {trial['seed']}  {trial['status']:<8} {scores}")
    for key, value in details["metrics"].items():
        click.echo(f"  {describe(key)}: {_percent(value)}")


def _details(run: Any, trials: list, artifacts: list[str]) -> dict[str, Any]:
    from asdbench.tracking import store

    tags, metrics = run.data.tags, store.figures_of(run)
    summary = [
        f"{prefix}{p}/official_score{suffix}"
        for p in ("dev", "eval")
        for prefix, suffix in (("", "_mean"), ("", "_std"), ("ensemble/", ""))
    ]
    return {
        "run_id": run.info.run_id,
        "name": run.info.run_name,
        "status": run.info.status,
        "experiment_id": run.info.experiment_id,
        "started": _when(run.info.start_time or 0),
        "output": tags.get(store.OUTPUT),
        "artifacts": artifacts,
        "params": dict(sorted(run.data.params.items())),
        "trials_asked": int(tags.get(store.TRIALS, "1")),
        "trials": [
            {
                "trial": int(t.data.tags.get(store.TRIAL, "0")),
                "run_id": t.info.run_id,
                "seed": t.data.params.get("trial_seed"),
                "status": t.info.status,
                **{
                    f"{p}/official_score": store.figures_of(t).get(f"{p}/official_score")
                    for p in ("dev", "eval")
                },
            }
            for t in trials
        ],
        "metrics": {key: metrics[key] for key in summary if key in metrics},
    }
