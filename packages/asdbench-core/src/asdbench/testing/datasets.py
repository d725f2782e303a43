"""Conformance tests every dataset plugin should pass. Subclass ``DatasetConformanceTests``,
set ``factory`` (see ``ComponentKit``) and write a small tree in your layout in ``write_tree``
(``asdbench.testing.trees`` writes real WAV files in milliseconds)."""

from __future__ import annotations

import dataclasses
import inspect
import tempfile
from pathlib import Path
from typing import Any, ClassVar

import pytest

from asdbench.contracts import Downloadable
from asdbench.data.clips import ClipTable
from asdbench.data.datasets import DcaseLayoutDataset
from asdbench.data.score_rule import ScoreRule
from asdbench.errors import AsdbenchError
from asdbench.scoring.metrics import UNDEFINED_BECAUSE
from asdbench.testing.components import ComponentKit

#: For a dataset built on ``asdbench.DcaseLayoutDataset``: another valid value, and values to
#: refuse, for each option it inherits (add your own options to copies of these).
DCASE_LAYOUT_VARIANTS: dict[str, object] = {
    "clip_seconds": 2.0,
    "classes": "train+dev-test",
    "class_attributes": False,
    "class_domain": False,
    "stereo": "first",
    "resample": False,
    "skip_bad_files": True,
}
DCASE_LAYOUT_INVALID: dict[str, object] = {
    "clip_seconds": -1.0,
    "classes": "all",
    "machines": "fan+fan",
}


class DatasetConformanceTests(ComponentKit):
    kind: ClassVar[str] = "dataset"
    looks_at: ClassVar[str] = "what a run reads from it"

    def write_tree(self, root: Path) -> Path | None:
        """Write a small tree of the dataset under ``root`` and return the folder to load
        (``--data-dir``); None when the dataset has data of its own."""
        raise NotImplementedError("write a small tree in the dataset's layout")

    def ground_truth(self, root: Path) -> Path | None:
        """Evaluator-format ground truth for the tree's eval test clips, if it has any."""
        return None

    def load(
        self, data_dir: Path | None, ground_truth: Path | None, dataset: Any = None
    ) -> ClipTable:
        """The small tree as ``load`` reads it (by ``dataset``, or one built with
        ``options``). It holds part of the dataset, which a run refuses
        (``DcaseLayoutDataset.check``), so a dataset built on ``DcaseLayoutDataset`` reads it
        with ``check=False``: what differs from the dataset's facts is listed in ``problems``
        instead."""
        dataset = self.make() if dataset is None else dataset
        if isinstance(dataset, DcaseLayoutDataset):
            return dataset.load(data_dir, ground_truth=ground_truth, check=False)
        return dataset.load(data_dir, ground_truth=ground_truth)

    @pytest.fixture
    def table(self, tmp_path: Path) -> ClipTable:
        data_dir = self.write_tree(tmp_path / "tree")
        return self.load(data_dir, self.ground_truth(tmp_path / "tree"))

    def behaviour(self, component):
        """Its facts (sample rate, clip length, score rule, how files are decoded, whether bad
        ones are skipped) and the table it loads from the kit's tree, or the error it refuses
        the tree with."""
        if not hasattr(self, "_tree"):  # one tree for every variant of a test
            self._tree = tempfile.TemporaryDirectory()
            self._data_dir = self.write_tree(Path(self._tree.name) / "tree")
        root = self._tree.name
        facts = (
            component.sample_rate,
            component.clip_samples,
            component.official_score,
            component.audio_format,
            component.skip_bad_files,
        )
        try:
            table = self.load(self._data_dir, self.ground_truth(Path(root) / "tree"), component)
        except AsdbenchError as exc:
            return facts, str(exc).replace(root, "")
        clips = [dataclasses.replace(c, path=str(c.path).replace(root, "")) for c in table]
        problems = [p.replace(root, "") for p in table.problems]
        return facts, clips, table.classes, problems

    def test_facts_a_run_needs(self) -> None:
        """Sample rate, clip length and the official-score rule are stated (a run sizes the
        embedder from them and scores by the rule)."""
        dataset = self.make()
        assert isinstance(dataset.sample_rate, int) and dataset.sample_rate > 0
        assert isinstance(dataset.clip_samples, int) and dataset.clip_samples > 0
        assert isinstance(dataset.official_score, ScoreRule), dataset.official_score
        assert set(dataset.official_score.pooled) <= set(UNDEFINED_BECAUSE)
        assert isinstance(dataset.name, str) and dataset.name

    def test_the_tree_loads_into_clips_with_classes(self, table: ClipTable) -> None:
        """``load`` gives every clip, with training clips of known auxiliary classes."""
        assert len(table) > 0
        train = [c for c in table if c.split == "train"]
        assert train and all(c.aux_class is not None for c in train)
        assert table.classes

    def test_partitions_agree_with_the_facts(self, table: ClipTable) -> None:
        """``partition_of`` (used by ``evaluate`` on ground truth alone) agrees with where
        the tree puts each section."""
        dataset = self.make()
        for clip in table:
            stated = dataset.partition_of(clip.machine, clip.section)
            assert stated in (None, clip.partition), (clip.machine, clip.section, stated)

    def test_dev_test_clips_carry_labels(self, table: ClipTable) -> None:
        """Development test clips have their label and domain (from their names)."""
        dev = [c for c in table if c.partition == "dev" and c.split == "test"]
        assert all(c.label != "unknown" and c.domain != "unknown" for c in dev)

    def test_loading_twice_gives_the_same_table(self, tmp_path: Path) -> None:
        data_dir = self.write_tree(tmp_path / "tree")
        truth = self.ground_truth(tmp_path / "tree")
        first = self.load(data_dir, truth)
        second = self.load(data_dir, truth)
        assert [(c.path, c.label, c.domain, c.aux_class) for c in first] == [
            (c.path, c.label, c.domain, c.aux_class) for c in second
        ]

    def test_a_download_capability_has_the_contracts_signature(self) -> None:
        """A dataset that can be downloaded declares it with ``download(target, *, parts,
        machines, mirror, progress)`` (``asdbench data download`` calls it so)."""
        dataset = self.make()
        if not isinstance(dataset, Downloadable):
            return
        parameters = inspect.signature(dataset.download).parameters
        assert {"parts", "machines", "mirror", "progress"} <= set(parameters)
