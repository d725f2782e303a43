"""Every test of every conformance kit can fail: a good component passes the whole kit, and for
each kit test a component that breaks that test's promise in one way (planted here) fails it.
A kit test that a broken component passes protects no plugin author."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from asdbench.data.clips import ClipTable
from asdbench.data.datasets import DcaseLayoutDataset
from asdbench.testing import (
    BackendConformanceTests,
    DatasetConformanceTests,
    EmbedderConformanceTests,
    EnsembleConformanceTests,
    LossConformanceTests,
    write_clips,
)

# -- losses: a cosine softmax with trainable centres and an adaptive scale buffer ----------


class GoodLoss(nn.Module):
    def __init__(
        self,
        *,
        num_classes: int,
        embedding_dim: int,
        margin: Annotated[float, "subtracted from the target logit"] = 0.1,
    ) -> None:
        super().__init__()
        if margin < 0:
            raise ValueError("margin must be at least 0")
        self.centres = nn.Parameter(torch.randn(num_classes, embedding_dim))
        self.register_buffer("scale", torch.tensor(4.0))
        self.margin = margin

    def logits(self, embeddings: torch.Tensor) -> torch.Tensor:
        return F.normalize(embeddings, dim=1) @ F.normalize(self.centres, dim=1).T

    def forward(self, embeddings: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        cosine = self.logits(embeddings) - self.margin * targets
        if self.training:
            with torch.no_grad():
                self.scale.copy_(0.9 * self.scale + 0.1 * cosine.abs().mean())
        log_probs = F.log_softmax((self.scale + 4.0) * cosine, dim=1)
        return -(targets * log_probs).sum(dim=1).mean()


class PositionalLoss(GoodLoss):
    def __init__(self, num_classes: int = 6, embedding_dim: int = 16, **options: Any) -> None:
        super().__init__(num_classes=num_classes, embedding_dim=embedding_dim, **options)


class SwallowsOptions(GoodLoss):
    def __init__(self, *, num_classes: int, embedding_dim: int, **unused: Any) -> None:
        super().__init__(num_classes=num_classes, embedding_dim=embedding_dim)


class PerClipLoss(GoodLoss):
    def forward(self, embeddings, targets):
        return -(targets * F.log_softmax(8 * self.logits(embeddings), dim=1)).sum(dim=1)


class DetachedEmbeddings(GoodLoss):
    def forward(self, embeddings, targets):
        return super().forward(embeddings.detach(), targets)


class DeadParameter(GoodLoss):
    def __init__(self, **sizes: Any) -> None:
        super().__init__(**sizes)
        self.unused = nn.Parameter(torch.zeros(3))


class UnseededLoss(GoodLoss):
    def __init__(self, **sizes: Any) -> None:
        super().__init__(**sizes)
        with torch.no_grad():
            self.centres.add_(random.random())


class ClassMeans(GoodLoss):
    """Divides by each class's weight in the batch: NaN for a class the batch lacks."""

    def forward(self, embeddings, targets):
        means = (targets.T @ embeddings) / targets.sum(dim=0, keepdim=True).T
        return super().forward(embeddings, targets) + means.sum() * 0


class BatchStandardised(GoodLoss):
    def forward(self, embeddings, targets):
        return super().forward((embeddings - embeddings.mean(0)) / embeddings.std(0), targets)


class Float32Centres(GoodLoss):
    """Keeps a fixed copy of its centres as a plain attribute, which ``.to()`` does not move."""

    def __init__(self, **sizes: Any) -> None:
        super().__init__(**sizes)
        self.fixed = torch.randn(sizes["num_classes"], sizes["embedding_dim"])

    def forward(self, embeddings, targets):
        return super().forward(embeddings, targets) + (embeddings @ self.fixed.T).sum() * 0


class ScaleOutsideState(GoodLoss):
    def __init__(self, **sizes: Any) -> None:
        super().__init__(**sizes)
        self.plain_scale = 4.0

    def forward(self, embeddings, targets):
        if self.training:
            self.plain_scale += 1.0
        log_probs = F.log_softmax(self.plain_scale * self.logits(embeddings), dim=1)
        return -(targets * log_probs).sum(dim=1).mean()


