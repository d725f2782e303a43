"""Each back end against an independent computation on small arrays (numpy written out from the
published definition, or scikit-learn/scipy used directly), and the backend conformance kit."""

import numpy as np
import pytest
from asdbench_backends.gaussian import GmmBackend, MahalanobisBackend, SelectiveMahalanobisBackend
from asdbench_backends.neighbours import DensityKnnBackend, LofBackend, SmoteKnnBackend
from scipy.spatial.distance import mahalanobis as scipy_mahalanobis
from scipy.special import logsumexp

from asdbench.testing import BackendConformanceTests


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def section(seed=0, source=12, target=4, dim=5):
    """Training embeddings of one section around two directions, and test embeddings."""
    rng = np.random.default_rng(seed)
    train = np.vstack(
        [
            np.eye(dim)[0] + 0.3 * rng.standard_normal((source, dim)),
            np.eye(dim)[1] + 0.3 * rng.standard_normal((target, dim)),
        ]
    )
    domains = np.array(["source"] * source + ["target"] * target)
    test = rng.standard_normal((7, dim))
    return train, domains, test


def cosine_distance(a, b):
    """1 - cos(a, b), one pair at a time."""
    return 1.0 - float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


# --- SMOTE kNN --------------------------------------------------------------------------------


def test_smote_draws_each_synthetic_clip_between_a_target_clip_and_a_near_neighbour():
    train, domains, _ = section()
    backend = SmoteKnnBackend(smote_ratio=1.0, smote_neighbours=2).fit(train, domains)
    source, target = backend.references
    original = unit(train[domains == "target"])
    assert len(target) == 12 == len(source)  # oversampled to the source count
    assert np.allclose(target[:4], original)
    for point in target[4:]:  # unit((1 - u) a + u b): a non-negative mix of a and b
        assert np.isclose(np.linalg.norm(point), 1.0)
        found = False
        for i, a in enumerate(original):
            nearest = sorted((np.linalg.norm(b - a), j) for j, b in enumerate(original) if j != i)
            for _, j in nearest[:2]:
                mix, *_ = np.linalg.lstsq(np.stack([a, original[j]], axis=1), point, rcond=None)
                on_plane = np.allclose(np.stack([a, original[j]], axis=1) @ mix, point)
                found |= bool(on_plane and (mix >= -1e-9).all())
        assert found
    again = SmoteKnnBackend(smote_ratio=1.0, smote_neighbours=2).fit(train, domains)
    assert np.array_equal(again.references[1], target)


def test_smote_knn_scores_are_the_nearer_domains_mean_neighbour_distance():
    train, domains, test = section(1)
    backend = SmoteKnnBackend(k=3, smote_ratio=0.5).fit(train, domains)
    source, target = backend.references
    assert len(target) == 6  # 0.5 x 12 source clips
    expected = [
        min(np.mean(sorted(cosine_distance(x, r) for r in refs)[:3]) for refs in (source, target))
        for x in test
    ]
    assert np.allclose(backend.score(test), expected)


def test_smote_leaves_a_single_target_clip_and_enough_target_clips_alone():
    train, domains, _ = section(source=12, target=1)
    assert len(SmoteKnnBackend().fit(train, domains).references[1]) == 1
    train, domains, _ = section(source=4, target=4)
    assert len(SmoteKnnBackend().fit(train, domains).references[1]) == 4


# --- density-normalised kNN -------------------------------------------------------------------


def test_density_knn_divides_each_distance_by_the_references_own_density():
    """Score(x) = mean of the k smallest d(x, r) / c(r), c(r) = mean distance from r to its
    k_normalise nearest other training clips (written out with loops)."""
    train, domains, test = section(2)
    backend = DensityKnnBackend(k=2, k_normalise=3).fit(train, domains)
    density = [
        np.mean(sorted(cosine_distance(r, o) for j, o in enumerate(train) if j != i)[:3])
        for i, r in enumerate(train)
    ]
    expected = [
        np.mean(sorted(cosine_distance(x, r) / c for r, c in zip(train, density, strict=True))[:2])
        for x in test
    ]
    assert np.allclose(backend.score(test), expected)


