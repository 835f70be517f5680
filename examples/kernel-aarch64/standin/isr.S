/*
 * DEVELOPMENT STAND-IN -- NOT GENERATED, TO BE DELETED AT INTEGRATION.
 *
 * Hand-written aarch64 interrupt glue implementing the interface the isrgen
 * aarch64 backend generates from kernel.yaml, used only by `make GLUE=standin`
 * while the generator is being written:
 *   isr_vectors  VBAR_EL1 table, 2 KiB aligned, 16 slots of 0x80 bytes
 *                (Arm ARM D1.10.2): each slot saves the full frame and routes
 *                0, 4 -> isr_kernel_fault (resume the frame)
 *                1, 5, 9 and 8 (not SVC) -> isr_dispatch (resume the frame it returns)
 *                8 with ESR_EL1.EC == 0x15 -> isr_syscall (x0 kept, x1-x30 zeroed)
 *                every other slot -> isr_bad_mode
 *   isr_return   restore a frame and eret (EL1h: SP_EL1 := frame->sp;
 *                otherwise SP_EL0 := frame->sp, SP_EL1 := frame + 832)
 *   isr_halt     clear the GPRs, mask DAIF, wfi forever
 * Frame: x0-x30, sp, elr, spsr, esr, far, kind, pad, q0-q31, fpcr, fpsr (832 bytes).
 */
#define FRAME_SIZE 832
#define F_SP 248
#define F_ELR 256
#define F_ESR 272
#define F_KIND 288
#define F_PAD 296
#define F_FP 304
#define ESR_EC_SVC64 0x15
#define SPSR_M_EL1H 5

    .section .text.isr, "ax"
    .balign 2048
    .global isr_vectors
    .type isr_vectors, %object
