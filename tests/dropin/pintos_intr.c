/* What Pintos' C code asks of its interrupt glue, reduced to something that links on
 * its own: intr_init() builds the IDT from the stub table (threads/interrupt.c),
 * intr_handler() is the function intr_entry calls, and start_process()
 * (userprog/process.c) enters intr_exit with the stack pointer at a frame it made. */
#include "pintos_interrupt.h"

extern void *intr_stubs[256];
void intr_exit(void);

static uint64_t idt[256];

static uint64_t
make_gate(void *function, int dpl, int type)
{
  uint32_t addr = (uint32_t) function;
  uint32_t low = (addr & 0xffff) | (0x08u << 16);        /* SEL_KCSEG */
  uint32_t high = (addr & 0xffff0000u) | (1u << 15) | ((uint32_t) dpl << 13) | ((uint32_t) type << 8);
  return low | ((uint64_t) high << 32);
}

void
intr_init(void)
{
  for (int i = 0; i < 256; i++)
    idt[i] = make_gate(intr_stubs[i], 0, 14);
  idt[0x30] = make_gate(intr_stubs[0x30], 3, 15);
}

unsigned last_vec_no;
unsigned last_error_code;

void
intr_handler(struct intr_frame *frame)
{
  last_vec_no = frame->vec_no;
  last_error_code = frame->error_code;
}

void
start_process(struct intr_frame *if_)
{
  __asm__ volatile ("movl %0, %%esp; jmp intr_exit" : : "g" (if_) : "memory");
  __builtin_unreachable();
}

void
kernel_entry(void)
{
  static struct intr_frame first;
  intr_init();
  start_process(&first);
}
