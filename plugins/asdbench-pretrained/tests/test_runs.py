"""The pretrained embedders through ``asdbench``: frozen and LoRA runs (one epoch) of BEATs and
EAT on the synthetic data with the small random checkpoints, a sweep beside the floor on one
leaderboard, the presets, ``asdbench models``, and a wrong checkpoint refused before any
work."""

import dataclasses
import hashlib
import json
from pathlib import Path

import mlflow
import pytest
import torch
from asdbench_pretrained.published import KNOWN
from click.testing import CliRunner

from asdbench.cli import cli

DATA_DIR = Path(__file__).parent / "data"
CHECKPOINTS = {"beats": DATA_DIR / "beats_tiny.pt", "eat": DATA_DIR / "eat_tiny"}
WEIGHTS = {"beats": DATA_DIR / "beats_tiny.pt", "eat": DATA_DIR / "eat_tiny" / "model.safetensors"}
DATA = ["--set", "dataset.size=tiny", "--quiet"]
ONE_EPOCH = ["--epochs", "1", "--batch-size", "16", "--set", "embedder.lora_rank=4"]


def frozen(encoder: str) -> list[str]:
    checkpoint = f"embedder.checkpoint={CHECKPOINTS[encoder]}"
    return ["--embedder", encoder, "--set", checkpoint, "--set", "train.embedding_dim=48"]


def lora(encoder: str) -> list[str]:
    checkpoint = f"embedder.checkpoint={CHECKPOINTS[encoder]}"
    return ["--embedder", f"{encoder}_lora", "--set", checkpoint, *ONE_EPOCH]


def invoke(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result


def runs() -> list:
    return mlflow.search_runs(search_all_experiments=True, output_format="list")


def cell_runs() -> list:
    return [r for r in runs() if r.data.tags.get("asdbench.run_type") == "cell"]


@pytest.mark.slow
@pytest.mark.parametrize("encoder", ["beats", "eat"])
def test_frozen_and_lora_runs_record_the_checkpoint_and_store_no_encoder(
    encoder, tmp_path, mlflow_tracking, asdbench_cache
):
    digest = hashlib.sha256(WEIGHTS[encoder].read_bytes()).hexdigest()
    for name, args in (("frozen", frozen(encoder)), ("lora", lora(encoder))):
        result = invoke("run", *args, *DATA, "--output", str(tmp_path / name))
        assert "eval official score (dcase2023 rule):" in result.output
    logged = runs()
    assert {r.data.params["embedder.name"] for r in logged} == {encoder, f"{encoder}_lora"}
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
    """The trial cache and the cell are keyed by the checkpoint's digest, not its path."""
    copy = tmp_path / "model.pt"
    copy.write_bytes(CHECKPOINTS["beats"].read_bytes())
    args = ["run", *frozen("beats"), *DATA, "--set", f"embedder.checkpoint={copy}"]
    invoke(*args)
    changed = torch.load(copy, weights_only=True)
    changed["model"]["encoder.layer_norm.bias"] += 1.0
    torch.save(changed, copy)
    invoke(*args)
    assert len({r.data.tags["asdbench.cell"] for r in cell_runs()}) == 2
    assert len(list((asdbench_cache / "trials").iterdir())) == 2


@pytest.mark.slow
def test_sweeps_put_the_encoders_beside_the_floor_on_one_leaderboard(
    mlflow_tracking, asdbench_cache
):
    invoke("sweep", "--embedder", "logmel_stats", "--set", "train.embedding_dim=48", *DATA)
    for encoder in ("beats", "eat"):
        invoke("sweep", *frozen(encoder), *DATA)
        invoke("sweep", *lora(encoder), "--loss", "adaproj", *DATA)
    board = json.loads(invoke("leaderboard", "--format", "json").stdout)
    embedders = {"logmel_stats", "beats", "eat", "beats_lora", "eat_lora"}
    assert {c["embedder"] for c in board["cells"]} == embedders
    assert {c["partition"] for c in board["cells"]} >= {"dev", "eval"}


def published_width_checkpoint(encoder: str, folder: Path) -> Path:
    """One random layer as wide as the published checkpoints (768), the rest small, in the
    published format."""
    torch.manual_seed(0)
    if encoder == "beats":
        from asdbench_pretrained.beats import Beats, BeatsConfig

        config = BeatsConfig(
            embed_dim=32,
            encoder_layers=1,
            encoder_ffn_embed_dim=64,
            conv_pos=16,
            num_buckets=32,
            max_distance=64,
        )
        state = {"cfg": dataclasses.asdict(config), "model": Beats(config).state_dict()}
        torch.save(state, folder / "beats.pt")
        return folder / "beats.pt"
    from asdbench_pretrained.eat import Eat, EatConfig
    from safetensors.torch import save_file

    config = EatConfig(depth=1, mlp_ratio=0.25, max_length=64)
    weights = {f"model.{k}": v.contiguous() for k, v in Eat(config).state_dict().items()}
    save_file(weights, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps(dataclasses.asdict(config)))
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["beats-frozen-knn", "beats-lora-adaproj", "eat-frozen-knn"])
def test_each_preset_runs_in_one_command(preset, tmp_path, mlflow_tracking, asdbench_cache):
    """Each preset as a user runs it, with a checkpoint of the published width (one epoch)."""
    checkpoint = published_width_checkpoint(preset.partition("-")[0], tmp_path)
    shorter = ONE_EPOCH if "lora" in preset else []
    invoke("run", "--preset", preset, "--set", f"embedder.checkpoint={checkpoint}", *shorter, *DATA)
    [cell] = cell_runs()
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
        checkpoint = torch.load(CHECKPOINTS["beats"], weights_only=True)
        checkpoint["cfg"]["encoder_ffn_embed_dim"] = 80
        torch.save(checkpoint, path)
    elif contents is not None:
        torch.save(contents, path)
    args = ["run", "--embedder", "beats", "--set", f"embedder.checkpoint={path}"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert line.startswith("Error: embedder 'beats'") and message in line and str(path) in line
    assert runs() == [] and not (tmp_path / "asdbench-output").exists()
    assert not any(asdbench_cache.rglob("*.npy"))


def test_a_preset_without_its_checkpoint_says_how_to_give_it(mlflow_tracking):
    result = CliRunner().invoke(cli, ["run", "--preset", "eat-frozen-knn"])
    assert result.exit_code == 2
    assert "needs a checkpoint file: --set embedder.checkpoint=PATH" in result.output


def test_models_lists_each_published_checkpoint():
    text = invoke("models").output
    for known in KNOWN:
        assert known.name in text and known.url in text and known.licence in text
    listed = json.loads(invoke("models", "--format", "json").output)
    assert [k["name"] for k in listed] == [k.name for k in KNOWN]
    assert {k["embedder"] for k in listed} == {"beats", "eat"}
    assert all(k["size_mb"] == round(k["parameters_m"] * 4e6 / 2**20) for k in listed)
