"""Component options, read from the factory's signature: listing, type checks, parsing.

A component's options are the keyword parameters of its factory, minus the context arguments
the pipeline supplies itself (``num_classes`` for a loss, ``sample_rate`` for an embedder...).
Their annotations decide how ``--set loss.subspace_dim=16`` is parsed and what is accepted.
An option is documented where it is declared, with ``typing.Annotated``: the first string in
its metadata is the description ``asdbench list`` shows::

    def __init__(self, *, num_classes: int, margin_rad: Annotated[float, "Additive angular
                 margin (radians)"] = 0.5) -> None: ...
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from asdbench.errors import OptionError

_EMPTY = inspect.Parameter.empty


@dataclass(frozen=True)
class Option:
    """One keyword option of a component factory."""

    name: str
    annotation: Any
    default: Any
    description: str = ""

    @property
    def required(self) -> bool:
        return self.default is _EMPTY

    @property
    def type_name(self) -> str:
        return _type_name(self.annotation)

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
        }


def declared(name: str, annotation: Any, default: Any) -> Option:
    """The option as declared: ``Annotated`` metadata becomes its description."""
    base, description = _unannotated(annotation)
    return Option(name, base, default, description)


def _unannotated(annotation: Any) -> tuple[Any, str]:
    """The type inside ``Annotated[type, "description", ...]`` and the description."""
    if typing.get_origin(annotation) is not typing.Annotated:
        return annotation, ""
    base, *metadata = typing.get_args(annotation)
    texts = [" ".join(m.split()) for m in metadata if isinstance(m, str)]
    return base, texts[0] if texts else ""


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
    """The user options of ``factory``, in signature order."""
    options = []
    for parameter in signature_of(factory).parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if parameter.name in context or parameter.kind is parameter.POSITIONAL_ONLY:
            continue
        options.append(declared(parameter.name, parameter.annotation, parameter.default))
    return options


def accepts_any_keyword(factory: Callable[..., Any]) -> bool:
    return any(p.kind is p.VAR_KEYWORD for p in signature_of(factory).parameters.values())


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
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
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
        if not _matches(option.annotation, value):
            raise OptionError(f"{label} option {name!r} must be {option.type_name}, got {value!r}")


def parse_value(label: str, option: Option, text: str) -> Any:
    """Convert the text of ``--set name=text`` to the option's annotated type."""
    value = _parse(option.annotation, text.strip())
    if value is _INVALID or not _matches(option.annotation, value):
        raise OptionError(
            f"{label} option {option.name!r} must be {option.type_name}, got {text!r}"
        )
    return value


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
