"""``asdbench sync`` sends only what a journal keeps in its own folder: a journal that names a
file elsewhere (an absolute path, ``..``, a link leading out) or a run key asdbench never writes
is refused whole, with one line and exit status 2, before anything reaches the store."""

import pytest
from click.testing import CliRunner
from mlflow.tracking import MlflowClient

from asdbench.cli import cli
from asdbench.tracking.journal import Journal, offline_key


def journal_with(folder, artifact_file, *, key=None):
    """A real journal (as a run writes it) with one run and one artifact entry."""
    journal = Journal(folder, "asdbench-synthetic", "sqlite:///elsewhere.db")
    run = key or offline_key()
    journal.write(
        {"op": "start", "run": run, "parent": None, "name": "cell", "tags": {}, "params": {},
         "time": 1}
    )  # fmt: skip
    journal.write({"op": "artifact", "run": run, "file": artifact_file, "artifact_path": None})
    journal.write({"op": "end", "run": run, "status": "FINISHED", "time": 2})
    return folder


def runs_in_store():
    client = MlflowClient()
    return client.search_runs([e.experiment_id for e in client.search_experiments()])


def test_a_journal_file_inside_its_folder_is_uploaded(mlflow_tracking, tmp_path):
    folder = tmp_path / "journal"
    kept = folder / "artifacts" / "000001" / "results.csv"
    kept.parent.mkdir(parents=True)
    kept.write_text("partition,machine\n")
    journal_with(folder, "artifacts/000001/results.csv")
    result = CliRunner().invoke(cli, ["sync", str(folder)])
    assert result.exit_code == 0, result.output
    [run] = runs_in_store()
    assert [a.path for a in MlflowClient().list_artifacts(run.info.run_id)] == ["results.csv"]


@pytest.mark.parametrize("how", ["absolute", "parent", "link", "link-in-folder"])
def test_a_file_outside_the_journal_folder_is_refused(mlflow_tracking, tmp_path, how):
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the tracking server")
    folder = tmp_path / "journal"
    folder.mkdir()
    if how == "absolute":
        name = str(secret)
    elif how == "parent":
        name = "../secret.txt"
    elif how == "link":
        (folder / "innocent.txt").symlink_to(secret)
        name = "innocent.txt"
    else:
        (folder / "kept").mkdir()
        (folder / "kept" / "fine.txt").write_text("fine")
        (folder / "kept" / "leak.txt").symlink_to(secret)
        name = "kept"
    journal_with(folder, name)
    result = CliRunner().invoke(cli, ["sync", str(folder)])
    assert result.exit_code == 2
    assert "is not inside the journal folder" in result.output
    assert "refused (nothing uploaded)" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert runs_in_store() == []


@pytest.mark.parametrize("key", ["offline-0123' or '1'='1", "x" * 32, "../../etc"])
def test_a_run_key_asdbench_never_writes_is_refused(mlflow_tracking, tmp_path, key):
    folder = tmp_path / "journal"
    (folder / "a.txt").parent.mkdir(parents=True)
    (folder / "a.txt").write_text("a")
    journal_with(folder, "a.txt", key=key)
    result = CliRunner().invoke(cli, ["sync", str(folder)])
    assert result.exit_code == 2
    assert "is not a run id; refused (nothing uploaded)" in result.output
    assert runs_in_store() == []


