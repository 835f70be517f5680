"""The unicorn harness that delivers an interrupt as an x86 CPU would (long and protected mode)."""
