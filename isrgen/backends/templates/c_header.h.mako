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
    ${f.ctype} ${f.name};${"  /* " + f.comment + " */" if f.comment else ""}
% endfor
};

_Static_assert(sizeof(${view.struct}) == ${view.frame_size}, "isrgen: frame size");
% for f in view.fields:
_Static_assert(offsetof(${view.struct}, ${f.name}) == ${f.offset}, "isrgen: offset of ${f.name}");
% endfor

% for d in view.declarations:
${d}
% endfor

/* A 64-bit IDT gate descriptor (Intel SDM Vol. 3A 6.14.1). */
${view.gate_struct} {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;        /* 1-7 selects the TSS's ist[n - 1]; 0 = no stack switch */
    uint8_t type_attr;  /* present, DPL, interrupt (0xE) or trap (0xF) gate */
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
};
_Static_assert(sizeof(${view.gate_struct}) == 16, "isrgen: IDT gate size");

/* Fill a 256-entry IDT from the generated table and gate attributes. */
static inline void ${view.idt_fill}(${view.gate_struct} *idt, uint16_t code_selector)
{
    for (unsigned v = 0; v < ${view.vector_count_macro}; v++) {
        uint64_t addr = (uint64_t)${view.table}[v];
        idt[v].offset_low = (uint16_t)addr;
        idt[v].selector = ${view.gates}[v][0] ? code_selector : 0;
        idt[v].ist = ${view.gates}[v][1];
        idt[v].type_attr = ${view.gates}[v][0];
        idt[v].offset_mid = (uint16_t)(addr >> 16);
        idt[v].offset_high = (uint32_t)(addr >> 32);
        idt[v].reserved = 0;
    }
}

#endif /* ${view.guard} */