def test_without_a_tracking_uri_the_journal_goes_where_its_run_was_logging(
    _mlflow_template, tmp_path, monkeypatch
):
    import shutil

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    recorded = tmp_path / "server" / "runs.db"
    recorded.parent.mkdir()
    shutil.copy(_mlflow_template, recorded)
    folder = tmp_path / "journal"
    (folder / "a.txt").parent.mkdir(parents=True)
    (folder / "a.txt").write_text("a")
    journal = Journal(folder, "asdbench-synthetic", f"sqlite:///{recorded}")
    run = offline_key()
    journal.write(
        {"op": "start", "run": run, "parent": None, "name": "cell", "tags": {}, "params": {},
         "time": 1}
    )  # fmt: skip
    journal.write({"op": "end", "run": run, "status": "FINISHED", "time": 2})
    result = CliRunner().invoke(cli, ["sync", str(folder)])
    assert result.exit_code == 0, result.output
    assert f"to sqlite:///{recorded}" in result.output
    client = MlflowClient(tracking_uri=f"sqlite:///{recorded}")
    assert (
        len(client.search_runs([client.get_experiment_by_name("asdbench-synthetic").experiment_id]))
        == 1
    )
    assert not (tmp_path / "mlflow.db").exists()  # nothing created where the command ran

    recorded.unlink()
    missing = Journal(tmp_path / "third", "asdbench-synthetic", f"sqlite:///{recorded}")
    missing.write({"op": "end", "run": offline_key(), "status": "FINISHED", "time": 2})
    result = CliRunner().invoke(cli, ["sync", str(tmp_path / "third")])
    assert result.exit_code == 2 and f"no MLflow store at {recorded}" in result.output
    assert not recorded.exists() and not (tmp_path / "mlflow.db").exists()


def good_journal(folder):
    """A journal whose entries are all well formed: a run with a metric and an artifact."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a.txt").write_text("a")
    journal = Journal(folder, "asdbench-synthetic", "sqlite:///elsewhere.db")
    run = offline_key()
    journal.write(
        {"op": "start", "run": run, "parent": None, "name": "cell", "tags": {"t": "1"},
         "params": {"loss.name": "adaproj"}, "time": 1}
    )  # fmt: skip
    journal.write({"op": "metrics", "run": run, "entries": [["dev/auc", 0.5, 1, 0]]})
    journal.write({"op": "artifact", "run": run, "file": "a.txt", "artifact_path": "tables"})
    return journal, run


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"entries": [["dev/auc", 0.5, 1, 0]]}, "None is not an entry the tracker writes"),
        ({"op": "metrics", "entries": [["dev/auc", "high", 1, 0]]}, "not a list of [name, number"),
        ({"op": "metrics", "entries": [["dev/auc", 0.5, "now", 0]]}, "not a list of [name, number"),
        ({"op": "start", "name": "x", "tags": {}, "params": None, "time": 1}, "its params are not"),
        ({"op": "artifact", "file": "a.txt", "artifact_path": "../../.."}, "the artifact path"),
        ({"op": "artifact", "file": "gone.txt", "artifact_path": None}, "is missing from"),
        ({"op": "end", "status": "DONE", "time": 2}, "an end entry needs a status"),
        ({"op": "end", "status": "FINISHED", "time": "2"}, "an end entry needs a status"),
    ],
)
def test_a_malformed_entry_anywhere_is_refused_before_any_upload(
    mlflow_tracking, tmp_path, entry, message
):
    """The journal is checked whole first: a bad last entry after good ones is exit 2, one
    line naming the line, and the store stays empty (no RUNNING cell left)."""
    journal, run = good_journal(tmp_path / "journal")
    journal.write({"run": run, **entry})
    result = CliRunner().invoke(cli, ["sync", str(tmp_path / "journal")])
    assert result.exit_code == 2, result.output
    assert message in result.output and "journal.jsonl:5:" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert runs_in_store() == []


def test_a_last_line_cut_by_a_kill_is_left_out_and_said(mlflow_tracking, tmp_path):
    journal, run = good_journal(tmp_path / "journal")
    journal.write({"op": "end", "run": run, "status": "FINISHED", "time": 2})
    with (tmp_path / "journal" / "journal.jsonl").open("a") as handle:
        handle.write('{"op": "metrics", "run": "' + run + '", "entr')
    result = CliRunner().invoke(cli, ["sync", str(tmp_path / "journal")])
    assert result.exit_code == 0, result.output
    assert "its last line was cut off (the run was killed while writing it) and is left out" in (
        result.output
    )
    [uploaded] = runs_in_store()
    assert uploaded.data.metrics == {"dev/auc": 0.5}
    assert uploaded.info.status == "FINISHED"
    assert [a.path for a in MlflowClient().list_artifacts(uploaded.info.run_id)] == ["tables"]