class UpdatesInEval(GoodLoss):
    def forward(self, embeddings, targets):
        self.scale.add_(1.0)
        return super().forward(embeddings, targets)


class NormalisesInPlace(GoodLoss):
    def forward(self, embeddings, targets):
        embeddings.div_(embeddings.norm(dim=1, keepdim=True))
        return super().forward(embeddings, targets)


class IgnoresMargin(GoodLoss):
    def __init__(self, *, num_classes: int, embedding_dim: int, margin: float = 0.1) -> None:
        super().__init__(num_classes=num_classes, embedding_dim=embedding_dim)


class AcceptsNegativeMargin(GoodLoss):
    def __init__(self, *, num_classes: int, embedding_dim: int, margin: float = 0.1) -> None:
        super().__init__(num_classes=num_classes, embedding_dim=embedding_dim, margin=abs(margin))
        self.margin = margin


class LossVersion(GoodLoss):
    numerics_version = 2  # type: ignore[assignment]


LOSS_KIT = {"option_variants": {"margin": 0.3}, "invalid_options": {"margin": -1.0}}
LOSSES = {
    "test_constructor_is_keyword_only": PositionalLoss,
    "test_unknown_option_is_rejected": SwallowsOptions,
    "test_returns_finite_scalar": PerClipLoss,
    "test_gradients_reach_embeddings": DetachedEmbeddings,
    "test_trainable_parameters_get_gradients": DeadParameter,
    "test_deterministic_under_seed": UnseededLoss,
    "test_soft_targets_and_missing_classes": ClassMeans,
    "test_batch_of_one": BatchStandardised,
    "test_float64": Float32Centres,
    "test_state_dict_round_trip": ScaleOutsideState,
    "test_eval_mode_does_not_change_state": UpdatesInEval,
    "test_inputs_are_not_modified": NormalisesInPlace,
    "test_every_option_is_covered": GoodLoss,  # with option_variants left out below
    "test_option_variants_change_behaviour": IgnoresMargin,
    "test_invalid_options_are_rejected": AcceptsNegativeMargin,
    "test_numerics_version_is_text": LossVersion,
}

# -- back ends: the nearest of each domain's normalised mean -------------------------------


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


class GoodBackend:
    numerics_version = "1"

    def __init__(self, *, shrink: Annotated[float, "pull each mean to the origin"] = 0.0) -> None:
        if not 0 <= shrink < 1:
            raise ValueError("shrink must be in [0, 1)")
        self.shrink = shrink
        self.means: np.ndarray | None = None

    def fit(self, embeddings, domains):
        x = unit(np.asarray(embeddings, dtype=np.float64))
        groups = [np.asarray(domains) == d for d in np.unique(domains)]
        self.means = np.stack([(1 - self.shrink) * x[g].mean(axis=0) for g in groups])
        return self

    def score(self, embeddings):
        if self.means is None:
            raise RuntimeError("fit first")
        x = unit(np.asarray(embeddings, dtype=np.float64))
        return (np.linalg.norm(x[:, None] - self.means[None], axis=2)).min(axis=1)


class SwallowsBackendOptions(GoodBackend):
    def __init__(self, **unused: Any) -> None:
        super().__init__()


class ColumnScores(GoodBackend):
    def score(self, embeddings):
        return super().score(embeddings)[:, None]


class SimilarityScores(GoodBackend):
    def score(self, embeddings):
        return -super().score(embeddings)


class ScoresUnfitted(GoodBackend):
    def score(self, embeddings):
        return np.zeros(len(embeddings)) if self.means is None else super().score(embeddings)


class Jitters(GoodBackend):
    def score(self, embeddings):
        return super().score(embeddings) + 1e-9 * np.random.default_rng().random(len(embeddings))


class NormalisesCallersArray(GoodBackend):
    def fit(self, embeddings, domains):
        embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True) * 2
        return super().fit(embeddings, domains)


class NeedsTargetClips(GoodBackend):
    def fit(self, embeddings, domains):
        super().fit(embeddings, domains)
        target = np.asarray(embeddings)[np.asarray(domains) == "target"]
        self.means = np.vstack([self.means, target.mean(axis=0)])
        return self


