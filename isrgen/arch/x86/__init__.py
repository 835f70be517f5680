"""x86: everything isrgen knows about x86_64 (long mode) and i386 (protected mode)."""
