/* The parts of mittos64's C code (github.com/thomasloven/mittos64, src/kernel/cpu/interrupts.c) that touch
 * the interrupt glue, unchanged: they must compile and link against isrgen's output. */
#include <stdint.h>
#include "mittos64_registers.h"

#define NUM_INTERRUPTS 256
#define IDT_PRESENT 0x80
#define IDT_DPL0 0x00
#define IDT_INTERRUPT 0x0E

struct idt
{
  uint16_t base_l;
  uint16_t cs;
  uint8_t ist;
  uint8_t flags;
  uint16_t base_m;
  uint32_t base_h;
  uint32_t _;
} __attribute__((packed)) idt[NUM_INTERRUPTS];

extern uintptr_t isr_table[];
extern void isr_return(registers *r);

typedef registers *(*int_handler_t)(registers *);
int_handler_t int_handlers[NUM_INTERRUPTS];

void interrupt_init(void)
{
  for (int i = 0; i < NUM_INTERRUPTS; i++)
  {
    idt[i].base_l = isr_table[i] & 0xFFFF;
    idt[i].base_m = (isr_table[i] >> 16) & 0xFFFF;
    idt[i].base_h = (isr_table[i] >> 32) & 0xFFFFFFFF;
    idt[i].cs = 0x8;
    idt[i].ist = 0;
    idt[i].flags = IDT_PRESENT | IDT_DPL0 | IDT_INTERRUPT;
  }
}

registers *int_handler(registers *r)
{
  if (int_handlers[r->int_no])
    return int_handlers[r->int_no](r);
  for (;;)
    ;
}

/* enter user mode the way mittos64 does: a faked interrupt frame given to isr_return */
void start_thread(registers *r)
{
  isr_return(r);
}
