"""The label-free fusion against its definition on small arrays: each member's self-scores
cross-fitted over folds dealt per domain, computed here with the members written out (a kNN
with loops, the local outlier factor with scikit-learn directly), each member standardised by
them, the smallest taken; and the back-end kit."""

import numpy as np
import pytest
from asdbench_backends.fusion import FusionBackend, folds_of
from sklearn.neighbors import LocalOutlierFactor

from asdbench.testing import BackendConformanceTests


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def knn_by_hand(train, domains, test):
    """asdbench's knn (k=1): per domain, the cosine distance to the nearest training clip;
    the smaller of the two."""
    scores = []
    for x in unit(test):
        per_domain = [
            min(1.0 - float(x @ r) for r in unit(train)[domains == d]) for d in np.unique(domains)
        ]
        scores.append(min(per_domain))
    return np.array(scores)


def lof_by_sklearn(train, domains, test):
    x = unit(train)
    model = LocalOutlierFactor(n_neighbors=min(20, len(x) - 1), metric="cosine", novelty=True)
    return -model.fit(x).score_samples(unit(test))


MEMBERS = {"knn": knn_by_hand, "lof": lof_by_sklearn}


def fused_by_hand(train, domains, test, names, folds):
    fold = np.zeros(len(train), dtype=int)
    for d in np.unique(domains):
        where = [i for i in range(len(train)) if domains[i] == d]
        for turn, i in enumerate(where):
            fold[i] = turn % folds
    standardised = []
    for name in names:
        member = MEMBERS[name]
        own = np.zeros(len(train))
        for f in range(folds):
            held = fold == f
            if held.any():
                own[held] = member(train[~held], domains[~held], train[held])
        mean, spread = own.mean(), own.std()
        standardised.append((member(train, domains, test) - mean) / spread)
    return np.min(standardised, axis=0)


def section(seed=0, source=14, target=4, dim=5):
    rng = np.random.default_rng(seed)
    train = np.vstack(
        [
            np.eye(dim)[0] + 0.3 * rng.standard_normal((source, dim)),
            np.eye(dim)[1] + 0.3 * rng.standard_normal((target, dim)),
        ]
    )
    domains = np.array(["source"] * source + ["target"] * target)
    return train, domains, rng.standard_normal((6, dim))


def test_folds_deal_each_domain_in_turn():
    domains = np.array(["source", "target", "source", "source", "target"])
    assert folds_of(domains, 2).tolist() == [0, 0, 1, 0, 1]


@pytest.mark.parametrize(("names", "folds"), [(("knn",), 3), (("knn", "lof"), 4)])
def test_scores_follow_the_definition(names, folds):
    train, domains, test = section()
    fusion = FusionBackend(members="+".join(names), folds=folds).fit(train, domains)
    expected = fused_by_hand(train, domains, test, names, folds)
    np.testing.assert_allclose(fusion.score(test), expected, rtol=1e-9, atol=1e-12)


def test_members_are_checked_when_the_fusion_is_built():
    for members in ("knn+nope", "knn+knn", "fusion", "knn+"):
        with pytest.raises(ValueError, match="members must be back ends joined with \\+"):
            FusionBackend(members=members)


class TestFusion(BackendConformanceTests):
    factory = FusionBackend
    option_variants = {"members": "knn+lof", "folds": 3}
    invalid_options = {"members": "knn+nope", "folds": 1}
