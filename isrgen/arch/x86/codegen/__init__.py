"""x86 instruction selection: a spec and its frame layout -> the glue program as IR,
split by concern: ``stubs``, ``entry`` (common entries), ``exit``, ``syscall``,
``halt`` and ``tables``, put together by ``program``; ``registers`` lists the
registers the generated code reserves (the spec checks read them)."""
