/* M-mode entry, the M-mode trap vector, and small assembly helpers of the kernel. */
#include "abi.h"

    .section .text.boot, "ax", @progbits
    .globl _start
_start:
    /* QEMU virt with -bios none: every hart starts here in M-mode; hart 0 boots */
    csrr t0, mhartid
    bnez t0, park
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    la sp, machine_stack_top
    call machine_start          /* sets up M-mode and mrets to S-mode; never returns */
park:
    wfi
    j park

/* mtvec in vectored mode (privileged spec 3.1.7): exceptions at BASE, interrupt n at
 * BASE + 4n. Only the machine timer interrupt is expected (it goes to the generated
 * forwarding entry); everything else is a kernel bug reported from M-mode. */
    .balign 256
    .globl machine_vector
machine_vector:
    .option push
    .option norvc
    j machine_fatal             /* 0: exceptions not delegated to S-mode */
    .rept 6
    j machine_fatal             /* 1-6 */
    .endr
    j timervec                  /* 7: machine timer interrupt */
    .rept 8
    j machine_fatal             /* 8-15 */
    .endr
    .option pop

machine_fatal:
    la sp, machine_stack_top
    call machine_trap           /* reports mcause/mepc/mtval, exits through the finisher */
1:  j 1b

/* S-mode fault probes: each loads known values into s2-s11 so the handler's register dump
 * shows them, faults on one instruction, and is resumed at the next. */
.macro probe_values
    addi sp, sp, -80
    sd s2, 0(sp); sd s3, 8(sp); sd s4, 16(sp); sd s5, 24(sp); sd s6, 32(sp)
    sd s7, 40(sp); sd s8, 48(sp); sd s9, 56(sp); sd s10, 64(sp); sd s11, 72(sp)
    li s2, 0x2222222222222222
    li s3, 0x3333333333333333
    li s4, 0x4444444444444444
    li s5, 0x5555555555555555
    li s6, 0x6666666666666666
    li s7, 0x7777777777777777
    li s8, 0x8888888888888888
    li s9, 0x9999999999999999
    li s10, 0xaaaaaaaaaaaaaaaa
    li s11, 0xbbbbbbbbbbbbbbbb
.endm
.macro probe_done
    ld s2, 0(sp); ld s3, 8(sp); ld s4, 16(sp); ld s5, 24(sp); ld s6, 32(sp)
    ld s7, 40(sp); ld s8, 48(sp); ld s9, 56(sp); ld s10, 64(sp); ld s11, 72(sp)
    addi sp, sp, 80
    ret
.endm

    .option push
    .option norvc
    .globl probe_load_fault
probe_load_fault:
    probe_values
    li a0, 0x8
    ld a0, 0(a0)                /* nothing is mapped at 0: load page fault */
    probe_done

    .globl probe_store_fault
probe_store_fault:
    probe_values
    sd s3, 0(a0)                /* a read-only page: store page fault */
    probe_done

    .globl probe_illegal
probe_illegal:
    probe_values
    .word 0                     /* all-zero bits: an illegal instruction (unprivileged spec 26.1) */
    probe_done
    .option pop

    .section .rodata
    .balign 8
    .globl rodata_probe
rodata_probe:
    .8byte 0x0123456789abcdef

    .data
    .balign 4
    .globl exec_probe
exec_probe:
    ret                         /* in a data page: fetching it is an instruction page fault */

    .bss
    .balign 16
    .space 4096
machine_stack_top:
