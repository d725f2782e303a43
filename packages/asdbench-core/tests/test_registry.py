"""Components by name: creation, unknown names, option checks (the public Python API)."""

from typing import Annotated, Literal

import pytest

import asdbench
from asdbench.errors import OptionError, UnknownComponentError
from asdbench.registry.components import get


class ToyLoss:
    """A stand-in component whose factory signature has every supported option type."""

    def __init__(
        self,
        *,
        num_classes: int,
        embedding_dim: int,
        margin_rad: float = 0.5,
        subclusters: int = 4,
        trainable: bool = False,
        mode: Literal["cosine", "distance"] = "cosine",
        limit: int | None = None,
        window_s: Annotated[
            float | None, "Analysis window in seconds;   none: the whole clip", "unit: s"
        ] = None,
    ) -> None:
        self.args = dict(locals())
        del self.args["self"]


class ToyPlugin:
    @asdbench.hookimpl
    def asdbench_losses(self):
        yield asdbench.LossSpec(name="toy", factory=ToyLoss, summary="a toy")
        yield asdbench.LossSpec(name="lazy", factory="argparse:Namespace", summary="lazy")
        yield asdbench.LossSpec(name="missing", factory="no_such_module_xyz:Loss", summary="m")


@pytest.fixture(autouse=True)
def toy(register_plugin):
    register_plugin(ToyPlugin(), "toy-plugin")


def test_available_lists_registered_names_sorted():
    assert asdbench.available("loss") == ["lazy", "missing", "toy"]
    assert asdbench.available("losses") == ["lazy", "missing", "toy"]


def test_create_passes_context_and_options():
    loss = asdbench.create("loss", "toy", num_classes=3, embedding_dim=8, margin_rad=1)
    assert loss.args["margin_rad"] == 1 and loss.args["num_classes"] == 3


def test_string_factory_is_imported_only_when_used():
    assert "missing" in asdbench.available("loss")  # listing never imports the factory
    with pytest.raises(ModuleNotFoundError, match="no_such_module_xyz"):
        asdbench.create("loss", "missing", num_classes=3, embedding_dim=8)
    made = asdbench.create("loss", "lazy", num_classes=3, embedding_dim=8, anything=1)
    assert (made.num_classes, made.anything) == (3, 1)  # **kwargs factories accept any option


def test_unknown_name_lists_the_available_ones():
    with pytest.raises(
        UnknownComponentError, match=r"unknown loss 'nope'; available: lazy, missing, toy"
    ):
        get("loss", "nope")


def test_unknown_kind_lists_the_kinds():
    with pytest.raises(UnknownComponentError, match="kinds: loss, embedder, backend, dataset"):
        asdbench.available("optimizer")


def test_unknown_option_names_the_valid_ones():
    with pytest.raises(
        OptionError, match=r"loss 'toy' has no option 'margin'; its options: margin_rad"
    ):
        asdbench.create("loss", "toy", num_classes=3, embedding_dim=8, margin=0.5)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("margin_rad", "0.5"),
        ("subclusters", 2.5),
        ("trainable", 1),
        ("mode", "angle"),
        ("limit", "x"),
    ],
)
def test_wrong_option_type_is_rejected(option, value):
    with pytest.raises(OptionError, match=f"option '{option}' must be"):
        asdbench.create("loss", "toy", num_classes=3, embedding_dim=8, **{option: value})


def test_missing_context_argument_is_named():
    with pytest.raises(OptionError, match=r"loss 'toy' needs embedding_dim=\.\.\."):
        asdbench.create("loss", "toy", num_classes=3)


def test_options_are_read_from_the_signature():
    options = {o.name: o for o in get("loss", "toy").options()}
    assert list(options) == [
        "margin_rad",
        "subclusters",
        "trainable",
        "mode",
        "limit",
        "window_s",
    ]
    assert options["mode"].type_name == "'cosine'|'distance'"
    assert options["limit"].type_name == "int | None"
    assert options["margin_rad"].default == 0.5


def test_an_annotated_option_is_described_and_typed_by_its_inner_type():
    option = {o.name: o for o in get("loss", "toy").options()}["window_s"]
    assert option.description == "Analysis window in seconds; none: the whole clip"
    assert option.type_name == "float | None" and option.default is None
    assert {o.name: o for o in get("loss", "toy").options()}["limit"].description == ""
    made = asdbench.create("loss", "toy", num_classes=3, embedding_dim=8, window_s=2)
    assert made.args["window_s"] == 2
    with pytest.raises(OptionError, match="option 'window_s' must be float | None"):
        asdbench.create("loss", "toy", num_classes=3, embedding_dim=8, window_s="long")


def test_an_annotated_option_parses_from_set_text():
    from asdbench.pipeline.resolve import choose

    assert choose("loss", "toy", {"window_s": "0.25"}).options == {"window_s": 0.25}
    assert choose("loss", "toy", {"window_s": "none"}).options == {"window_s": None}
    with pytest.raises(OptionError, match="option 'window_s' must be float | None, got 'x'"):
        choose("loss", "toy", {"window_s": "x"})
