/* The GDT (flat ring-0 code and data) and the IDT, filled by the generated helper. */
#include "kernel.h"

struct table_register {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed));

/* Flat 4 GiB segments, 32-bit, granularity 4 KiB (Intel SDM Vol. 3A 3.4.5). */
static const uint64_t gdt[] = {
    0,
    0x00cf9a000000ffffull, /* KCODE: execute/read, DPL 0 */
    0x00cf92000000ffffull, /* KDATA: read/write, DPL 0 */
};

static struct isr_idt_gate idt[ISR_VECTOR_COUNT];

void gdt_init(void)
{
    struct table_register r = {sizeof gdt - 1, (uint32_t)(uintptr_t)gdt};
    /* A far jump reloads CS; the data segments are loaded from KDATA. */
    __asm__ volatile("lgdt %0\n\t"
                     "ljmp %1, $1f\n"
                     "1:\n\t"
                     "mov %2, %%ax\n\t"
                     "mov %%ax, %%ds\n\t"
                     "mov %%ax, %%es\n\t"
                     "mov %%ax, %%fs\n\t"
                     "mov %%ax, %%gs\n\t"
                     "mov %%ax, %%ss"
                     :
                     : "m"(r), "i"(KCODE), "i"(KDATA)
                     : "eax", "memory");
}

void idt_init(void)
{
    isr_idt_fill(idt, KCODE);
    struct table_register r = {sizeof idt - 1, (uint32_t)(uintptr_t)idt};
    __asm__ volatile("lidt %0" : : "m"(r));
}
