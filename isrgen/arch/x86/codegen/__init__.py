"""x86 instruction selection: a spec and its frame layout -> the glue program as IR."""
