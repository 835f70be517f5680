"""Defaults every ISA's spec shares.

Each ISA package keeps the table of its own keys' defaults (x86:
:mod:`isrgen.arch.x86.defaults`); what is the same for all of them is written here.
"""

from __future__ import annotations

import enum
from typing import Any

import attrs

#: the symbol prefix every default symbol pattern starts with
DEFAULT_PREFIX = "isr_"


def spelled(value: Any) -> Any:
    """A model value as a spec spells it (enum member -> its string, tuple -> list)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return [spelled(v) for v in value]
    return value


def field_default(cls: type, name: str) -> Any:
    """The attrs default of ``cls.name`` as the model holds it (a factory's product)."""
    value: Any = attrs.fields_dict(cls)[name].default
    if value is attrs.NOTHING:
        raise LookupError(f"{cls.__name__}.{name} has no default")
    return value.factory() if isinstance(value, attrs.Factory) else value  # type: ignore[arg-type]


def model_default(cls: type, name: str) -> Any:
    """The attrs default of ``cls.name`` as a spec spells it: where a table of an ISA's
    key defaults takes a value the model already holds."""
    return spelled(field_default(cls, name))


__all__ = ["DEFAULT_PREFIX", "field_default", "model_default", "spelled"]
