"""Compatibility name: ``isrgen verify`` lives in :mod:`isrgen.proof.verify`."""

from isrgen.proof.verify import Finding, VerifyReport, verify_elf, verify_kernel

__all__ = ["Finding", "VerifyReport", "verify_elf", "verify_kernel"]
