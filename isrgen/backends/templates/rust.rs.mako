// ${view.banner}
//
// Interrupt stubs, common entry, exit path and vector table (in `global_asm!`), the
// matching `#[repr(C)]` frame struct and the declarations of every symbol.
// Use it as a module of a `#![no_std]` crate (`#[path = "isr.rs"] mod isr;`) or
// paste it with `include!` (it has no inner attributes, so both work).
// The assembly is Intel syntax, rustc's default for `global_asm!` (the GAS and NASM
// outputs use Intel syntax too, so all three spell the same instructions).

pub use self::isrgen_glue::*;

#[allow(dead_code, non_upper_case_globals, non_snake_case)]
mod isrgen_glue {

% for c in view.constants:
/// ${c.doc}
pub const ${c.name}: ${c.rtype} = ${c.value};
% endfor

// Vector numbers.
% for c in view.vector_constants:
pub const ${c.name}: ${c.rtype} = ${c.value};
% endfor

/// The interrupt frame, low address first; handlers receive a pointer to it.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ${view.struct} {
% for f in view.fields:
    /// ${f.doc}
    pub ${f.name}: ${f.rtype},
% endfor
}

impl ${view.struct} {
% for m in view.methods:
    /// ${m.doc}
    #[inline]
    pub const fn ${m.signature} {
        ${m.body}
    }
% endfor
}

// A layout that differs from the assembly's does not compile.
const _: () = assert!(core::mem::size_of::<${view.struct}>() == ${view.frame_size});
% for f in view.fields:
const _: () = assert!(core::mem::offset_of!(${view.struct}, ${f.name}) == ${f.offset});
% endfor

% if view.gate:
/// ${view.gate.doc}
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ${view.gate.struct} {
% for f in view.gate.fields:
    /// ${f.doc}
    pub ${f.name}: ${f.rtype},
% endfor
}

const _: () = assert!(core::mem::size_of::<${view.gate.struct}>() == ${view.gate.size});
% for f in view.gate.fields:
const _: () = assert!(core::mem::offset_of!(${view.gate.struct}, ${f.name}) == ${f.offset});
% endfor
% if view.gate.fill_signature:

% for line in view.gate.fill_doc:
///${" " + line if line else ""}
% endfor
${view.gate.fill_signature} {
% for line in view.gate.fill_setup:
    ${line}
% endfor
    for v in 0..VECTOR_COUNT {
% for line in view.gate.fill_lines:
        ${line}
% endfor
    }
}
% endif

% endif
unsafe extern "C" {
% for d in view.functions:
    ${d}
% endfor
% for d in view.statics:
    ${d}
% endfor
}

core::arch::global_asm!(
% for line in view.asm_lines:
    ${line},
% endfor
);
}
