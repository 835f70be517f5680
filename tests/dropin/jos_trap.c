/* What JOS's C code asks of its trap glue, reduced to something that links on its own:
 * trap_init() installs the handlers by name (kern/trap.c), trap() never returns, and
 * env_pop_tf() resumes a frame itself (kern/env.c). */
#include "jos_trap.h"

extern void th_0(void), th_3(void), th_13(void), th_14(void), th_48(void), th_32(void);

static uint64_t idt[256];

static uint64_t gate(void (*handler)(void), int dpl)
{
    uint32_t off = (uint32_t) handler;
    uint32_t lo = (off & 0xffff) | (0x08u << 16); /* GD_KT */
    uint32_t hi = (off & 0xffff0000u) | 0x8e00u | ((uint32_t) dpl << 13);
    return lo | ((uint64_t) hi << 32);
}

void trap_init(void)
{
    idt[0] = gate(th_0, 0);
    idt[3] = gate(th_3, 3);
    idt[13] = gate(th_13, 0);
    idt[14] = gate(th_14, 0);
    idt[32] = gate(th_32, 0);
    idt[48] = gate(th_48, 3);
}

uint32_t last_trapno;

void env_pop_tf(struct Trapframe *tf)
{
    __asm__ volatile("movl %0, %%esp\n\tpopal\n\tpopl %%es\n\tpopl %%ds\n\taddl $0x8, %%esp\n\tiret"
                     : : "g"(tf) : "memory");
    for (;;) {
    }
}

void trap(struct Trapframe *tf)
{
    last_trapno = tf->tf_trapno;
    env_pop_tf(tf);
}

void kernel_entry(void)
{
    trap_init();
}
