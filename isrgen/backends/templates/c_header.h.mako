/* ${view.banner} */
#ifndef ${view.guard}
#define ${view.guard}

#include <stddef.h>
#include <stdint.h>

/* The header serves C11 and C++ kernels alike. */
#ifdef __cplusplus
#define ${view.static_assert_macro}(cond, message) static_assert(cond, message)
#define ${view.noreturn_macro} [[noreturn]]
extern "C" {
#else
#define ${view.static_assert_macro}(cond, message) _Static_assert(cond, message)
#define ${view.noreturn_macro} _Noreturn
#endif

% for c in view.constants:
#define ${c.name} ${c.value}
% endfor

/* Vector numbers */
% for c in view.vector_constants:
#define ${c.name} ${c.value}
% endfor

/* The interrupt frame, low address first; the handler receives a pointer to it. */
${view.struct} {
% for f in view.fields:
    ${f.ctype} ${f.name}${f.suffix};${"  /* " + f.comment + " */" if f.comment else ""}
% endfor
};

${view.static_assert_macro}(sizeof(${view.struct}) == ${view.frame_size}, "isrgen: frame size");
% for f in view.fields:
${view.static_assert_macro}(offsetof(${view.struct}, ${f.name}) == ${f.offset}, "isrgen: offset of ${f.name}");
% endfor

% for d in view.declarations:
${d}
% endfor

% if view.gate_struct:
/* ${view.gate_comment} */
${view.gate_struct} {
% for f in view.gate_fields:
    ${f.ctype} ${f.name};${"  /* " + f.comment + " */" if f.comment else ""}
% endfor
};
${view.static_assert_macro}(sizeof(${view.gate_struct}) == ${view.gate_size}, "isrgen: IDT gate size");

% endif
% for line in view.idt_fill_lines:
${line}
% endfor

#ifdef __cplusplus
}
#endif

#endif /* ${view.guard} */
