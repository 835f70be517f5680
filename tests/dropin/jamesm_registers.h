/* The register frame of JamesM's kernel development tutorials (isr.h), written out
 * member by member to check isrgen's frame against it: every member is a u32int. */
#pragma once

typedef unsigned int u32int;

typedef struct registers {
    u32int ds;                                     /* the data segment selector, saved first */
    u32int edi, esi, ebp, esp, ebx, edx, ecx, eax; /* pusha */
    u32int int_no, err_code;                       /* pushed by the isrN/irqN stub (and the CPU) */
    u32int eip, cs, eflags, useresp, ss;           /* pushed by the CPU */
} registers_t;
