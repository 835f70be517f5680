"""Where the spec writes the option a resolved object carries, so that an error
caused by it points at that key rather than at a section header."""

from __future__ import annotations

from typing import Any

from isrgen.arch.x86.model import X86Vector
from isrgen.spec.resolve.base import ResolverBase
from isrgen.spec.yamlsource import Path


class OptionPaths(ResolverBase):
    """Paths of vector options and layout items (mixed into the semantic pass)."""

    def option_path(self, v: X86Vector, key: str) -> Path:
        """The key that gives vector ``v`` its option ``key``: in its ``vectors`` entry, else
        in its class's defaults, else the entry itself."""
        path = self.vector_path(v)
        if path + (key,) in self.loc.values:
            return path + (key,)
        in_class = ("classes", v.vector_class.value, key)
        if in_class in self.loc.values:
            return in_class
        return path

    def layout_item_path(self, role: str) -> Path | None:
        """The ``frame.layout`` item that is (or renames) slot ``role``, if the spec writes one."""
        layout: Any = self.block("frame").get("layout")
        for i, item in enumerate(layout if isinstance(layout, list) else []):
            if item == role or (isinstance(item, dict) and role in item):
                return ("frame", "layout", i)
        return None