isr_vectors:
    .irp slot, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    .balign 0x80
    sub sp, sp, #FRAME_SIZE
    stp x0, x1, [sp, #0]
    mov x0, #\slot
    b isr_save
    .endr
    .balign 0x80
    .size isr_vectors, . - isr_vectors

/* x0 = slot number, x0/x1 already at [sp]; the CPU has masked D, A, I, F. */
    .type isr_save, %function
isr_save:
    stp x2, x3, [sp, #16]
    stp x4, x5, [sp, #32]
    stp x6, x7, [sp, #48]
    stp x8, x9, [sp, #64]
    stp x10, x11, [sp, #80]
    stp x12, x13, [sp, #96]
    stp x14, x15, [sp, #112]
    stp x16, x17, [sp, #128]
    stp x18, x19, [sp, #144]
    stp x20, x21, [sp, #160]
    stp x22, x23, [sp, #176]
    stp x24, x25, [sp, #192]
    stp x26, x27, [sp, #208]
    stp x28, x29, [sp, #224]
    stp x30, xzr, [sp, #240]
    /* slots 4-7 interrupted EL1h: its SP was SP_EL1 before the frame; all others SP_EL0 */
    mrs x1, sp_el0
    add x2, sp, #FRAME_SIZE
    sub x3, x0, #4
    cmp x3, #4
    csel x1, x2, x1, lo
    str x1, [sp, #F_SP]
    mrs x1, elr_el1
    mrs x2, spsr_el1
    stp x1, x2, [sp, #F_ELR]
    mrs x1, esr_el1
    mrs x2, far_el1
    stp x1, x2, [sp, #F_ESR]
    stp x0, xzr, [sp, #F_KIND]
    add x1, sp, #F_FP
    stp q0, q1, [x1, #0]
    stp q2, q3, [x1, #32]
    stp q4, q5, [x1, #64]
    stp q6, q7, [x1, #96]
    stp q8, q9, [x1, #128]
    stp q10, q11, [x1, #160]
    stp q12, q13, [x1, #192]
    stp q14, q15, [x1, #224]
    stp q16, q17, [x1, #256]
    stp q18, q19, [x1, #288]
    stp q20, q21, [x1, #320]
    stp q22, q23, [x1, #352]
    stp q24, q25, [x1, #384]
    stp q26, q27, [x1, #416]
    stp q28, q29, [x1, #448]
    stp q30, q31, [x1, #480]
    mrs x2, fpcr
    mrs x3, fpsr
    add x1, x1, #512
    stp x2, x3, [x1]

    mov x1, x0
    mov x0, sp
    cmp x1, #0
    b.eq .Lkernel_fault
    cmp x1, #4
    b.eq .Lkernel_fault
    cmp x1, #1
    b.eq .Ldispatch
    cmp x1, #5
    b.eq .Ldispatch
    cmp x1, #9
    b.eq .Ldispatch
    cmp x1, #8
    b.ne .Lbad_mode
    ldr x2, [sp, #F_ESR]
    ubfx x2, x2, #26, #6
    cmp x2, #ESR_EC_SVC64
    b.ne .Ldispatch
    bl isr_syscall
    b .Lsyscall_return
.Lkernel_fault:
    bl isr_kernel_fault
    mov x0, sp
    b isr_return
.Ldispatch:
    bl isr_dispatch
    b isr_return
.Lbad_mode:
    bl isr_bad_mode
    b isr_halt
    .size isr_save, . - isr_save

/* sp = frame: restore FP/SIMD, ELR, SPSR and SP_EL0; x1 and x2 are scratch. */
.macro restore_system
    add x1, sp, #F_FP
    ldp q0, q1, [x1, #0]
    ldp q2, q3, [x1, #32]
    ldp q4, q5, [x1, #64]
    ldp q6, q7, [x1, #96]
    ldp q8, q9, [x1, #128]
    ldp q10, q11, [x1, #160]
    ldp q12, q13, [x1, #192]
    ldp q14, q15, [x1, #224]
    ldp q16, q17, [x1, #256]
    ldp q18, q19, [x1, #288]
    ldp q20, q21, [x1, #320]
    ldp q22, q23, [x1, #352]
    ldp q24, q25, [x1, #384]
    ldp q26, q27, [x1, #416]
    ldp q28, q29, [x1, #448]
    ldp q30, q31, [x1, #480]
    add x1, x1, #512
    ldp x1, x2, [x1]
    msr fpcr, x1
    msr fpsr, x2
    ldp x1, x2, [sp, #F_ELR]
    msr elr_el1, x1
    msr spsr_el1, x2
.endm

.macro restore_x2_x30
    ldp x2, x3, [sp, #16]
    ldp x4, x5, [sp, #32]
    ldp x6, x7, [sp, #48]
    ldp x8, x9, [sp, #64]
    ldp x10, x11, [sp, #80]
    ldp x12, x13, [sp, #96]
    ldp x14, x15, [sp, #112]
    ldp x16, x17, [sp, #128]
    ldp x18, x19, [sp, #144]
    ldp x20, x21, [sp, #160]
    ldp x22, x23, [sp, #176]
    ldp x24, x25, [sp, #192]
    ldp x26, x27, [sp, #208]
    ldp x28, x29, [sp, #224]
    ldr x30, [sp, #240]
.endm

/* void isr_return(struct isr_frame *frame) -- noreturn */
    .global isr_return
    .type isr_return, %function
isr_return:
    mov sp, x0
    restore_system
    and x2, x2, #0xf
    cmp x2, #SPSR_M_EL1H
    b.eq .Lreturn_el1h
    ldr x1, [sp, #F_SP]
    msr sp_el0, x1
    restore_x2_x30
    ldp x0, x1, [sp, #0]
    add sp, sp, #FRAME_SIZE
    eret
.Lreturn_el1h:
    restore_x2_x30
    ldr x1, [sp, #F_SP]
    mov x0, sp
    mov sp, x1
    ldp x0, x1, [x0, #0]
    eret
    .size isr_return, . - isr_return

/* SVC from EL0: x0 is the result, SP_EL0/ELR/SPSR/FP from the frame, x1-x30 zero. */
.Lsyscall_return:
    restore_system
    ldr x1, [sp, #F_SP]
    msr sp_el0, x1
    ldr x0, [sp, #0]
    .irp n, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30
    mov x\n, xzr
    .endr
    add sp, sp, #FRAME_SIZE
    eret

/* void isr_halt(void) -- noreturn */
    .global isr_halt
    .type isr_halt, %function
isr_halt:
    msr daifset, #0xf
    .irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30
    mov x\n, xzr
    .endr
1:  wfi
    b 1b
    .size isr_halt, . - isr_halt
