"""The built-in synthetic datasets: machine sounds generated on first use and read back as a
DCASE tree, ``synthetic`` in the DCASE2023 layout and ``synthetic2022`` in the DCASE2022 one.

With ``layout=<dataset>`` (``--set dataset.layout=dcase2021``) the same clips are also laid out
as that dataset writes its year (its ``write_layout``: its folders, names and ground-truth
files), read back by that dataset and scored by its rule, so that every year's path runs on
data that needs no download.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, ClassVar

from asdbench.data.clips import ClipTable
from asdbench.data.datasets import (
    DCASE2022_RULE,
    DCASE2023_RULE,
    DcaseLayoutDataset,
)
from asdbench.data.score_rule import ScoreRule
from asdbench.errors import AsdbenchError
from asdbench.files import atomic_directory
from asdbench.synthetic.design import (
    DEFAULT_CLIP_SECONDS,
    SIZES,
    Layout,
    Size,
    machine_types,
    sections_of,
)
from asdbench.synthetic.tree import MARKER, SynthesisPlan, ensure_tree, tree_root


def _emitter(layout: str | None, **options: object) -> DcaseLayoutDataset | None:
    """The dataset whose layout the synthetic clips are also written in, built with the
    synthetic dataset's options; a ``ValueError`` (a refused option) when it cannot be."""
    if layout is None:
        return None
    from asdbench.registry.components import create

    try:
        emitter = create("dataset", layout, **options)
    except AsdbenchError as exc:
        raise ValueError(f"layout {layout!r}: {exc}") from exc
    if not isinstance(emitter, DcaseLayoutDataset) or isinstance(emitter, SyntheticDataset):
        raise ValueError(
            f"layout {layout!r}: not a dataset read from a DCASE tree of its own (dcase2020 ... "
            "dcase2026, or a DcaseLayoutDataset of a plugin)"
        )
    return emitter


class SyntheticDataset(DcaseLayoutDataset):
    """Synthetic machine sounds in the DCASE2023 layout, generated on first use."""

    name: ClassVar[str] = "synthetic"
    default_clip_seconds: ClassVar[float] = 1.0
    official_score: ClassVar[ScoreRule] = DCASE2023_RULE
    how_to_obtain: ClassVar[str] = "It is generated on first use (or with `asdbench data synth`)."
    generator_layout: ClassVar[Layout] = "2023"
    #: Its own tree's ground truth is in the 2022-2026 form, whichever layout it also emits.
    ground_truth_files: ClassVar[str] = "section"  # type: ignore[misc]

    def __init__(
        self,
        *,
        size: Annotated[
            Size,
            "tiny (tests), small (the main job), bench (the benchmark: 1,500 training steps "
            "in 10 epochs) or full (DCASE2023's scale)",
        ] = "small",
        seed: Annotated[int, "Seed of the generated sounds (another seed, another dataset)"] = 0,
        microphones: Annotated[
            int,
            "1: mono clips; 2: stereo as DCASE2026, the near microphone left, a far one right "
            "(read as the stereo option says: both keeps the two channels)",
        ] = 1,
        layout: Annotated[
            str | None,
            "Also lay the clips out as this dataset writes its year (dcase2020 ... dcase2026) and "
            "score them by its rule; default: the synthetic layout",
        ] = None,
        **options: Any,
    ) -> None:
        if size not in SIZES:
            raise ValueError(f"size must be one of {', '.join(SIZES)}, got {size!r}")
        if microphones not in (1, 2):
            raise ValueError(f"microphones must be 1 or 2, got {microphones}")
        clip_seconds = options.pop("clip_seconds", None)
        if clip_seconds is None:
            clip_seconds = DEFAULT_CLIP_SECONDS[size]
        types = machine_types(size, self.generator_layout)
        self.machine_types = {p: tuple(m.name for m in ms) for p, ms in types.items()}
        self.sections = sections_of(size, self.generator_layout)
        super().__init__(clip_seconds=clip_seconds, **options)
        self.plan = SynthesisPlan(size, seed, layout=self.generator_layout, microphones=microphones)
        # The emitting year's dataset reads the clips as this one does, but for the channels
        # (its own choice) and the machine types (checked against this dataset's).
        emitted = {k: v for k, v in options.items() if k not in ("stereo", "machines")}
        self.emitter = _emitter(layout, clip_seconds=self.clip_seconds, **emitted)
        if self.emitter is not None:
            self.official_score = self.emitter.official_score

    def data_dir(self, data_dir: Path | None, *, progress: bool = True) -> Path:
        return ensure_tree(data_dir, self.plan, progress=progress)

    def written(self, data_dir: Path | None) -> Path | None:
        """The tree when it has been generated; None before its first use."""
        root = tree_root(data_dir, self.plan)
        return ensure_tree(root, self.plan) if (root / MARKER).exists() else None

    def load(
        self,
        data_dir: Path | None = None,
        *,
        ground_truth: Path | None = None,
        progress: bool = True,
        check: bool = True,
    ) -> ClipTable:
        root = self.data_dir(data_dir, progress=progress)
        if self.emitter is None:
            return super().load(
                root,
                ground_truth=ground_truth or root / "ground_truth",
                progress=progress,
                check=check,
            )
        # The year's layout holds every clip (it is written once), a subset is taken from it.
        whole = copy.copy(self)
        whole.subset = ()
        table = DcaseLayoutDataset.load(
            whole,
            root,
            ground_truth=ground_truth or root / "ground_truth",
            progress=progress,
            check=check,
        )
        emitter = self.emitter
        target = root.parent / f"{root.name}-{emitter.name}"
        if not (target / MARKER).exists():
            with atomic_directory(target) as folder:
                emitter.write_layout(table, folder)
                (folder / MARKER).write_text(json.dumps({"layout": emitter.name}))
        # The clips are this dataset's, its machine types and sections not the year's.
        emitted = emitter.load(
            target, ground_truth=target / "ground_truth", progress=progress, check=False
        )
        theirs = set(emitter.check(emitted))
        problems = [p for p in emitted.problems if p not in theirs]
        clips = [
            replace(c, dataset=self.name)
            for c in emitted
            if not self.subset or c.machine in self.subset
        ]
        return ClipTable(clips, emitted.classes, problems)


class Synthetic2022Dataset(SyntheticDataset):
    """Synthetic machine sounds in the DCASE2022 layout: the same machine types in dev and
    eval, told apart by section (00-02 dev, 03-05 eval at full size), scored by the 2022 rule.
    Beside ``synthetic`` it gives the paper's two-dataset Table 1 on synthetic data."""

    name: ClassVar[str] = "synthetic2022"
    official_score: ClassVar[ScoreRule] = DCASE2022_RULE
    generator_layout: ClassVar[Layout] = "2022"
