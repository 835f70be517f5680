"""Compatibility name: writing a model back as YAML lives in :mod:`isrgen.spec.dump`."""

from isrgen.spec.dump import dump_spec

__all__ = ["dump_spec"]
