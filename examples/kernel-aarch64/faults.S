/* EL1 code that faults on purpose; isr_kernel_fault resumes after the faulting
 * instruction (elr += 4). Only caller-saved registers are touched. */

.macro movq reg, value
    movz \reg, #((\value) & 0xffff)
    movk \reg, #(((\value) >> 16) & 0xffff), lsl #16
    movk \reg, #(((\value) >> 32) & 0xffff), lsl #32
    movk \reg, #(((\value) >> 48) & 0xffff), lsl #48
.endm

    .text
/* void fault_read(u64 address) */
    .global fault_read
fault_read:
    ldr x1, [x0]
    ret

/* void fault_write(u64 address) */
    .global fault_write
fault_write:
    movq x1, 0x5717e5717e5717e5
    str x1, [x0]
    ret

/* void fault_undef(void): x0..x7 hold UNDEF_PATTERN(n) = 0x1111111111111111 * (n + 1) at the udf */
    .global fault_undef
fault_undef:
    movq x0, 0x1111111111111111
    movq x1, 0x2222222222222222
    movq x2, 0x3333333333333333
    movq x3, 0x4444444444444444
    movq x4, 0x5555555555555555
    movq x5, 0x6666666666666666
    movq x6, 0x7777777777777777
    movq x7, 0x8888888888888888
    udf #0x1234
    ret

/* u64 fault_el1t_sp_align(u64 sp_el0): switch to EL1t on SP_EL0 = sp_el0 (not 16-aligned)
 * and load through SP. With SCTLR_EL1.SA set that is an SP alignment fault (EC 0x26),
 * taken through slot 0 (current EL with SP_EL0) on SP_EL1. Returns the SP in use
 * after resuming (SP_EL0). */
    .global fault_el1t_sp_align
fault_el1t_sp_align:
    mrs x9, sp_el0
    msr sp_el0, x0
    msr spsel, #0
    ldr x10, [sp]
    mov x0, sp
    msr spsel, #1
    msr sp_el0, x9
    ret

/* u64 fault_el1t_undef(u64 sp_el0): the same EL1t setting, faulting with udf */
    .global fault_el1t_undef
fault_el1t_undef:
    mrs x9, sp_el0
    msr sp_el0, x0
    msr spsel, #0
    udf #0x5a
    mov x0, sp
    msr spsel, #1
    msr sp_el0, x9
    ret
