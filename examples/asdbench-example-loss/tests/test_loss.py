import asdbench
from asdbench.testing import LossConformanceTests
from asdbench_example_loss.loss import CosineSoftmaxLoss


class TestCosineSoftmax(LossConformanceTests):
    factory = CosineSoftmaxLoss
    option_variants = {"scale": 4.0, "trainable_centers": False}
    invalid_options = {"scale": 0.0}


def test_plugin_is_discoverable():
    """Installed with pip, the entry point registers the loss under its name."""
    assert asdbench.component("loss", "cosine_softmax").plugin.distribution == (
        "asdbench-example-loss"
    )
    assert asdbench.available("loss").count("cosine_softmax") == 1
