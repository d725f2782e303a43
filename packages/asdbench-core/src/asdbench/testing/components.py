"""What the conformance kits share: resolving the component under test and its options."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pytest

from asdbench.contracts import KINDS
from asdbench.registry.components import get
from asdbench.registry.options import options_of


class ComponentKit:
    """Set ``factory`` (the class, a factory or the registered name), ``options`` (passed to
    every construction), and, for every option of the factory, another valid value in
    ``option_variants`` (it must change what the component does) and/or a value the
    constructor must refuse in ``invalid_options``."""

    kind: ClassVar[str]
    factory: ClassVar[Callable[..., Any] | str]
    options: ClassVar[dict[str, Any]] = {}
    option_variants: ClassVar[dict[str, Any]] = {}
    invalid_options: ClassVar[dict[str, Any]] = {}
    #: Arguments a variant needs to show its effect, given to it and to the component it is
    #: compared with (an embedder's pooling that differs only on clips over 18 s).
    variant_context: ClassVar[dict[str, dict[str, Any]]] = {}
    #: Options whose variant cannot change anything for this component, each with the reason
    #: (a dataset whose every test clip's class has training clips ignores ``classes``); the
    #: kit checks that they indeed change nothing, so the list cannot hide an ignored option.
    inert_options: ClassVar[dict[str, str]] = {}
    #: What ``behaviour`` looks at, as a failure names it.
    looks_at: ClassVar[str]

    def resolved(self) -> Callable[..., Any]:
        if isinstance(self.factory, str):
            return get(self.kind, self.factory).spec.resolve()
        return self.factory

    def context(self) -> dict[str, Any]:
        """The arguments the pipeline passes itself (sizes)."""
        return {}

    def make(self, **overrides: Any) -> Any:
        return self.resolved()(**{**self.context(), **self.options, **overrides})

    def test_unknown_option_is_rejected(self) -> None:
        """A misspelt option must fail, not be ignored. Fix: do not accept ``**kwargs`` you
        do not use."""
        with pytest.raises(TypeError):
            self.make(no_such_option_xyz=1)

    def test_invalid_options_are_rejected(self) -> None:
        """Values the component cannot use fail at construction with ``ValueError`` (a run
        reports them in one line before any work), not in the middle of a run."""
        for name, value in self.invalid_options.items():
            try:
                self.make(**{name: value})
            except ValueError:
                continue
            pytest.fail(
                f"invalid_options: {name}={value!r} was accepted; the constructor must raise "
                "ValueError for it (or drop it from invalid_options)"
            )

    def test_every_option_is_covered(self) -> None:
        """Every option must be exercised: list another valid value in ``option_variants`` or
        a value to refuse in ``invalid_options``."""
        context = KINDS[self.kind].context
        names = {o.name for o in options_of(self.resolved(), context)}
        missing = names - set(self.option_variants) - set(self.invalid_options)
        assert not missing, f"options not covered by the conformance tests: {sorted(missing)}"

    def build(self, **overrides: Any) -> Any:
        """The component whose ``behaviour`` is compared (an embedder's under a fixed seed)."""
        return self.make(**overrides)

    def behaviour(self, component: Any) -> Any:
        """What ``component`` does that an option may change, as a value ``same`` compares:
        each kit says what it looks at (a back end's scores, an embedder's outputs...)."""
        raise NotImplementedError

    def test_option_variants_change_behaviour(self) -> None:
        """An option that changes nothing is a silent bug (an ignored keyword, or a variant
        equal to the default): every listed valid value builds a component that behaves
        differently from the one built with ``options`` alone (``behaviour``)."""
        base = self.behaviour(self.build())
        for name, value in self.option_variants.items():
            extra = self.variant_context.get(name, {})
            reference = self.behaviour(self.build(**extra)) if extra else base
            variant = self.behaviour(self.build(**extra, **{name: value}))
            if name in self.inert_options:
                assert _same(reference, variant), (
                    f"inert_options: {name}={value!r} changed what the component does; remove "
                    f"it from inert_options ({self.inert_options[name]})"
                )
                continue
            assert not _same(reference, variant), (
                f"option_variants: {name}={value!r} changed nothing the kit looks at "
                f"({self.looks_at}): an ignored option, or a variant equal to the default"
            )

    def test_numerics_version_is_text(self) -> None:
        """A declared ``numerics_version`` keys the trial cache: it must be a string."""
        declared = getattr(self.resolved(), "numerics_version", None)
        assert declared is None or isinstance(declared, str)


def _same(a: Any, b: Any) -> bool:
    """Exact equality through tuples, lists and dicts of arrays, tensors and plain values (a
    variant that moves a score by one ulp has changed it)."""
    import numpy as np

    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        return (
            type(a) is type(b)
            and len(a) == len(b)
            and all(_same(x, y) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, dict) or isinstance(b, dict):
        return type(a) is type(b) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    if hasattr(b, "detach"):
        b = b.detach().cpu().numpy()
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    return bool(a == b)
