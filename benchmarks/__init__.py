"""isrgen benchmarks: code density, instructions per path and generator speed (``python3 benchmarks/run.py``)."""
