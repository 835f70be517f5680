"""Stage 1, reading a spec: YAML with source locations, the JSON-schema check, the loader
and its resolve passes (spec text -> validated model), and dumping a model back to YAML."""
