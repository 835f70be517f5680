/* Constants shared by the C and assembly sources of the riscv64 example kernel. */
#ifndef ABI_H
#define ABI_H

/* QEMU virt memory map (hw/riscv/virt.c) */
#define UART0          0x10000000ul   /* NS16550A */
#define TEST_DEVICE    0x00100000ul   /* SiFive test finisher */
#define CLINT_MTIMECMP 0x02004000ul   /* hart 0 */
#define CLINT_MTIME    0x0200bff8ul
/* SiFive test finisher: 0x5555 = pass (QEMU exits 0), (code << 16) | 0x3333 = fail (exit code) */
#define FINISHER_PASS  0x5555
#define FINISHER_FAIL  0x3333

/* 10 MHz mtime on virt: one tick every 0.5 ms */
#define TIMER_INTERVAL 5000

/* the user tasks' code is mapped here (U, R, X) in their address spaces */
#define USER_TEXT_VA   0x0000000000400000ul

/* system calls: number in a7, argument/result in a0, a1 */
#define SYS_INTERRUPTS 1   /* a0 = interrupts this task has taken */
#define SYS_REPORT     2   /* a0 = 0 (all registers held) or the failing check, a1 = interrupts seen */

/* user tasks stop checking after this many interrupts (the requirement is >= 1000) */
#define TASK_INTERRUPTS 1000

#endif
