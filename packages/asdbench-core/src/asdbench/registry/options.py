"""Component options, read from the factory's signature: listing, type checks, parsing.

A component's options are the keyword parameters of its factory, minus the context arguments
the pipeline supplies itself (``num_classes`` for a loss, ``sample_rate`` for an embedder...).
Their annotations decide how ``--set loss.subspace_dim=16`` is parsed and what is accepted.
An option is documented where it is declared, with ``typing.Annotated``: the first string in
its metadata is the description ``asdbench list`` shows::

    def __init__(self, *, num_classes: int, margin_rad: Annotated[float, "Additive angular
                 margin (radians)"] = 0.5) -> None: ...

A class that takes ``**options`` and passes them to ``super().__init__`` has its base's
options too, declared there once (:func:`inherited_from`).

A :class:`Range` in the metadata bounds a number (``Annotated[int, "Seed", Range(0, 2**32 -
1)]``): a value outside it is refused when the run is resolved, before any work.
"""

from __future__ import annotations

import inspect
import math
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from asdbench.errors import OptionError

_EMPTY = inspect.Parameter.empty


@dataclass(frozen=True)
class Range:
    """The closed interval a numeric option's value must lie in (``None``: unbounded)."""

    low: float | None = None
    high: float | None = None

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int | float) or isinstance(value, bool):
            return True  # not a number (None, a choice): the type check decides
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def __str__(self) -> str:
        low, high = (
            "" if bound is None else str(int(bound)) if bound == int(bound) else f"{bound:g}"
            for bound in (self.low, self.high)
        )
        return f"{low} to {high}" if low and high else f">= {low}" if low else f"<= {high}"


#: The seeds numpy and scikit-learn accept: a seed option's range.
SEED_RANGE = Range(0, 2**32 - 1)