def test_density_knn_puts_a_sparse_domain_on_the_scale_of_a_dense_one():
    """A clip as far from the sparse target clips as target clips are from each other scores
    like a clip as far from the dense source clips as they are from each other, where a plain
    distance would call the first one far more anomalous."""
    rng = np.random.default_rng(3)
    dense = unit(np.eye(6)[0] + 0.05 * rng.standard_normal((40, 6)))
    sparse = unit(np.eye(6)[1] + 0.4 * rng.standard_normal((40, 6)))
    train = np.vstack([dense, sparse])
    domains = np.array(["source"] * 40 + ["target"] * 40)
    near_dense = unit(np.eye(6)[0] + 0.05 * rng.standard_normal((20, 6)))
    near_sparse = unit(np.eye(6)[1] + 0.4 * rng.standard_normal((20, 6)))
    scores = DensityKnnBackend(k=1, k_normalise=4).fit(train, domains).score
    ratio = np.median(scores(near_sparse)) / np.median(scores(near_dense))
    plain = 1 - unit(near_sparse) @ train.T
    plain_dense = 1 - unit(near_dense) @ train.T
    assert 0.5 < ratio < 2.0
    assert np.median(plain.min(axis=1)) / np.median(plain_dense.min(axis=1)) > 10


# --- local outlier factor ----------------------------------------------------------------------


def lof_by_hand(train, query, k):
    """Breunig et al.'s LOF, novelty form: the query's k nearest training clips o, its local
    reachability density from reach-dist(q, o) = max(k-distance(o), d(q, o)), and the mean ratio
    of their densities to its own."""
    n = len(train)

    def neighbours(point, exclude=None):
        ranked = sorted((cosine_distance(point, train[j]), j) for j in range(n) if j != exclude)
        return ranked[:k]

    k_distance = [neighbours(train[i], exclude=i)[-1][0] for i in range(n)]

    def lrd(point, exclude=None):
        reach = [max(k_distance[j], d) for d, j in neighbours(point, exclude)]
        return 1.0 / np.mean(reach)

    train_lrd = [lrd(train[i], exclude=i) for i in range(n)]
    return np.array([np.mean([train_lrd[j] for _, j in neighbours(q)]) / lrd(q) for q in query])


def test_lof_is_the_published_local_outlier_factor():
    train, domains, test = section(4)
    backend = LofBackend(n_neighbours=3).fit(train, domains)
    assert np.allclose(backend.score(test), lof_by_hand(unit(train), unit(test), 3))


# --- Mahalanobis ------------------------------------------------------------------------------


def test_mahalanobis_with_fixed_shrinkage_is_the_textbook_distance():
    train, domains, test = section(5, source=20, target=6)
    x = unit(train)
    sample = np.cov(x, rowvar=False, bias=True)
    covariance = 0.7 * sample + 0.3 * np.trace(sample) / 5 * np.eye(5)
    inverse = np.linalg.inv(covariance)
    expected = [scipy_mahalanobis(t, x.mean(axis=0), inverse) ** 2 for t in unit(test)]
    backend = MahalanobisBackend(shrinkage=0.3).fit(train, domains)
    assert np.allclose(backend.score(test), expected)


def test_mahalanobis_defaults_to_the_ledoit_wolf_covariance():
    from sklearn.covariance import ledoit_wolf

    train, domains, test = section(6, source=20, target=6)
    x = unit(train)
    inverse = np.linalg.inv(ledoit_wolf(x)[0])
    expected = [scipy_mahalanobis(t, x.mean(axis=0), inverse) ** 2 for t in unit(test)]
    assert np.allclose(MahalanobisBackend().fit(train, domains).score(test), expected)


