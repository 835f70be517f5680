"""Compatibility name: the i386 unicorn harness is :mod:`isrgen.arch.x86.emulation.protected_mode`."""

from isrgen.arch.x86.emulation.protected_mode import *  # noqa: F403
from isrgen.arch.x86.emulation.protected_mode import __all__ as __all__
