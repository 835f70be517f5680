"""Compatibility name: writing a model back as YAML lives in :mod:`isrgen.arch.x86.dump`."""

from isrgen.arch.x86.dump import dump_spec

__all__ = ["dump_spec"]