class IgnoresShrink(GoodBackend):
    def __init__(self, *, shrink: float = 0.0) -> None:
        super().__init__()


class AcceptsAnyShrink(GoodBackend):
    def __init__(self, *, shrink: float = 0.0) -> None:
        super().__init__(shrink=min(abs(shrink), 0.5))


class NumericVersion(GoodBackend):
    numerics_version = 2  # type: ignore[assignment]


BACKEND_KIT = {"option_variants": {"shrink": 0.5}, "invalid_options": {"shrink": 1.0}}


class FitReturnsNothing(GoodBackend):
    def fit(self, embeddings, domains):
        super().fit(embeddings, domains)


BACKENDS = {
    "test_fit_returns_the_back_end": FitReturnsNothing,
    "test_unknown_option_is_rejected": SwallowsBackendOptions,
    "test_invalid_options_are_rejected": AcceptsAnyShrink,
    "test_every_option_is_covered": GoodBackend,
    "test_option_variants_change_behaviour": IgnoresShrink,
    "test_numerics_version_is_text": NumericVersion,
    "test_scores_are_one_finite_float_per_clip": ColumnScores,
    "test_clips_unlike_the_training_ones_score_higher": SimilarityScores,
    "test_scoring_before_fitting_fails": ScoresUnfitted,
    "test_deterministic": Jitters,
    "test_inputs_are_not_modified": NormalisesCallersArray,
    "test_a_section_with_one_domain_only": NeedsTargetClips,
}

# -- ensembles: each trial's scores standardised within each section, then averaged -------


class GoodEnsemble:
    def __init__(self, *, spread: Annotated[float, "the std each trial is scaled to"] = 1.0):
        if spread <= 0:
            raise ValueError("spread must be positive")
        self.spread = spread

    def combine(self, per_trial, sections, train):
        out = np.zeros(len(sections))
        for section in np.unique(sections):
            mask = sections == section
            for scores in per_trial:
                s = np.asarray(scores)[mask]
                out[mask] += self.spread * (s - s.mean()) / s.std() / len(per_trial)
        return out


class StackedTrials(GoodEnsemble):
    def combine(self, per_trial, sections, train):
        return np.stack(per_trial)


class StandardisedOverAll(GoodEnsemble):
    def combine(self, per_trial, sections, train):
        return sum((s - s.mean()) / s.std() for s in map(np.asarray, per_trial))


class FirstTrialCounts(GoodEnsemble):
    def combine(self, per_trial, sections, train):
        weights = np.arange(len(per_trial), 0, -1)
        return sum(w * np.asarray(s) for w, s in zip(weights, per_trial, strict=True))


class CentresInPlace(GoodEnsemble):
    def combine(self, per_trial, sections, train):
        for scores in per_trial:
            scores -= scores.mean()
        return super().combine(per_trial, sections, train)


class SpreadOverTrials(GoodEnsemble):
    def combine(self, per_trial, sections, train):
        stacked = np.stack(per_trial)
        return stacked.mean(axis=0) / stacked.std(axis=0, ddof=1)


class IgnoresSpread(GoodEnsemble):
    def __init__(self, *, spread: float = 1.0) -> None:
        super().__init__()


class SwallowsEnsembleOptions(GoodEnsemble):
    def __init__(self, **unused: Any) -> None:
        super().__init__()


class AcceptsAnySpread(GoodEnsemble):
    def __init__(self, *, spread: float = 1.0) -> None:
        super().__init__(spread=abs(spread) or 1.0)


class EnsembleVersion(GoodEnsemble):
    numerics_version = 2


ENSEMBLE_KIT = {"option_variants": {"spread": 2.0}, "invalid_options": {"spread": 0.0}}
ENSEMBLES = {
    "test_unknown_option_is_rejected": SwallowsEnsembleOptions,
    "test_invalid_options_are_rejected": AcceptsAnySpread,
    "test_every_option_is_covered": GoodEnsemble,
    "test_numerics_version_is_text": EnsembleVersion,
    "test_option_variants_change_behaviour": IgnoresSpread,
    "test_one_finite_score_per_clip": StackedTrials,
    "test_a_section_depends_only_on_its_own_scores": StandardisedOverAll,
    "test_the_order_of_the_trials_does_not_matter": FirstTrialCounts,
    "test_inputs_are_not_modified": CentresInPlace,
    "test_one_trial": SpreadOverTrials,
}

