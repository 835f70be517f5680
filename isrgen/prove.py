"""Compatibility name: ``isrgen prove`` lives in :mod:`isrgen.proof.prove`."""

from isrgen.proof.prove import ProofReport, ProofRow, Transform, choose_backends, prove, required_tools

__all__ = ["ProofReport", "ProofRow", "Transform", "choose_backends", "prove", "required_tools"]
