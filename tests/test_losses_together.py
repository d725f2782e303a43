"""Cross-plugin checks of the first-party losses, installed together."""

import pytest
import torch

import asdbench


def test_adacos_equals_adaproj_with_one_centre_up_to_the_projection_normalisation():
    """AdaProj's J = 1 logit is ‖p‖-normalised: |cos θ| where AdaCos has cos θ. Built from one
    seed, both draw the same centres, so their logits agree wherever cos θ >= 0."""
    torch.manual_seed(4)
    adacos = asdbench.create("loss", "adacos", num_classes=6, embedding_dim=32)
    torch.manual_seed(4)
    adaproj = asdbench.create("loss", "adaproj", num_classes=6, embedding_dim=32, subspace_dim=1)
    assert torch.equal(adacos.centers, adaproj.centers)
    x = torch.randn(20, 32, generator=torch.Generator().manual_seed(0))
    cosine, projected = adacos.logits(x), adaproj.logits(x)
    assert torch.allclose(projected, cosine.abs(), atol=1e-6)
    positive = cosine >= 0
    assert positive.any() and torch.allclose(projected[positive], cosine[positive], atol=1e-6)


def test_every_first_party_loss_trains_a_step():
    x = torch.randn(8, 32, generator=torch.Generator().manual_seed(1), requires_grad=True)
    y = torch.eye(4)[torch.arange(8) % 4]
    for name in ("adaproj", "adacos", "subcluster_adacos", "compactness", "compactness_cce"):
        loss = asdbench.create("loss", name, num_classes=4, embedding_dim=32)
        value = loss(x, y)
        (grad,) = torch.autograd.grad(value, x)
        assert torch.isfinite(value) and torch.isfinite(grad).all(), name


def test_a_variant_equal_to_the_default_fails_the_kit_for_every_first_party_loss():
    """The kit compares copies of the state, not the live buffers a forward updates: a variant
    that is the default itself must fail, for the losses with an adaptive scale too."""
    from asdbench.testing import LossConformanceTests

    for name, option, default in (
        ("adaproj", "subspace_dim", 32),
        ("adacos", "dynamic_scale", True),
        ("subcluster_adacos", "n_subclusters", 32),
    ):

        class Same(LossConformanceTests):
            factory = name
            option_variants = {option: default}

        with pytest.raises(AssertionError, match="option_variants"):
            Same().test_option_variants_change_behaviour()


@pytest.mark.parametrize("name", ["adaproj", "adacos", "subcluster_adacos"])
def test_scale_median_lower_moves_the_scale_where_the_median_angle_is_small(name):
    """``scale_median`` changes the scale only when the median angle is below pi/4 (above, the
    update's min(pi/4, median) is pi/4 whichever median it takes), so the kits' random batch
    cannot show it: here every clip lies close to its class's first centre, and the two
    medians of an even batch give two scales."""
    scales = {}
    for median in ("tfp-nearest", "lower"):
        torch.manual_seed(0)
        # sub-cluster AdaCos' angle is the mean over a class's sub-centres: one makes it small
        one = {"n_subclusters": 1} if name == "subcluster_adacos" else {}
        loss = asdbench.create(
            "loss", name, num_classes=4, embedding_dim=32, scale_median=median, **one
        ).train()
        classes = torch.arange(8) % 4
        noise = 0.3 * torch.randn(8, 32, generator=torch.Generator().manual_seed(1))
        embeddings = loss.centers[classes, 0] + noise * torch.linspace(0.2, 1.0, 8)[:, None]
        loss(embeddings, torch.nn.functional.one_hot(classes, 4).float())
        scales[median] = float(loss.adaptive_scale.value)
    assert scales["tfp-nearest"] != scales["lower"], scales
