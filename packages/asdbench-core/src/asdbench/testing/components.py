"""What the conformance kits share: resolving the component under test and its options."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pytest

from asdbench.plugins.options import options_of
from asdbench.plugins.registry import get
from asdbench.plugins.specs import SPEC_TYPES


class ComponentKit:
    """Set ``factory`` (the class, a factory or the registered name), ``options`` (passed to
    every construction), and, for every option of the factory, another valid value in
    ``option_variants`` and/or a value the constructor must refuse in ``invalid_options``."""

    kind: ClassVar[str]
    factory: ClassVar[Callable[..., Any] | str]
    options: ClassVar[dict[str, Any]] = {}
    option_variants: ClassVar[dict[str, Any]] = {}
    invalid_options: ClassVar[dict[str, Any]] = {}

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
        context = SPEC_TYPES[self.kind].context
        names = {o.name for o in options_of(self.resolved(), context)}
        missing = names - set(self.option_variants) - set(self.invalid_options)
        assert not missing, f"options not covered by the conformance tests: {sorted(missing)}"

    def test_option_variants_can_be_built(self) -> None:
        """Every listed valid value builds a component."""
        for name, value in self.option_variants.items():
            assert self.make(**{name: value}) is not None, name

    def test_numerics_version_is_text(self) -> None:
        """A declared ``numerics_version`` keys the trial cache: it must be a string."""
        declared = getattr(self.resolved(), "numerics_version", None)
        assert declared is None or isinstance(declared, str)
