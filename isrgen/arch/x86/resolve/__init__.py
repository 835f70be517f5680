"""The x86 spec's semantic pass, one module per part of the spec (:mod:`.spec` drives it)."""
