"""Checking generated glue: toolchain, ELF reading, linked images, ``prove`` and ``verify``."""
