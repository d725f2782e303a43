"""``asdbench sweep`` grids and ``asdbench leaderboard`` / ``runs`` over cells in a real sqlite
MLflow store: rows that identify their cell, filters, estimators, unfinished cells, the mean
over datasets, and a store that does not exist."""

import json
import re

import numpy as np
import pytest
from click.testing import CliRunner
from mlflow.tracking import MlflowClient

import asdbench
from asdbench.cli import cli
from asdbench.synthetic import SyntheticDataset

SWEEP = """[sweep]
losses = ["adaproj"]
backends = ["kmeans", "knn"]
trials = 2
ensemble = "mean"
epochs = 1
batch_size = 16
set = ["dataset.size=tiny", "train.embedding_dim=16", "loss.subspace_dim=2,4"]
"""


def invoke(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def board(*args):
    return json.loads(invoke("leaderboard", "--format", "json", *args).stdout)


def trial_values(client, run_id, key):
    parent = client.get_run(run_id)
    children = client.search_runs(
        [parent.info.experiment_id], f"tags.mlflow.parentRunId = '{run_id}'"
    )
    return np.array([c.data.metrics[key] for c in children])


@pytest.fixture
def swept(mlflow_tracking, asdbench_cache, tmp_path):
    """A finished sweep: adaproj x {kmeans, knn} x J in {2, 4}, two trials each."""
    sweep_file = tmp_path / "sweep.toml"
    sweep_file.write_text(SWEEP)
    first = invoke("sweep", "--config", sweep_file, "--quiet")
    return sweep_file, first


def test_a_grid_over_an_option_is_one_sweep_and_finished_cells_are_skipped(swept):
    sweep_file, first = swept
    queued = [line for line in first.stderr.splitlines() if line.startswith("queued")]
    assert len(queued) == 4
    for backend in ("kmeans", "knn"):
        for j in (2, 4):
            assert any(
                f"adaproj/dual_branch/{backend}" in line and f"loss.subspace_dim={j}" in line
                for line in queued
            ), queued
    again = invoke("sweep", "--config", sweep_file, "--quiet")
    assert again.stderr.count("done     synthetic") == 4 and "queued" not in again.stderr
    # A flag replaces the file's list: one new cell (J = 8), the others are done.
    more = invoke("sweep", "--config", sweep_file, "--set", "loss.subspace_dim=4,8", "--dry-run")
    assert more.stderr.count("to run") == 2 and more.stderr.count("done") == 2
    # The same grid written as a TOML table of lists.
    table = sweep_file.with_name("table.toml")
    table.write_text(
        SWEEP.replace(
            'set = ["dataset.size=tiny", "train.embedding_dim=16", "loss.subspace_dim=2,4"]',
            'set = {"dataset.size" = "tiny", "train.embedding_dim" = 16, '
            '"loss.subspace_dim" = [2, 4]}',
        )
    )
    same = invoke("sweep", "--config", table, "--dry-run")
    assert same.stderr.count("done     synthetic") == 4 and "to run" not in same.stderr
    # Readable cell folders: loss, back end, the settings that are not defaults, a short hash.
    folders = sorted(
        p.name for p in (sweep_file.parent / "asdbench-output" / "synthetic").iterdir()
    )
    assert len(folders) == 4
    assert all(
        re.fullmatch(r"adaproj-(kmeans|knn)_subspace_dim=[24]_size=tiny_.*_[0-9a-f]{8}", name)
        for name in folders
    ), folders


def test_rows_identify_their_cell_and_agree_with_mlflow(swept):
    client = MlflowClient()
    result = board("--dataset", "synthetic")
    assert result["store"] == client.tracking_uri
    cells = result["cells"]
    assert len(cells) == 8  # 4 cells x 2 partitions
    identities = {(c["backend"], c["settings"]["loss.subspace_dim"], c["partition"]) for c in cells}
    assert len(identities) == 8, "every row tells its cell apart"
    assert set(cells[0]["settings"]) == {"loss.subspace_dim"}  # only what differs
    for cell in cells:
        partition = cell["partition"]
        values = trial_values(client, cell["run_id"], f"{partition}/official_score")
        parent = client.get_run(cell["run_id"]).data.metrics
        # Independent: numpy over the trial runs' own metrics.
        assert cell["official_score_mean"] == pytest.approx(np.mean(values))
        assert cell["official_score_std"] == pytest.approx(np.std(values, ddof=1))
        assert parent[f"{partition}/official_score_mean"] == pytest.approx(np.mean(values))
        assert cell["ensemble_official_score"] == pytest.approx(
            parent[f"ensemble/{partition}/official_score"]
        )
        assert cell["trials"] == cell["trials_asked"] == 2 and cell["complete"]
    for partition in ("dev", "eval"):
        scores = [c["official_score_mean"] for c in cells if c["partition"] == partition]
        assert scores == sorted(scores, reverse=True)
    population = board("--std", "population")["cells"][0]
    values = trial_values(client, population["run_id"], f"{population['partition']}/official_score")
    assert population["official_score_pstd"] == pytest.approx(np.std(values, ddof=0))
    assert "population std (ddof 0)" in invoke("leaderboard", "--std", "population").stdout

    text = invoke("leaderboard").stdout
    assert "loss.subspace_dim" in text.splitlines()[0]
    assert "mean ± sample std (ddof 1) over trials" in text
    assert "source-only" in text and "AUC (source)" not in text
    official = invoke("leaderboard", "--columns", "official").stdout
    assert "AUC (source)" in official and "source-only" not in official
    csv_rows = invoke("leaderboard", "--format", "csv").stdout.splitlines()
    assert csv_rows[0].startswith("run_id,dataset,partition,loss,embedder,backend,")
    assert {row.split(",")[0] for row in csv_rows[1:]} == {c["run_id"] for c in cells}


def test_where_filters_cells_and_names_unknown_settings(swept):
    only = board("--where", "loss.subspace_dim=4", "--where", "backend=knn")["cells"]
    assert len(only) == 2 and {c["backend"] for c in only} == {"knn"}
    unknown = CliRunner().invoke(cli, ["leaderboard", "--where", "loss.nope=1"])
    assert unknown.exit_code == 2
    assert "--where loss.nope: no cell has this setting" in unknown.output
    assert "loss.subspace_dim" in unknown.output
    no_value = CliRunner().invoke(cli, ["leaderboard", "--where", "loss.subspace_dim=abc"])
    assert no_value.exit_code == 2
    assert no_value.output.strip().splitlines()[-1] == (  # after the store it read
        "Error: --where loss.subspace_dim=abc: no cell has this value; its values: 2, 4"
    )


def test_an_unfinished_cell_is_listed_with_what_it_has_and_marked(swept):
    """A sweep killed after one of three trials leaves a KILLED parent with one finished
    trial: the leaderboard shows that trial's numbers and marks the row."""
    client = MlflowClient()
    [done] = [c for c in board()["cells"] if c["partition"] == "eval"][:1]
    source = client.get_run(done["run_id"])
    tags = {**source.data.tags, "asdbench.trials": "3"}
    tags = {k: v for k, v in tags.items() if not k.startswith("mlflow.")}
    parent = client.create_run(source.info.experiment_id, tags=tags, run_name="killed cell")
    for key, value in source.data.params.items():
        client.log_param(parent.info.run_id, key, "3" if key == "trials" else value)
    [trial] = client.search_runs(
        [source.info.experiment_id],
        f"tags.mlflow.parentRunId = '{done['run_id']}' and tags.`asdbench.trial` = '0'",
    )
    child = client.create_run(
        source.info.experiment_id,
        tags={**trial.data.tags, "mlflow.parentRunId": parent.info.run_id},
    )
    for key in ("eval/official_score", "dev/official_score"):
        client.log_metric(child.info.run_id, key, trial.data.metrics[key])
    client.set_terminated(child.info.run_id, "FINISHED")
    client.set_terminated(parent.info.run_id, "KILLED")

    [row] = [
        c
        for c in board()["cells"]
        if c["run_id"] == parent.info.run_id and c["partition"] == "eval"
    ]
    assert row["status"] == "KILLED" and not row["complete"]
    assert (row["trials"], row["trials_asked"]) == (1, 3)
    assert row["official_score_mean"] == pytest.approx(trial.data.metrics["eval/official_score"])
    assert row["official_score_std"] is None  # one trial: no sample std
    text = invoke("leaderboard").stdout
    assert "1 of 3, killed *" in text and "* an unfinished cell" in text
    listed = json.loads(invoke("runs", "--format", "json").stdout)
    assert {(r["run_id"], r["status"], r["trials"]) for r in listed} >= {
        (parent.info.run_id, "KILLED", 1)
    }
    shown = invoke("runs", "show", parent.info.run_id).stdout
    assert "[KILLED]" in shown and "trials (1 of 3)" in shown


class OtherSynthetic(SyntheticDataset):
    """The synthetic dataset under a second name and seed: a second dataset for the same
    configuration."""

    name = "synthetic_b"

    def __init__(self, *, size: str = "small", seed: int = 1) -> None:
        super().__init__(size=size, seed=seed)


class OtherSyntheticPlugin:
    @asdbench.hookimpl
    def asdbench_datasets(self):
        yield asdbench.DatasetSpec(name="synthetic_b", factory=OtherSynthetic, summary="b")


def test_a_configuration_on_several_datasets_gets_its_mean_over_them(
    mlflow_tracking, asdbench_cache, register_plugin, quick_run_args
):
    """Each mean over datasets names its configuration in every format, so every number can
    be attributed: read back, each mean row is the mean of the cells it names; the paper's
    layout (``--layout table1``) puts the losses in rows, in the paper's order."""
    import csv
    import io

    register_plugin(OtherSyntheticPlugin(), "other-synthetic")
    invoke(
        "sweep", "--dataset", "synthetic", "--dataset", "synthetic_b", "--loss", "adaproj",
        "--loss", "adacos", "--trials", "1", "--set", "dataset.size=tiny", "--set",
        "train.embedding_dim=16", "--epochs", "1", "--batch-size", "16", "--quiet",
    )  # fmt: skip
    result = board()
    cells = {(c["run_id"], c["partition"]): c for c in result["cells"]}
    means = result["means_over_datasets"]
    assert len(means) == 4  # two losses x two partitions
    for mean in means:
        assert mean["datasets"] == ["synthetic", "synthetic_b"]
        members = [cells[(run_id, mean["partition"])] for run_id in mean["run_ids"]]
        assert [m["dataset"] for m in members] == ["synthetic", "synthetic_b"]
        assert {m["loss"] for m in members} == {mean["loss"]}
        assert {m["partition"] for m in members} == {mean["partition"]}
        assert mean["embedder"] == "dual_branch" and mean["backend"] == "kmeans"
        assert mean["trials"] == {"synthetic": 1, "synthetic_b": 1}
        assert mean["official_score_mean"] == pytest.approx(
            np.mean([m["official_score_mean"] for m in members])
        )
    assert sorted((m["loss"], m["partition"]) for m in means) == [
        ("adacos", "dev"), ("adacos", "eval"), ("adaproj", "dev"), ("adaproj", "eval"),
    ]  # fmt: skip
    official = {(m["loss"], m["partition"]): m["official_score_mean"] for m in means}
    rows = list(csv.DictReader(io.StringIO(invoke("leaderboard", "--format", "csv").stdout)))
    mean_rows = [r for r in rows if r["dataset"].startswith("mean over")]
    assert len(mean_rows) == 4
    for row in mean_rows:
        assert row["embedder"] == "dual_branch" and row["trials"] == "1 / 1"
        assert float(row["official_score_mean"]) == pytest.approx(
            official[(row["loss"], row["partition"])]
        )
        assert set(row["run_id"].split("+")) <= {run_id for run_id, _ in cells}
    for fmt in ("text", "markdown"):
        text = invoke("leaderboard", "--format", fmt).stdout
        block = text.split("rithmetic mean over datasets")[1]
        lines = [line for line in block.splitlines() if "mean over synthetic, synthetic_b" in line]
        assert len(lines) == 4
        for line in lines:
            [loss] = [name for name in ("adaproj", "adacos") if name in line]
            partition = "dev" if " dev " in line else "eval"
            assert f"{official[(loss, partition)]:.2f}" in line  # JSON and text: percent
    table = invoke("leaderboard", "--layout", "table1", "--format", "csv").stdout
    header, *rows = list(csv.reader(io.StringIO(table)))
    assert header[:4] == ["loss", "embedder", "backend", "trials"]
    assert header[4:] == ["synthetic dev", "synthetic eval", "synthetic_b dev",
                          "synthetic_b eval", "mean over datasets dev",
                          "mean over datasets eval"]  # fmt: skip
    assert [row[0] for row in rows] == ["adacos", "adaproj"]  # the paper's order
    by_run = {(c["dataset"], c["partition"], c["loss"]): c for c in cells.values()}
    for row in rows:
        for column, value in zip(header[4:8], row[4:8], strict=True):
            dataset, partition = column.split()
            expected = by_run[(dataset, partition, row[0])]["official_score_mean"]
            assert value == f"{expected:.2f}"
        assert row[8:] == [f"{official[(row[0], p)]:.2f}" for p in ("dev", "eval")]
    markdown = invoke("leaderboard", "--layout", "table1", "--format", "markdown").stdout
    assert markdown.startswith("| loss | embedder | backend | trials | synthetic dev |")
    refused = CliRunner().invoke(cli, ["leaderboard", "--layout", "table1", "--format", "json"])
    assert refused.exit_code == 2 and "--layout table1 prints text, markdown or csv" in (
        refused.output
    )


def test_read_only_commands_name_the_store_and_never_create_one(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    for command in (["leaderboard"], ["runs"], ["ui"], ["plot", "trials", "--vs", "loss.x"]):
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 2, (command, result.output)
        assert f"no MLflow store at {tmp_path / 'mlflow.db'}" in result.output
    assert not (tmp_path / "mlflow.db").exists()


def test_empty_leaderboard_and_unknown_experiment(mlflow_tracking):
    result = CliRunner().invoke(cli, ["leaderboard"])
    assert result.exit_code == 0 and "No benchmark cells in sqlite:///" in result.output
    assert f"MLflow store: {mlflow_tracking}" in result.output
    missing = CliRunner().invoke(cli, ["leaderboard", "--experiment", "nope"])
    assert missing.exit_code == 2 and "no MLflow experiment 'nope'" in missing.output
