/* EL0 code in assembler (section .user_text: EL0-executable, never EL1-executable). */
#include "abi.h"

#define ALL_X 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30
#define ALL_Q 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31

/* AAPCS64 callee-saved state (x19-x30, d8-d15) onto the caller's stack; then the
 * area in x0 becomes the stack (SP is one of the checked registers). */
.macro enter_area
    stp x29, x30, [sp, #-160]!
    stp x19, x20, [sp, #16]
    stp x21, x22, [sp, #32]
    stp x23, x24, [sp, #48]
    stp x25, x26, [sp, #64]
    stp x27, x28, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mov x1, sp
    str x1, [x0, #RC_SAVED_SP]
    mov sp, x0
.endm

.macro leave_area
    ldr x1, [sp, #RC_SAVED_SP]
    mov sp, x1
    ldp d14, d15, [sp, #144]
    ldp d12, d13, [sp, #128]
    ldp d10, d11, [sp, #112]
    ldp d8, d9, [sp, #96]
    ldp x27, x28, [sp, #80]
    ldp x25, x26, [sp, #64]
    ldp x23, x24, [sp, #48]
    ldp x21, x22, [sp, #32]
    ldp x19, x20, [sp, #16]
    ldp x29, x30, [sp], #160
    ret
.endm

.macro load_fp_patterns
    ldr x0, [sp, #RC_FPCR]
    msr fpcr, x0
    ldr x0, [sp, #RC_FPSR]
    msr fpsr, x0
    .irp n, ALL_Q
    ldr q\n, [sp, #(RC_Q + 16 * \n)]
    .endr
.endm

.macro store_fp base
    .irp n, ALL_Q
    str q\n, [sp, #(\base + RC_Q + 16 * \n)]
    .endr
    mrs x0, fpcr
    str x0, [sp, #(\base + RC_FPCR)]
    mrs x0, fpsr
    str x0, [sp, #(\base + RC_FPSR)]
.endm

    .section .user_text, "ax"

/* void regcheck_round(struct regcheck_area *area): load every GPR, NZCV, SP,
 * q0-q31, FPCR and FPSR from area->want, keep them live for RC_WFI_PER_ROUND
 * timer interrupts (32 nops and a wfi each: the next timer interrupt switches
 * to the other task), then store them all to area->got. */
    .global regcheck_round
regcheck_round:
    enter_area
    load_fp_patterns
    ldr x0, [sp, #RC_NZCV]
    msr nzcv, x0
    .irp n, ALL_X
    ldr x\n, [sp, #(RC_X + 8 * \n)]
    .endr
    .rept RC_WFI_PER_ROUND
    .rept 32
    nop
    .endr
    wfi
    .endr
    .irp n, ALL_X
    str x\n, [sp, #(RC_OUT + RC_X + 8 * \n)]
    .endr
    mrs x0, nzcv
    str x0, [sp, #(RC_OUT + RC_NZCV)]
    mov x0, sp
    str x0, [sp, #(RC_OUT + RC_SP)]
    store_fp RC_OUT
    leave_area

/* void svc_probe(struct regcheck_area *area): load x0-x30 and q0-q31 from
 * area->want (x8 = the call number, x0-x5 the arguments, the rest nonzero), svc,
 * then store x0 to got.x[0], a mask of the nonzero x1-x30 to got.x[1], SP to
 * got.sp and q0-q31 to got.q. */
    .global svc_probe
svc_probe:
    enter_area
    load_fp_patterns
    .irp n, ALL_X
    ldr x\n, [sp, #(RC_X + 8 * \n)]
    .endr
    svc #0
    str x0, [sp, #(RC_OUT + RC_X)]
    cmp x1, #0
    cset x0, ne
    lsl x0, x0, #1
    .irp n, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30
    cbz x\n, 1f
    orr x0, x0, #(1 << \n)
1:
    .endr
    str x0, [sp, #(RC_OUT + RC_X + 8)]
    mov x0, sp
    str x0, [sp, #(RC_OUT + RC_SP)]
    store_fp RC_OUT
    leave_area

/* void user_exit(u64 status): SYS_EXIT; the kernel never schedules the task again,
 * it waits here for the next timer interrupt. */
    .global user_exit
user_exit:
    mov x8, #SYS_EXIT
    svc #0
1:  wfi
    b 1b

/* Tasks that fault at EL0: the kernel kills them. Should the faulting instruction
 * ever complete, the task exits with status 0xbad. */
    .global user_fault_read
user_fault_read:
    ldr x1, [x0]
    b survived

    .global user_fault_undef
user_fault_undef:
    udf #0x77
    b survived

    .global user_fault_exec
user_fault_exec:
    blr x0
    b survived

survived:
    mov x0, #0xbad
    b user_exit
