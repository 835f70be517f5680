/* Constants shared by the kernel's C, Rust-facing C, and assembly sources. */
#ifndef KERNEL_ABI_H
#define KERNEL_ABI_H

#define KCODE 0x08
#define KDATA 0x10
#define UDATA 0x1b
#define UCODE 0x23
#define TSS_SEL 0x28
#define NOT_PRESENT_SEL 0x38

/* int 0x80 system calls: rax = number, rdi = argument. */
#define SYS_EXIT 0
#define SYS_PROBE 1
#define SYS_PROBE_RESULT 42

/* Timer ticks each register-checking task must survive. */
#define REGCHECK_TICKS 1500

/* isa-debug-exit values: QEMU exits with (value << 1) | 1. */
#define EXIT_SUCCESS_VALUE 0x21
#define EXIT_FAILURE_VALUE 0x10

#endif
