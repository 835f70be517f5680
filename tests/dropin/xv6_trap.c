/* The parts of xv6's C code that touch the interrupt glue (trap.c: tvinit, trap;
 * proc.c: allocproc's use of trapret), unchanged in substance. */
#include "xv6_trapframe.h"

struct gatedesc {
  uint off_15_0 : 16;
  uint cs : 16;
  uint args : 5;
  uint rsv1 : 3;
  uint type : 4;
  uint s : 1;
  uint dpl : 2;
  uint p : 1;
  uint off_31_16 : 16;
};

#define SETGATE(gate, istrap, sel, off, d)                \
{                                                         \
  (gate).off_15_0 = (uint)(off) & 0xffff;                \
  (gate).cs = (sel);                                      \
  (gate).args = 0;                                        \
  (gate).rsv1 = 0;                                        \
  (gate).type = (istrap) ? 0xF : 0xE;                     \
  (gate).s = 0;                                           \
  (gate).dpl = (d);                                       \
  (gate).p = 1;                                           \
  (gate).off_31_16 = (uint)(off) >> 16;                  \
}

#define SEG_KCODE 1
#define T_SYSCALL 64
#define DPL_USER 3

struct gatedesc idt[256];
extern uint vectors[];  // in vectors.S: array of 256 entry pointers
void trapret(void);

void
tvinit(void)
{
  int i;

  for(i = 0; i < 256; i++)
    SETGATE(idt[i], 0, SEG_KCODE<<3, vectors[i], 0);
  SETGATE(idt[T_SYSCALL], 1, SEG_KCODE<<3, vectors[T_SYSCALL], DPL_USER);
}

uint last_trapno;

void
trap(struct trapframe *tf)
{
  last_trapno = tf->trapno;
}

// allocproc: the new process's kernel stack ends with a trapframe, and
// forkret's return address is trapret.
char *
allocproc_stack(char *sp)
{
  sp -= sizeof(struct trapframe);
  sp -= 4;
  *(uint*)sp = (uint)trapret;
  return sp;
}

void kernel_entry(void) {}