@dataclass(frozen=True)
class Option:
    """One keyword option of a component factory."""

    name: str
    annotation: Any
    default: Any
    description: str = ""
    range: Range | None = None

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` has the option's type (finite, for a number) and lies in its
        range."""
        return _matches(self.annotation, value) and (self.range is None or value in self.range)

    @property
    def required(self) -> bool:
        return self.default is _EMPTY

    @property
    def type_name(self) -> str:
        shown = _type_name(self.annotation)
        return f"{shown} ({self.range})" if self.range else shown

    def describe_default(self) -> str:
        return "(required)" if self.required else repr(self.default)

    def as_json(self) -> dict[str, Any]:
        """For ``asdbench list --json``: the default as JSON where it can be, else its repr."""
        default = None if self.required else self.default
        if not isinstance(default, bool | int | float | str | type(None)):
            default = repr(default)
        return {
            "name": self.name,
            "type": self.type_name,
            "required": self.required,
            "default": default,
            "description": self.description,
            "range": None if self.range is None else [self.range.low, self.range.high],
        }


def declared(name: str, annotation: Any, default: Any) -> Option:
    """The option as declared: ``Annotated`` metadata becomes its description and range."""
    if typing.get_origin(annotation) is not typing.Annotated:
        return Option(name, annotation, default)
    base, *metadata = typing.get_args(annotation)
    texts = [" ".join(m.split()) for m in metadata if isinstance(m, str)]
    ranges = [m for m in metadata if isinstance(m, Range)]
    return Option(name, base, default, texts[0] if texts else "", ranges[0] if ranges else None)


def _type_name(annotation: Any) -> str:
    if annotation is _EMPTY:
        return "any"
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return "|".join(repr(a) for a in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in typing.get_args(annotation))
    if annotation is type(None):
        return "None"
    return getattr(annotation, "__name__", str(annotation))


def signature_of(factory: Callable[..., Any]) -> inspect.Signature:
    try:
        return inspect.signature(factory, eval_str=True)
    except (NameError, TypeError):  # annotations that cannot be evaluated: keep them as text
        return inspect.signature(factory)


def options_of(factory: Callable[..., Any], context: tuple[str, ...] = ()) -> list[Option]:
    """The user options of ``factory``, in signature order; then, for a class that passes
    ``**options`` on to its base (:func:`inherited_from`), the base's, less those the class
    declares itself or sets itself (its ``sets_options``)."""
    options = []
    for parameter in signature_of(factory).parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if parameter.name in context or parameter.kind is parameter.POSITIONAL_ONLY:
            continue
        options.append(declared(parameter.name, parameter.annotation, parameter.default))
    base = inherited_from(factory)
    if base is not None:
        taken = {o.name for o in options} | set(getattr(factory, "sets_options", ()))
        options += [o for o in options_of(base, context) if o.name not in taken]
    return options


def inherited_from(factory: Callable[..., Any]) -> type | None:
    """The class whose options ``factory`` inherits: for a class whose ``__init__`` takes
    ``**options`` (passed on with ``super().__init__(**options)``), the next class of its MRO
    with an ``__init__`` of its own, unless that is ``object``. A shared group of options (the
    ones every DCASE-layout dataset has) is so declared once, in the base; a function's
    ``**kwargs`` still accepts any keyword."""
    if not isinstance(factory, type) or not _takes_any_keyword(factory):
        return None
    base = next((c for c in factory.__mro__[1:] if "__init__" in vars(c)), object)
    return None if base is object else base


def _takes_any_keyword(factory: Callable[..., Any]) -> bool:
    return any(p.kind is p.VAR_KEYWORD for p in signature_of(factory).parameters.values())


def accepts_any_keyword(factory: Callable[..., Any]) -> bool:
    """Whether ``factory`` takes keywords it does not declare (``**kwargs`` that are not a
    base class's options)."""
    return _takes_any_keyword(factory) and inherited_from(factory) is None


def _matches(annotation: Any, value: Any) -> bool:
    if annotation is _EMPTY or annotation is Any:
        return True
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return value in typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(arg, value) for arg in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if annotation is float:  # nan and inf are no option's value: they fail an epoch later
        return (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        )
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(annotation, type):
        return isinstance(value, annotation)
    if origin is not None and isinstance(origin, type):
        return isinstance(value, origin)
    return True


def check_options(
    label: str,
    factory: Callable[..., Any],
    given: Mapping[str, Any],
    context: tuple[str, ...] = (),
) -> None:
    """Raise ``OptionError`` for an unknown option name or a value of the wrong type."""
    options = {option.name: option for option in options_of(factory, context)}
    for name, value in given.items():
        if name in context:
            continue
        option = options.get(name)
        if option is None:
            if accepts_any_keyword(factory):
                continue
            known = ", ".join(options) or "none"
            raise OptionError(f"{label} has no option {name!r}; its options: {known}")
        if not option.accepts(value):
            raise OptionError(f"{label} option {name!r} must be {_wanted(option)}, got {value!r}")


def parse_value(label: str, option: Option, text: str) -> Any:
    """Convert the text of ``--set name=text`` to the option's annotated type."""
    value = _parse(option.annotation, text.strip())
    if value is _INVALID or not option.accepts(value):
        raise OptionError(f"{label} option {option.name!r} must be {_wanted(option)}, got {text!r}")
    return value


def _wanted(option: Option) -> str:
    """What an option takes, in an error: its type, finite where it is a number."""
    return option.type_name.replace("float", "finite float")


_INVALID = object()
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _parse(annotation: Any, text: str) -> Any:
    origin = typing.get_origin(annotation)
    if origin is Literal:
        for choice in typing.get_args(annotation):
            if str(choice) == text:
                return choice
        return _INVALID
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            value = _parse(arg, text)
            if value is not _INVALID:
                return value
        return _INVALID
    if annotation is type(None):
        return None if text.lower() in {"none", "null", ""} else _INVALID
    if annotation is bool:
        lowered = text.lower()
        return True if lowered in _TRUE else False if lowered in _FALSE else _INVALID
    if annotation in (int, float):
        try:
            return annotation(text)
        except ValueError:
            return _INVALID
    if annotation is str or annotation is _EMPTY or annotation is Any:
        return text
    return _INVALID