def test_selective_mahalanobis_takes_the_nearer_domains_distance():
    from sklearn.covariance import ledoit_wolf

    train, domains, test = section(7, source=20, target=6)
    x = unit(train)
    per_domain = []
    for domain in ("source", "target"):
        part = x[domains == domain]
        inverse = np.linalg.inv(ledoit_wolf(part)[0])
        per_domain.append(
            [scipy_mahalanobis(t, part.mean(axis=0), inverse) ** 2 for t in unit(test)]
        )
    backend = SelectiveMahalanobisBackend().fit(train, domains)
    assert np.allclose(backend.score(test), np.min(per_domain, axis=0))
    single = SelectiveMahalanobisBackend().fit(train[:21], domains[:21])  # one target clip
    assert np.allclose(single.score(test), per_domain[0])


# --- Gaussian mixture -------------------------------------------------------------------------


def test_gmm_scores_the_negative_log_likelihood_of_its_mixture():
    """-log sum_c w_c N(x; μ_c, diag σ²_c), written out from the fitted parameters."""
    train, domains, test = section(8, source=30, target=6)
    backend = GmmBackend(components=2).fit(train, domains)
    model = backend.model
    x = unit(test)
    log_terms = [
        np.log(w)
        - 0.5 * np.sum(np.log(2 * np.pi * var))
        - 0.5 * np.sum((x - mean) ** 2 / var, axis=1)
        for w, mean, var in zip(model.weights_, model.means_, model.covariances_, strict=True)
    ]
    assert np.allclose(backend.score(test), -logsumexp(np.array(log_terms), axis=0))


# --- options and the conformance kit ----------------------------------------------------------


@pytest.mark.parametrize(
    ("factory", "options", "message"),
    [
        (SmoteKnnBackend, {"smote_ratio": 1.5}, "smote_ratio must be in"),
        (SmoteKnnBackend, {"k": 0}, "k must be at least 1"),
        (DensityKnnBackend, {"k_normalise": 0}, "k_normalise must be at least 1"),
        (LofBackend, {"n_neighbours": 0}, "n_neighbours must be at least 1"),
        (MahalanobisBackend, {"shrinkage": 1.5}, "shrinkage must be in"),
        (GmmBackend, {"covariance": "round"}, "covariance must be"),
    ],
)
def test_options_out_of_range_are_refused(factory, options, message):
    with pytest.raises(ValueError, match=message):
        factory(**options)


class TestSmoteKnn(BackendConformanceTests):
    factory = SmoteKnnBackend
    option_variants = {"k": 2, "smote_ratio": 0.5, "smote_neighbours": 1, "random_state": 1}
    invalid_options = {"k": 0, "smote_ratio": 0.0, "smote_neighbours": 0}


class TestDensityKnn(BackendConformanceTests):
    factory = DensityKnnBackend
    option_variants = {"k": 2, "k_normalise": 4}
    invalid_options = {"k": 0, "k_normalise": 0}


class TestLof(BackendConformanceTests):
    factory = LofBackend
    option_variants = {"n_neighbours": 5}
    invalid_options = {"n_neighbours": 0}


class TestMahalanobis(BackendConformanceTests):
    factory = MahalanobisBackend
    option_variants = {"shrinkage": 0.2}
    invalid_options = {"shrinkage": -0.1}


class TestSelectiveMahalanobis(BackendConformanceTests):
    factory = SelectiveMahalanobisBackend
    option_variants = {"shrinkage": 0.2}
    invalid_options = {"shrinkage": 2.0}


class TestGmm(BackendConformanceTests):
    factory = GmmBackend
    option_variants = {
        "components": 2,
        "covariance": "spherical",
        "reg_covar": 1e-4,
        "random_state": 1,
    }
    invalid_options = {"components": 0, "covariance": "round", "reg_covar": 0.0}