# -- embedders: a framed linear layer with batch norm, pooled over time --------------------


class GoodEmbedder(nn.Module):
    accepts_channels = (1, 2)

    def __init__(
        self,
        *,
        sample_rate: int,
        clip_samples: int,
        embedding_dim: int,
        channels: int = 1,
        frame: Annotated[int, "samples per frame"] = 400,
    ) -> None:
        super().__init__()
        if frame < 2:
            raise ValueError("frame must be at least 2")
        self.frame = frame
        self.layer = nn.Linear(channels * frame, embedding_dim)
        self.norm = nn.BatchNorm1d(embedding_dim)

    def frames(self, waveforms: torch.Tensor) -> torch.Tensor:
        waves = waveforms if waveforms.dim() == 3 else waveforms[:, None]
        count = waves.shape[-1] // self.frame
        framed = waves[..., : count * self.frame].reshape(*waves.shape[:2], count, self.frame)
        return framed.transpose(1, 2).flatten(2)  # [B, frames, channels * frame]

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        return self.norm(self.layer(self.frames(waveforms)).mean(dim=1))


class ChannelsWithoutArgument(GoodEmbedder):
    def __init__(self, *, sample_rate: int, clip_samples: int, embedding_dim: int) -> None:
        super().__init__(sample_rate=sample_rate, clip_samples=clip_samples,
                         embedding_dim=embedding_dim)  # fmt: skip


class DeafToTheSecondChannel(GoodEmbedder):
    def forward(self, waveforms):
        if waveforms.dim() == 3:
            waveforms = torch.stack([waveforms[:, 0], waveforms[:, 0]], dim=1)
        return super().forward(waveforms)


class PositionalEmbedder(GoodEmbedder):
    def __init__(self, sample_rate: int, clip_samples: int, embedding_dim: int, **rest: Any):
        super().__init__(sample_rate=sample_rate, clip_samples=clip_samples,
                         embedding_dim=embedding_dim, **rest)  # fmt: skip


class OneTooWide(GoodEmbedder):
    def forward(self, waveforms):
        out = super().forward(waveforms)
        return torch.cat([out, out[:, :1]], dim=1)


class CentresOnTheBatch(GoodEmbedder):
    def forward(self, waveforms):
        out = super().forward(waveforms)
        return out - out.mean(dim=0)


class DeadWeight(GoodEmbedder):
    def __init__(self, **sizes: Any) -> None:
        super().__init__(**sizes)
        self.unused = nn.Linear(2, 2)


class UnseededEmbedder(GoodEmbedder):
    def __init__(self, **sizes: Any) -> None:
        super().__init__(**sizes)
        with torch.no_grad():
            self.layer.bias.add_(random.random())


class GainOutsideState(GoodEmbedder):
    def __init__(self, **sizes: Any) -> None:
        super().__init__(**sizes)
        self.gain = 1.0

    def forward(self, waveforms):
        if self.training:
            self.gain += 1.0
        return self.gain * super().forward(waveforms)


class IgnoresFrame(GoodEmbedder):
    def __init__(self, *, frame: int = 400, **sizes: Any) -> None:
        super().__init__(**sizes)


class AcceptsAnyFrame(GoodEmbedder):
    def __init__(self, *, frame: int = 400, **sizes: Any) -> None:
        super().__init__(frame=max(frame, 2), **sizes)


class SwallowsEmbedderOptions(GoodEmbedder):
    def __init__(self, *, sample_rate: int, clip_samples: int, embedding_dim: int,
                 channels: int = 1, frame: int = 400, **unused: Any) -> None:  # fmt: skip
        super().__init__(sample_rate=sample_rate, clip_samples=clip_samples,
                         embedding_dim=embedding_dim, channels=channels, frame=frame)  # fmt: skip


