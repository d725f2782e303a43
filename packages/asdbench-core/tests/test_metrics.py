"""Official metrics against the spec's hand-checkable oracle and independent computations."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asdbench.errors import AsdbenchError
from asdbench.scoring.metrics import Results, SectionResult, auc, harmonic_mean, section_metrics

# The 10-clip oracle (dcase-data-and-scoring.md §4.6): one section, in clip order.
DOMAIN = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
LABEL = np.array([0, 0, 0, 1, 1, 0, 0, 0, 1, 1])
SCORE = np.array([0.1, 0.4, 0.35, 0.8, 0.3, 0.7, 0.2, 0.9, 0.6, 0.95])


def test_ten_clip_oracle_reproduces_every_value():
    m = section_metrics(SCORE, LABEL, DOMAIN)
    assert m["auc_source"] == pytest.approx(10 / 12)  # 10 of 12 pairs ranked correctly
    assert m["auc_target"] == pytest.approx(7 / 12)  # 7 of 12
    assert m["auc_all"] == pytest.approx(17 / 24)  # 17 of 24
    assert m["pauc"] == pytest.approx(0.605263, abs=1e-6)  # raw area 0.025
    assert m["pauc"] == pytest.approx(0.5 * (1 + (0.025 - 0.005) / (0.1 - 0.005)))
    assert m["pauc_source_own"] == pytest.approx(0.736842, abs=1e-6)  # baseline-style
    official = Results([SectionResult("m", "00", m)]).official_score()
    assert official == pytest.approx(0.656964, abs=1e-6)


def mann_whitney_auc(labels, scores):
    """AUC by counting pairs: an anomaly above a normal counts 1, a tie 1/2."""
    positives, negatives = scores[labels == 1], scores[labels == 0]
    wins = (positives[:, None] > negatives[None]).sum() + 0.5 * (
        positives[:, None] == negatives[None]
    ).sum()
    return wins / (len(positives) * len(negatives))


def raw_partial_area(labels, scores, max_fpr=0.1):
    """Area under the ROC curve for FPR in [0, max_fpr]: one ROC point per distinct score
    (ties move diagonally), linear interpolation at max_fpr."""
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], labels[order]
    distinct = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]
    tpr = np.r_[0, np.cumsum(y)[distinct] / y.sum()]
    fpr = np.r_[0, np.cumsum(1 - y)[distinct] / (1 - y).sum()]
    area = 0.0
    for i in range(1, len(fpr)):
        left, right = fpr[i - 1], min(fpr[i], max_fpr)
        if right <= left:
            if fpr[i - 1] >= max_fpr:
                break
            continue
        slope = (tpr[i] - tpr[i - 1]) / (fpr[i] - fpr[i - 1])
        top = tpr[i - 1] + slope * (right - left)
        area += (right - left) * (tpr[i - 1] + top) / 2
    return area


def mcclish(area, max_fpr=0.1):
    minimum, maximum = max_fpr**2 / 2, max_fpr
    return 0.5 * (1 + (area - minimum) / (maximum - minimum))


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 40),
    st.integers(1, 40),
    st.integers(2, 8),
    st.randoms(use_true_random=False),
)
def test_pauc_is_the_mcclish_map_of_the_raw_partial_area(normals, anomalies, levels, rnd):
    """Scores drawn from few levels, so ties are common; sections are unbalanced."""
    labels = np.array([0] * normals + [1] * anomalies)
    scores = np.array([rnd.randint(0, levels) / levels for _ in labels], dtype=float)
    assert auc(labels, scores, 0.1) == pytest.approx(
        mcclish(raw_partial_area(labels, scores)), abs=1e-9
    )
    assert auc(labels, scores) == pytest.approx(mann_whitney_auc(labels, scores), abs=1e-12)


def test_domain_auc_uses_all_anomalies_and_own_variants_only_their_domain():
    # Target anomalies score highest: they help AUC (source) but not AUC (source, own domain).
    scores = np.array([0.1, 0.2, 0.5, 0.3, 0.4, 0.9])
    labels = np.array([0, 0, 1, 0, 0, 1])
    domains = np.array([0, 0, 0, 1, 1, 1])
    m = section_metrics(scores, labels, domains)
    assert m["auc_source"] == pytest.approx(
        mann_whitney_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.5, 0.9]))
    )
    assert m["auc_source_own"] == 1.0 and m["auc_target_own"] == 1.0


def test_decision_metrics_per_domain():
    scores = np.zeros(8)
    labels = np.array([0, 0, 1, 1, 0, 0, 1, 1])
    domains = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    decisions = np.array([1, 0, 1, 0, 0, 0, 0, 0])
    m = section_metrics(scores, labels, domains, decisions)
    assert (m["precision_source"], m["recall_source"], m["f1_source"]) == (0.5, 0.5, 0.5)
    assert m["recall_target"] == 0.0 and m["f1_target"] == 0.0  # floored, no division error


def test_harmonic_mean_floors_at_epsilon_and_an_undefined_value_makes_it_undefined():
    assert harmonic_mean([0.5, 1.0]) == pytest.approx(2 / 3)
    assert harmonic_mean([0.0, 1.0]) == pytest.approx(2 * np.finfo(float).eps, rel=1e-6)
    assert math.isnan(harmonic_mean([math.nan, 0.5]))  # never the mean of the others
    assert math.isnan(harmonic_mean([]))


def test_an_undefined_official_metric_is_an_error_naming_its_section():
    """A section whose test clips have no target-domain normal clip: its AUC (target) is
    undefined (sklearn refuses one class), so no official score exists for the partition."""
    labels = np.array([0, 0, 1, 1])
    domains = np.array([0, 0, 0, 1])  # the only target clip is an anomaly
    metrics = section_metrics(np.array([0.1, 0.2, 0.8, 0.9]), labels, domains)
    assert math.isnan(metrics["auc_target"]) and metrics["auc_source"] == 1.0
    complete = {"auc_source": 0.9, "auc_target": 0.6, "pauc": 0.55}
    results = Results([SectionResult("fan", "00", complete), SectionResult("pump", "01", metrics)])
    with pytest.raises(
        AsdbenchError,
        match=r"pump section 01: AUC \(target\) is undefined \(no "
        r"anomalous clip or no target-domain normal clip\)",
    ):
        results.official_score()
    assert math.isnan(results.column("auc_target")[1])


def test_official_score_pools_every_section_value():
    sections = [
        SectionResult("a", "00", {"auc_source": 0.9, "auc_target": 0.6, "pauc": 0.55}),
        SectionResult("b", "00", {"auc_source": 0.8, "auc_target": 0.7, "pauc": 0.65}),
    ]
    values = [0.9, 0.8, 0.6, 0.7, 0.55, 0.65]
    expected = len(values) / sum(1 / v for v in values)
    results = Results(sections)
    assert results.official_score() == pytest.approx(expected)
    summary = results.summary()
    assert summary["auc_source"] == pytest.approx(2 / (1 / 0.9 + 1 / 0.8))
    assert results.per_section()["pauc/b_00"] == 0.65


def test_a_score_rule_pools_the_metrics_it_names_into_one_harmonic_mean():
    """A year's rule chooses the pooled section metrics: here each domain's own AUC and pAUC
    (as DCASE 2021 scored its separate source and target test sets), checked by hand."""
    from asdbench import ScoreRule

    m = section_metrics(SCORE, LABEL, DOMAIN)
    own = ScoreRule("own", ("auc_source_own", "auc_target_own"))
    # source: normals .1 .4 .35 vs anomalies .8 .3 -> 4 of 6 pairs; target: .7 .2 .9 vs .6 .95
    # -> 4 of 6 pairs
    by_hand = 2 / (1 / (4 / 6) + 1 / (4 / 6))
    results = Results([SectionResult("m", "00", m)], own)
    assert results.official_score() == pytest.approx(by_hand)
    assert results.as_json()["rule"] == "own"
    with pytest.raises(AsdbenchError, match="pools 'precision_source'"):
        Results([SectionResult("m", "00", m)], ScoreRule("bad", ("precision_source",)))
    with pytest.raises(ValueError, match="needs a name"):
        ScoreRule("", ("pauc",))


def test_a_rule_without_an_official_score_reports_machine_type_means():
    """2020's figures: per machine type, the arithmetic mean over its sections (machine IDs)
    of the metrics the rule averages; no official score; an undefined value is an error naming
    its section, not a mean over the others."""
    from asdbench.data.score_rule import ScoreRule

    rule = ScoreRule("r2020", pooled=(), files="machine_id", machine_means=("auc_all", "pauc"))
    values = {("fan", "00"): (0.9, 0.6), ("fan", "02"): (0.5, 0.4), ("pump", "01"): (0.7, 0.55)}
    results = Results(
        [SectionResult(m, s, {"auc_all": a, "pauc": p}) for (m, s), (a, p) in values.items()],
        rule,
    )
    assert math.isnan(results.official_score())
    assert results.machine_means() == {
        "fan": {"auc_all": pytest.approx(0.7), "pauc": pytest.approx(0.5)},
        "pump": {"auc_all": pytest.approx(0.7), "pauc": pytest.approx(0.55)},
    }
    assert results.per_section()["auc_all/fan"] == pytest.approx(0.7)
    broken = Results([SectionResult("fan", "00", {"auc_all": math.nan, "pauc": 0.5})], rule)
    with pytest.raises(AsdbenchError, match="fan section 00: AUC \\(all\\) is undefined"):
        broken.machine_means()
    with pytest.raises(ValueError, match="metrics it pools or averages"):
        ScoreRule("nothing", pooled=())
    with pytest.raises(ValueError, match="files must be one of"):
        ScoreRule("odd", files="per_clip")
