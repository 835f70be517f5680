/* What a JamesM-style kernel's C code asks of its interrupt glue, reduced to something
 * that links on its own: the IDT set-up names each stub (descriptor_tables.c), and the
 * two handlers take the register frame by value (isr.c). */
#include "jamesm_registers.h"

extern void isr0(), isr8(), isr13(), isr14(), isr31();
extern void irq0(), irq1(), irq15();

typedef struct idt_entry {
    unsigned short base_lo, sel;
    unsigned char always0, flags;
    unsigned short base_hi;
} __attribute__((packed)) idt_entry_t;

static idt_entry_t idt_entries[256];

static void idt_set_gate(unsigned char num, u32int base, unsigned short sel, unsigned char flags)
{
    idt_entries[num].base_lo = base & 0xFFFF;
    idt_entries[num].base_hi = (base >> 16) & 0xFFFF;
    idt_entries[num].sel = sel;
    idt_entries[num].always0 = 0;
    idt_entries[num].flags = flags;
}

u32int last_int_no, last_err_code, last_irq;

void isr_handler(registers_t regs)
{
    last_int_no = regs.int_no;
    last_err_code = regs.err_code;
}

void irq_handler(registers_t regs)
{
    last_irq = regs.int_no - 32;
}

void kernel_entry(void)
{
    idt_set_gate(0, (u32int) isr0, 0x08, 0x8E);
    idt_set_gate(8, (u32int) isr8, 0x08, 0x8E);
    idt_set_gate(13, (u32int) isr13, 0x08, 0x8E);
    idt_set_gate(14, (u32int) isr14, 0x08, 0x8E);
    idt_set_gate(31, (u32int) isr31, 0x08, 0x8E);
    idt_set_gate(32, (u32int) irq0, 0x08, 0x8E);
    idt_set_gate(33, (u32int) irq1, 0x08, 0x8E);
    idt_set_gate(47, (u32int) irq15, 0x08, 0x8E);
}
