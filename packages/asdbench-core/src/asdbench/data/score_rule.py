"""A challenge year's official-score rule, which a dataset declares and the metrics follow."""

from __future__ import annotations

from dataclasses import dataclass

#: The forms of the official evaluators' files (``ScoreRule.files``).
FILE_FORMS = ("section", "section_domain", "machine_id")


@dataclass(frozen=True)
class ScoreRule:
    """How a challenge year's evaluator turns per-section metrics into its official score: the
    harmonic mean, over every section, of the section metrics in ``pooled`` taken together,
    each floored at machine epsilon (keys of ``asdbench.scoring.metrics``: ``auc_source``,
    ``auc_target``, ``pauc``, ``auc_source_own``...). A dataset carries its year's rule as
    ``official_score``; ``name`` is how outputs name it (``eval official score (dcase2023
    rule)``). ``files``: the form of the evaluator's ground-truth and submission files:
    ``section`` (2022 on: one per section, domains in ``ground_truth_domain/``),
    ``section_domain`` (2021: one per section and domain) or ``machine_id`` (2020: one per
    machine ID, ground truth in ``eval_data_list.csv``). ``machine_means``: section metrics
    whose arithmetic mean over each machine type's sections the evaluator reports (2020: AUC
    and pAUC per machine ID, averaged per machine type). A year without a single official score
    (2020) pools nothing: ``pooled=()``, and its figures are the machine means. ``subset``: the
    machine types scored, when a run was asked for only some of the dataset's
    (``--set dataset.machines=fan+valve``); its ``label`` then says so, so that a score over
    part of the data is never shown as the whole's."""

    name: str
    pooled: tuple[str, ...] = ("auc_source", "auc_target", "pauc")
    files: str = "section"
    machine_means: tuple[str, ...] = ()
    subset: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``dcase2023 rule``, or ``dcase2023 rule, on fan+valve only`` for a subset."""
        only = f", on {'+'.join(self.subset)} only" if self.subset else ""
        return f"{self.name} rule{only}"

    def __post_init__(self) -> None:
        named = (*self.pooled, *self.machine_means)
        if not self.name or not named or not all(isinstance(m, str) for m in named):
            raise ValueError(
                f"a score rule needs a name and the metrics it pools or averages, got {self!r}"
            )
        if self.files not in FILE_FORMS:
            raise ValueError(f"files must be one of {', '.join(FILE_FORMS)}, got {self.files!r}")
