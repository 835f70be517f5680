/* JOS's trap frame (inc/trap.h), written out to check isrgen's frame against it.  JOS
 * nests the pushal registers in a packed struct PushRegs tf_regs; here they are
 * members of the frame itself, at the same offsets. */
#pragma once
#include <stdint.h>

struct Trapframe {
    /* struct PushRegs tf_regs: as pushed by pusha */
    uint32_t reg_edi;
    uint32_t reg_esi;
    uint32_t reg_ebp;
    uint32_t reg_oesp; /* useless */
    uint32_t reg_ebx;
    uint32_t reg_edx;
    uint32_t reg_ecx;
    uint32_t reg_eax;
    uint16_t tf_es;
    uint16_t padding1;
    uint16_t tf_ds;
    uint16_t padding2;
    uint32_t tf_trapno;
    /* below here defined by x86 hardware */
    uint32_t tf_err;
    uint32_t tf_eip;
    uint16_t tf_cs;
    uint16_t padding3;
    uint32_t tf_eflags;
    /* below here only when crossing rings */
    uint32_t tf_esp;
    uint16_t tf_ss;
    uint16_t padding4;
} __attribute__((packed));
