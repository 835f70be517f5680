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

/* The kernel's GS base on CPU n: its struct percpu (kernel.h), mapped in the
 * high half at PERCPU_VA + n * PERCPU_STRIDE (percpu_offset[n], which the
 * paranoid entries load: a negative GS base does not mean the kernel's, since
 * ring 3 may load one with wrgsbase). */
#define PERCPU_VA 0xffffff8000000000
#define PERCPU_STRIDE 0x1000
/* CPUs the kernel brings up (the bootstrap processor is CPU 0). */
#define MAX_CPUS 8
/* Where the application processors' real-mode trampoline is copied: a startup
 * IPI with vector v starts an AP at v * 4096 in real mode (SDM Vol. 3A 10.6.1). */
#define TRAMPOLINE_PA 0x8000
/* The TLB-shootdown probe: one page the BSP remaps while every CPU has used it. */
#define TLB_PROBE_VA (PERCPU_VA + 0x100000)
#define TLB_PROBE_OLD 0x7fb0000000000000 /* what each of the two pages holds */
#define TLB_PROBE_NEW 0x7fb1000000000000
/* What ring 3 finds at gs:[0] (its own GS base, in user memory). */
#define USER_GS_MAGIC 0x7573657267730001

/* The negative (kernel-half, canonical) GS base a ring-3 task loads with
 * wrgsbase, and how many NMIs must hit it (the kernel's NMI handler counts them
 * in the word at the task's rsp). */
#define USER_NEGATIVE_GS 0xffff900000000000
#define USER_NMI_TARGET 3

/* Timer ticks each register-checking task must survive. */
#define REGCHECK_TICKS 1000
/* Byte offsets in the register-checking task's block (user.S): expected XMM values, and where the task stores them. */
#define REGCHECK_XMM 160
#define REGCHECK_XMM_SEEN 416
#define REGCHECK_BLOCK 1024

/* isa-debug-exit values: QEMU exits with (value << 1) | 1. */
#define EXIT_SUCCESS_VALUE 0x21
#define EXIT_FAILURE_VALUE 0x10

#endif
