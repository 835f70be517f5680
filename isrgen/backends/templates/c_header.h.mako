/* ${view.banner} */
#ifndef ${view.guard}
#define ${view.guard}

#include <stddef.h>
#include <stdint.h>

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

_Static_assert(sizeof(${view.struct}) == ${view.frame_size}, "isrgen: frame size");
% for f in view.fields:
_Static_assert(offsetof(${view.struct}, ${f.name}) == ${f.offset}, "isrgen: offset of ${f.name}");
% endfor

% for d in view.declarations:
${d}
% endfor

/* An IDT gate descriptor (Intel SDM Vol. 3A 6.11, 6.14.1). */
${view.gate_struct} {
% for f in view.gate_fields:
    ${f.ctype} ${f.name};${"  /* " + f.comment + " */" if f.comment else ""}
% endfor
};
_Static_assert(sizeof(${view.gate_struct}) == ${view.gate_size}, "isrgen: IDT gate size");

% for line in view.idt_fill_lines:
${line}
% endfor

#endif /* ${view.guard} */
