"""Messages for requests the aarch64 generator cannot serve."""

from __future__ import annotations

from ...diagnostics import UsageError


def unsupported_backend_text(backend: str, available: tuple[str, ...]) -> str:
    """Why ``backend`` cannot render an aarch64 spec: ``nasm`` is x86 only, others do not exist for it."""
    why = "NASM assembles x86 only" if backend == "nasm" else "not available for aarch64"
    return f"backend {backend!r} cannot be used with arch: aarch64 ({why}); available: {', '.join(available)}"


def unsupported_backend(backend: str, available: tuple[str, ...]) -> UsageError:
    """``nasm`` (x86 only) or a backend not written for aarch64 yet."""
    return UsageError(unsupported_backend_text(backend, available))
