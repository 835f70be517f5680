"""Compatibility name: the x86_64 unicorn harness is :mod:`isrgen.arch.x86.emulation.long_mode`."""

from isrgen.arch.x86.emulation.long_mode import *  # noqa: F403
from isrgen.arch.x86.emulation.long_mode import __all__ as __all__
