/* The two U-mode tasks. Each holds a pattern of its own in x1-x31 (sp, gp and tp included),
 * f0-f31 and fcsr, checks all of them over and over while the timer switches between the
 * tasks, and asks the kernel (ecall) how many interrupts it has taken: after each ecall
 * a0 holds the answer, ra/sp/gp/tp/s0-s11 hold their patterns and t0-t6, a1-a7 are zero.
 * After TASK_INTERRUPTS interrupts it reports (ecall SYS_REPORT) and faults on purpose.
 * A failed check reports its number: 1-31 xN, 32-63 f(N-32), 64 fcsr, 101-131 xN after ecall.
 * The code is position independent (mapped at USER_TEXT_VA) and touches no memory. */
#include "abi.h"

#define ALL_X 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31

/* the pattern of register n in task s */
.macro pattern reg, s, n
    li \reg, ((\s << 56) | (\n << 48) | 0xa5a5c3c30000 | \n)
.endm

.macro set_x s
    .irp n, ALL_X
    pattern x\n, \s, \n
    .endr
.endm

/* f_n holds pattern(x_m) ^ (n + 1), m = n for 1..30, m = 1 for f0, m = 30 for f31 */
.macro set_f1 s, f, m
    li t6, ((\s << 56) | (\m << 48) | 0xa5a5c3c30000 | \m) ^ (\f + 1)
    fmv.d.x f\f, t6
.endm
.macro set_f s, fcsr
    set_f1 \s, 0, 1
    .irp n, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
    set_f1 \s, \n, \n
    .endr
    set_f1 \s, 31, 30
    li t6, \fcsr
    fscsr t6
.endm

.macro fail_if_not_zero reg, code, fail
    beqz \reg, 1f
    li a0, \code
    j \fail
1:
.endm

.macro check_x1 s, n, code, fail
    pattern t6, \s, \n
    beq x\n, t6, 1f
    li a0, \code
    j \fail
1:
.endm

/* x1-x30 against their patterns with t6 as the scratch, then t6 itself with t5 */
.macro check_x s, fail
    .irp n, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
    check_x1 \s, \n, \n, \fail
    .endr
    pattern t6, \s, 31
    pattern t5, \s, 31
    beq t6, t5, 1f
    li a0, 31
    j \fail
1:  pattern t5, \s, 30
.endm

.macro check_f1 f, m, fail
    fmv.x.d t6, f\f
    xor t6, t6, x\m
    xori t6, t6, \f + 1
    fail_if_not_zero t6, 32 + \f, \fail
.endm
.macro check_f s, fcsr, fail
    check_f1 0, 1, \fail
    .irp n, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
    check_f1 \n, \n, \fail
    .endr
    check_f1 31, 30, \fail
    frcsr t6
    xori t6, t6, \fcsr
    fail_if_not_zero t6, 64, \fail
    pattern t6, \s, 31
.endm

.macro task name, s, fcsr
    .globl task_\name
task_\name:
    set_f \s, \fcsr
    set_x \s
.Lloop_\name:
    .rept 4
    check_x \s, .Lfail_\name
    check_f \s, \fcsr, .Lfail_\name
    .endr
    li a7, SYS_INTERRUPTS
    ecall
    /* not restored: zero */
    .irp n, 5,6,7,11,12,13,14,15,16,17,28,29,30,31
    fail_if_not_zero x\n, 100 + \n, .Lfail_\name
    .endr
    /* restored */
    .irp n, 1,2,3,4,8,9,18,19,20,21,22,23,24,25,26,27
    check_x1 \s, \n, 100 + \n, .Lfail_\name
    .endr
    li t0, TASK_INTERRUPTS
    bgeu a0, t0, .Ldone_\name
    set_x \s
    j .Lloop_\name
.Ldone_\name:
    mv a1, a0
    li a0, 0
    j .Lreport_\name
.Lfail_\name:
    li a1, 0
.Lreport_\name:
    li a7, SYS_REPORT
    ecall
    j .Lfault_\name
.endm

    .section .user.text, "ax", @progbits
    .option push
    .option norvc
    .balign 4096
    .globl user_code_start
user_code_start:

    task a, 0xa1, 0x35
.Lfault_a:
    li t0, 0x80000000
    ld t0, 0(t0)                /* the kernel's first page: no U bit, a load page fault */
1:  j 1b

    task b, 0xb2, 0x4a
.Lfault_b:
    csrr t0, sstatus            /* an S-mode CSR from U-mode: illegal instruction */
1:  j 1b

    .balign 4096
    .globl user_code_end
user_code_end:
    .option pop