class EmbedderVersion(GoodEmbedder):
    numerics_version = 2


EMBEDDER_KIT = {"option_variants": {"frame": 200}, "invalid_options": {"frame": 1}}
EMBEDDERS = {
    "test_numerics_version_is_text": EmbedderVersion,
    "test_unknown_option_is_rejected": SwallowsEmbedderOptions,
    "test_invalid_options_are_rejected": AcceptsAnyFrame,
    "test_every_option_is_covered": GoodEmbedder,
    "test_option_variants_change_behaviour": IgnoresFrame,
    "test_declared_channels_are_well_formed": ChannelsWithoutArgument,
    "test_every_declared_channel_count_embeds": DeafToTheSecondChannel,
    "test_constructor_is_keyword_only": PositionalEmbedder,
    "test_embeddings_have_the_asked_shape_and_are_finite": OneTooWide,
    "test_an_embedding_does_not_depend_on_its_batch": CentresOnTheBatch,
    "test_every_trainable_parameter_learns": DeadWeight,
    "test_deterministic_under_seed": UnseededEmbedder,
    "test_state_dict_round_trip": GainOutsideState,
}


# -- datasets: a DCASE-layout tree of one dev and one eval section -------------------------


LABELS = ("normal", "anomaly")


class GoodDataset(DcaseLayoutDataset):
    name = "planted"
    machine_types = {"dev": ("fan",), "eval": ("pump",)}


def write_tree(root: Path) -> Path:
    """A dev section (source training clips; test clips of both domains, the target ones
    with an attribute value no training clip has) and an eval section's training clip."""
    dev = root / "dev_data" / "fan"
    write_clips(dev / "train", [f"section_00_source_train_normal_000{i}_a_1.wav" for i in (0, 1)])
    tests = [("source", "1"), ("target", "2")]
    names = [f"section_00_{d}_test_{label}_0000_a_{a}.wav" for d, a in tests for label in LABELS]
    write_clips(dev / "test", names)
    pump = root / "eval_data" / "pump" / "train"
    write_clips(pump, ["section_00_source_train_normal_0000_a_1.wav"])
    return root


class NamedRule(GoodDataset):
    """Names its rule instead of giving the ``ScoreRule`` a run scores by."""

    official_score = "dcase2023"  # type: ignore[assignment]


class ForgetsClasses(GoodDataset):
    def load(self, data_dir=None, **options):
        table = super().load(data_dir, **options)
        return ClipTable(list(table), [], table.problems)


class AllEval(GoodDataset):
    def partition_of(self, machine: str, section: str) -> str | None:
        return "eval"


class UnlabelledDevTests(GoodDataset):
    def amend(self, table: ClipTable) -> ClipTable:
        import dataclasses

        clips = [dataclasses.replace(c, label="unknown") if c.split == "test" else c for c in table]
        return ClipTable(clips, problems=table.problems)


class Reordered(GoodDataset):
    """Lists its clips in another order each time (as an unsorted directory walk may)."""

    loads = 0

    def load(self, data_dir=None, **options):
        table = super().load(data_dir, **options)
        Reordered.loads += 1
        clips = list(table)[:: (-1) ** Reordered.loads]
        return ClipTable(clips, table.classes, table.problems)


class OldDownload(GoodDataset):
    def download(self, target: Path) -> Path:
        return target


class IgnoresLimit(GoodDataset):
    def __init__(self, *, limit: int = 5, **options: Any) -> None:
        super().__init__(**options)


class SwallowsDatasetOptions(GoodDataset):
    def __init__(self, **options: Any) -> None:
        super().__init__(**{k: v for k, v in options.items() if k != "no_such_option_xyz"})


class AcceptsAnyLength(GoodDataset):
    def __init__(self, *, clip_seconds: float | None = None, **options: Any) -> None:
        super().__init__(clip_seconds=abs(clip_seconds or 10.0), **options)


class DatasetVersion(GoodDataset):
    numerics_version = 2


