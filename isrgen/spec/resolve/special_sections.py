"""ELF sections whose contents the toolchain or the loader interprets.

Code or a vector table placed there is read as something else: the unwinder
parses ``.eh_frame``, start-up code calls every word of ``.init_array`` (System V
gABI "Special Sections"), a debugger parses ``.debug*``, ``.note*`` holds
notes the linker and loader read, a TLS section is copied per thread and
addressed relative to the thread pointer, and the dynamic-linking sections are
written by the linker itself.
"""

from __future__ import annotations

#: (section name, why it cannot hold code or a table); a name also covers ``name.*``
_SPECIAL: tuple[tuple[str, str], ...] = (
    (".eh_frame", "the unwinder parses it as call frame information"),
    (".eh_frame_hdr", "the unwinder parses it as an index of call frame information"),
    (".gcc_except_table", "the C++ runtime parses it as exception tables"),
    (".init_array", "start-up code calls every address in it as a constructor"),
    (".fini_array", "exit code calls every address in it as a destructor"),
    (".preinit_array", "start-up code calls every address in it before constructors"),
    (".ctors", "start-up code calls every address in it as a constructor"),
    (".dtors", "exit code calls every address in it as a destructor"),
    (".note", "it holds notes the linker and loader interpret (and is not executable)"),
    (".tdata", "it is thread-local: a copy per thread, addressed from the thread pointer"),
    (".tbss", "it is thread-local: a copy per thread, addressed from the thread pointer"),
    (".comment", "it is not loaded"),
    (".stab", "a debugger parses it and it is not loaded"),
    (".got", "the linker fills it with the global offset table"),
    (".plt", "the linker fills it with procedure linkage stubs"),
    (".dynamic", "the linker fills it with dynamic-linking information"),
    (".interp", "it names the program interpreter"),
    (".symtab", "it is the symbol table"),
    (".strtab", "it is a string table"),
    (".shstrtab", "it is the section name table"),
)
#: prefixes of whole families: .debug_info, .zdebug_line, .rela.text, .rel.dyn, .gnu.version_r
_FAMILIES: tuple[tuple[str, str], ...] = (
    (".debug", "a debugger parses it as debug information and it is not loaded"),
    (".zdebug", "a debugger parses it as compressed debug information and it is not loaded"),
    (".rela.", "it holds relocations"),
    (".rel.", "it holds relocations"),
    (".gnu.version", "the dynamic linker reads it as symbol versions"),
    (".gnu.hash", "the dynamic linker reads it as a symbol hash table"),
    (".gnu.attributes", "the linker reads it as object attributes"),
    (".gnu.lto_", "the linker reads it as LTO bytecode"),
    (".llvm", "LLVM's toolchain interprets it"),
)


def special_section_reason(name: str) -> str | None:
    """Why ``name`` cannot hold generated code or a vector table, or None when it can."""
    if name in (".init", ".fini"):  # (.init.text, Linux's boot-time code, is ordinary)
        return "start-up or exit code runs it as the body of the init or fini function"
    for special, reason in _SPECIAL:
        if name == special or name.startswith(special + "."):
            return reason
    for prefix, reason in _FAMILIES:
        if name.startswith(prefix):
            return reason
    return None
