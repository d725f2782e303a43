"""The BEATs embedders through ``asdbench``: a frozen run and a LoRA run of one epoch on the
synthetic data with the small random checkpoint, a sweep of both beside the floor on one
leaderboard, the presets, ``asdbench models``, and a wrong checkpoint refused before any
work."""

import hashlib
import json
from pathlib import Path

import mlflow
import pytest
import torch
from asdbench_pretrained.published import KNOWN
from click.testing import CliRunner

from asdbench.cli import cli

TINY = Path(__file__).parent / "data" / "beats_tiny.pt"
DATA = ["--set", "dataset.size=tiny", "--quiet"]
FROZEN = [
    "--embedder",
    "beats",
    "--set",
    f"embedder.checkpoint={TINY}",
    "--set",
    "train.embedding_dim=48",
]
LORA = [
    "--embedder",
    "beats_lora",
    "--set",
    f"embedder.checkpoint={TINY}",
    "--set",
    "embedder.lora_rank=4",
    "--epochs",
    "1",
    "--batch-size",
    "16",
]


def runs() -> list:
    return mlflow.search_runs(search_all_experiments=True, output_format="list")


@pytest.mark.slow
def test_frozen_and_lora_runs_record_the_checkpoint_and_store_no_encoder(
    tmp_path, mlflow_tracking, asdbench_cache
):
    digest = hashlib.sha256(TINY.read_bytes()).hexdigest()
    for name, args in (("frozen", FROZEN), ("lora", LORA)):
        result = CliRunner().invoke(cli, ["run", *args, *DATA, "--output", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        assert "eval official score (dcase2023 rule):" in result.output
    logged = runs()
    assert {r.data.params["embedder.name"] for r in logged} == {"beats", "beats_lora"}
    assert {r.data.params["embedder.checkpoint_sha256"] for r in logged} == {digest}
    stored = list((asdbench_cache / "trials").glob("*/weights.pt"))
    assert len(stored) == 2
    for path in stored:  # no fixed encoder weights in a trial's store
        embedder = torch.load(path, weights_only=True)["embedder"]
        assert all("lora_" in key or key.startswith("head.") for key in embedder)


@pytest.mark.slow
def test_another_file_under_the_same_path_is_another_cell(
    tmp_path, mlflow_tracking, asdbench_cache
):
    """The trial cache is keyed by the checkpoint's digest, not its path."""
    copy = tmp_path / "model.pt"
    copy.write_bytes(TINY.read_bytes())
    args = ["run", *FROZEN, *DATA, "--set", f"embedder.checkpoint={copy}"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    changed = torch.load(TINY, weights_only=True)
    changed["model"]["encoder.layer_norm.bias"] += 1.0
    torch.save(changed, copy)
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0, again.output
    cells = {
        r.data.tags["asdbench.cell"]
        for r in runs()
        if r.data.tags.get("asdbench.run_type") == "cell"
    }
    assert len(cells) == 2
    assert len(list((asdbench_cache / "trials").iterdir())) == 2


@pytest.mark.slow
def test_a_sweep_puts_both_beside_the_floor_on_one_leaderboard(mlflow_tracking, asdbench_cache):
    sweep = [
        "sweep",
        "--embedder",
        "logmel_stats",
        "--embedder",
        "beats",
        "--embedder",
        "beats_lora",
        "--set",
        f"embedder.checkpoint={TINY}",
        "--set",
        "dataset.size=tiny",
    ]
    # one sweep cannot give the floor and BEATs their own embedding sizes: two sweeps
    first = CliRunner().invoke(cli, [*sweep[:3], *DATA[:2], "--quiet"])
    assert first.exit_code == 0, first.output
    second = CliRunner().invoke(
        cli,
        [
            "sweep",
            "--embedder",
            "beats",
            "--set",
            f"embedder.checkpoint={TINY}",
            "--set",
            "train.embedding_dim=48",
            *DATA[:2],
            "--quiet",
        ],
    )
    assert second.exit_code == 0, second.output
    board = json.loads(CliRunner().invoke(cli, ["leaderboard", "--format", "json"]).stdout)
    assert {c["embedder"] for c in board["cells"]} == {"logmel_stats", "beats"}


def published_width_checkpoint(path: Path) -> Path:
    """One random layer as wide as the published checkpoints (768), the rest small."""
    import dataclasses

    from asdbench_pretrained.beats import Beats, BeatsConfig

    config = BeatsConfig(
        embed_dim=32,
        encoder_layers=1,
        encoder_ffn_embed_dim=64,
        conv_pos=16,
        num_buckets=32,
        max_distance=64,
    )
    torch.manual_seed(0)
    torch.save({"cfg": dataclasses.asdict(config), "model": Beats(config).state_dict()}, path)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["beats-frozen-knn", "beats-lora-adaproj"])
def test_each_preset_runs_in_one_command(preset, tmp_path, mlflow_tracking, asdbench_cache):
    """Each preset as a user runs it, with a checkpoint of the published width (one epoch)."""
    checkpoint = published_width_checkpoint(tmp_path / "beats.pt")
    shorter = ["--epochs", "1", "--set", "embedder.lora_rank=4"] if "lora" in preset else []
    args = [
        "run",
        "--preset",
        preset,
        "--set",
        f"embedder.checkpoint={checkpoint}",
        *shorter,
        *DATA,
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    [cell] = [r for r in runs() if r.data.tags.get("asdbench.run_type") == "cell"]
    assert cell.data.tags["asdbench.preset"].startswith(f"{preset}@1")


@pytest.mark.parametrize(
    ("contents", "message"),
    [
        (None, "no such file"),
        (b"not a checkpoint", "not a readable checkpoint"),
        ({"model": {"w": torch.zeros(2)}}, "is not a BEATs checkpoint"),
        ("wider", "has shape"),
    ],
)
def test_a_wrong_checkpoint_is_one_line_before_any_work(
    contents, message, tmp_path, mlflow_tracking, asdbench_cache, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "given.pt"
    if isinstance(contents, bytes):
        path.write_bytes(contents)
    elif contents == "wider":
        checkpoint = torch.load(TINY, weights_only=True)
        checkpoint["cfg"]["encoder_ffn_embed_dim"] = 80
        torch.save(checkpoint, path)
    elif contents is not None:
        torch.save(contents, path)
    result = CliRunner().invoke(
        cli, ["run", "--embedder", "beats", "--set", f"embedder.checkpoint={path}"]
    )
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert line.startswith("Error: embedder 'beats'") and message in line and str(path) in line
    assert runs() == [] and not (tmp_path / "asdbench-output").exists()
    assert not any(asdbench_cache.rglob("*.npy"))


def test_models_lists_each_published_checkpoint():
    text = CliRunner().invoke(cli, ["models"])
    assert text.exit_code == 0
    for known in KNOWN:
        assert (
            known.name in text.output and known.url in text.output and known.licence in text.output
        )
    listed = json.loads(CliRunner().invoke(cli, ["models", "--format", "json"]).output)
    assert [k["name"] for k in listed] == [k.name for k in KNOWN]
    assert all(k["size_mb"] > 0 and k["architecture"] == "beats" for k in listed)
