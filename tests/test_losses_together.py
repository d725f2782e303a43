"""Cross-plugin checks of the first-party losses, installed together."""

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