DATASET_KIT = {
    "option_variants": {"clip_seconds": 2.0, "classes": "train+dev-test", "class_attributes": False,
                        "class_domain": False, "stereo": "first", "resample": False,
                        "skip_bad_files": True},
    "invalid_options": {"clip_seconds": -1.0, "machines": "fan+fan"},
}  # fmt: skip
DATASETS = {
    "test_unknown_option_is_rejected": SwallowsDatasetOptions,
    "test_invalid_options_are_rejected": AcceptsAnyLength,
    "test_every_option_is_covered": GoodDataset,
    "test_numerics_version_is_text": DatasetVersion,
    "test_option_variants_change_behaviour": IgnoresLimit,
    "test_facts_a_run_needs": NamedRule,
    "test_the_tree_loads_into_clips_with_classes": ForgetsClasses,
    "test_partitions_agree_with_the_facts": AllEval,
    "test_dev_test_clips_carry_labels": UnlabelledDevTests,
    "test_loading_twice_gives_the_same_table": Reordered,
    "test_a_download_capability_has_the_contracts_signature": OldDownload,
}


class DatasetKit(DatasetConformanceTests):
    def write_tree(self, root: Path) -> Path:
        return write_tree(root)


KITS: dict[str, tuple[type, type, dict[str, Any], dict[str, type]]] = {
    "loss": (LossConformanceTests, GoodLoss, LOSS_KIT, LOSSES),
    "backend": (BackendConformanceTests, GoodBackend, BACKEND_KIT, BACKENDS),
    "ensemble": (EnsembleConformanceTests, GoodEnsemble, ENSEMBLE_KIT, ENSEMBLES),
    "embedder": (EmbedderConformanceTests, GoodEmbedder, EMBEDDER_KIT, EMBEDDERS),
    "dataset": (DatasetKit, GoodDataset, DATASET_KIT, DATASETS),
}


def kit_tests(kit: type) -> list[str]:
    return sorted(name for name in dir(kit) if name.startswith("test_"))


def run(kit: type, test: str, tmp_path: Path) -> None:
    """One kit test, with the fixtures it takes (a dataset kit's ``table``)."""
    method: Callable[..., None] = getattr(kit(), test)
    if "table" in method.__code__.co_varnames[: method.__code__.co_argcount]:
        instance = method.__self__
        tree = instance.write_tree(tmp_path / "tree")
        method(instance.load(tree, None))
    elif "tmp_path" in method.__code__.co_varnames[: method.__code__.co_argcount]:
        method(tmp_path)
    else:
        method()


def make_kit(kind: str, factory: type, test: str) -> type:
    base, _, attributes, _ = KITS[kind]
    attributes = dict(attributes)
    if test.endswith("every_option_is_covered"):
        attributes["option_variants"] = {}
        attributes["invalid_options"] = {
            k: v for k, v in attributes["invalid_options"].items() if k in ("clip_seconds",)
        }
    if kind == "dataset" and factory is IgnoresLimit:
        attributes["option_variants"] = {"limit": 3}
    return type(f"{factory.__name__}Kit", (base,), {"factory": factory, **attributes})


CASES = [(kind, test) for kind, (base, _, _, _) in KITS.items() for test in kit_tests(base)]


@pytest.mark.parametrize(("kind", "test"), CASES, ids=[f"{k}-{t[5:]}" for k, t in CASES])
def test_a_good_component_passes_every_kit_test(kind, test, tmp_path):
    _, good, _, _ = KITS[kind]
    run(make_kit(kind, good, "control"), test, tmp_path)


@pytest.mark.parametrize(("kind", "test"), CASES, ids=[f"{k}-{t[5:]}" for k, t in CASES])
def test_a_component_that_breaks_the_promise_fails_the_kit_test(kind, test, tmp_path):
    _, _, _, planted = KITS[kind]
    assert test in planted, f"no planted component shows that {kind} {test} can fail"
    kit = make_kit(kind, planted[test], test)
    with pytest.raises((AssertionError, pytest.fail.Exception, RuntimeError)):
        run(kit, test, tmp_path)


def test_every_kit_test_has_a_planted_component_and_nothing_else():
    for kind, (base, _, _, planted) in KITS.items():
        assert set(planted) == set(kit_tests(base)), kind
