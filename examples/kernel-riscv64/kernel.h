/* The riscv64 example kernel: declarations shared by its C files. */
#ifndef KERNEL_H
#define KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "abi.h"

/* privileged spec 4.1.1 (sstatus), 4.1.3 (sip/sie), 4.1.9 (scause), 4.1.11 (satp) */
#define SSTATUS_SIE  (1ul << 1)
#define SSTATUS_SPIE (1ul << 5)
#define SSTATUS_SPP  (1ul << 8)
#define SSTATUS_FS_INITIAL (1ul << 13)
#define SSTATUS_FS   (3ul << 13)
#define SIP_SSIP     (1ul << 1)
#define SIE_SSIE     (1ul << 1)
#define SCAUSE_INTERRUPT (1ul << 63)
#define IRQ_S_SOFT   1
#define EXC_ILLEGAL  2
#define EXC_ECALL_U  8
#define EXC_INSN_PAGE_FAULT  12
#define EXC_LOAD_PAGE_FAULT  13
#define EXC_STORE_PAGE_FAULT 15
#define SATP_SV39    (8ul << 60)

/* Sv39 page-table entry bits (privileged spec 4.3.1 / 4.4.1) */
#define PTE_V (1ul << 0)
#define PTE_R (1ul << 1)
#define PTE_W (1ul << 2)
#define PTE_X (1ul << 3)
#define PTE_U (1ul << 4)
#define PTE_A (1ul << 6)
#define PTE_D (1ul << 7)
#define PAGE_SIZE 4096ul

#define csr_read(csr) ({ uint64_t v_; __asm__ volatile("csrr %0, " #csr : "=r"(v_)); v_; })
#define csr_write(csr, v) __asm__ volatile("csrw " #csr ", %0" : : "r"((uint64_t)(v)) : "memory")
#define csr_set(csr, v) __asm__ volatile("csrs " #csr ", %0" : : "r"((uint64_t)(v)) : "memory")
#define csr_clear(csr, v) __asm__ volatile("csrc " #csr ", %0" : : "r"((uint64_t)(v)) : "memory")

typedef uint64_t pte_t;

/* uart.c */
void putc_(char c);
void puts_(const char *s);
void put_hex(uint64_t v);
void put_dec(uint64_t v);
void print(const char *s, uint64_t v);   /* s then v in hex then newline */

/* vm.c */
pte_t *page_alloc(void);
void vm_map(pte_t *root, uint64_t va, uint64_t pa, uint64_t size, uint64_t perm);
pte_t vm_lookup(pte_t *root, uint64_t va);
void vm_map_kernel(pte_t *root);
uint64_t make_satp(pte_t *root);
void vm_switch(uint64_t satp);

/* tasks and checks (main.c) */
enum task_state { TASK_RUNNABLE, TASK_DEAD };
struct task {
    const char *name;
    enum task_state state;
    pte_t *pagetable;
    uint64_t entry;            /* user VA of its code */
    uint64_t interrupts;       /* interrupts taken while it ran */
    uint64_t syscalls;
    int reported;
    uint64_t report_result, report_interrupts;
    uint64_t fault_cause, fault_tval, fault_epc;
    uint64_t expected_cause, expected_tval;
    void *frame;               /* the variant's saved user context (f0-f31, fcsr included) */
};
#define NTASKS 2
extern struct task tasks[NTASKS];
extern struct task *current;
extern uint64_t kernel_satp;
extern volatile uint64_t ticks;

uint64_t do_syscall(struct task *t, uint64_t nr, uint64_t a0, uint64_t a1);
void user_fault(struct task *t, uint64_t cause, uint64_t tval, uint64_t epc);
void timer_tick(struct task *t);
struct task *schedule(void);   /* the next task to run; never returns when none is left */
void kernel_trap(uint64_t cause, uint64_t tval, uint64_t *epc, const uint64_t x[32]);
__attribute__((noreturn)) void finish(int failed);
__attribute__((noreturn)) void panic(const char *why);
void ok(const char *id, const char *what);
void fail(const char *id, const char *what);
void check(int good, const char *id, const char *what);

/* variant (trap_trampoline.c / trap_scratch.c) */
extern const char VARIANT_NAME[];
uint64_t variant_stvec(void);          /* the stvec value while the kernel runs */
void variant_map_kernel(pte_t *kernel_root);
void variant_init_task(struct task *t);
void variant_check(pte_t *kernel_root);   /* reports the variant's own check */
void variant_verdict(void);               /* reports what the variant saw on traps from U-mode */
__attribute__((noreturn)) void variant_start(struct task *t);

/* start.S */
void probe_load_fault(void);
void probe_store_fault(volatile uint64_t *p);
void probe_illegal(void);
extern char user_code_start[], user_code_end[], task_a[], task_b[];
extern char _text_start[], _text_end[], _rodata_start[], _rodata_end[], _data_start[], _kernel_end[];
extern char exec_probe[];
extern const uint64_t rodata_probe;

/* gp and tp as the C code found them (the psABI reserves both: the compiler never uses them) */
#define read_gp() ({ uint64_t v_; __asm__ volatile("mv %0, gp" : "=r"(v_)); v_; })
#define read_tp() ({ uint64_t v_; __asm__ volatile("mv %0, tp" : "=r"(v_)); v_; })
extern char __global_pointer$[];

/* the 31 registers of a frame as x[0..31] (x[0] = 0), by ABI name */
#define FRAME_TO_X(f, x) do { \
    (x)[0] = 0; (x)[1] = (f)->ra; (x)[2] = (f)->sp; (x)[3] = (f)->gp; (x)[4] = (f)->tp; \
    (x)[5] = (f)->t0; (x)[6] = (f)->t1; (x)[7] = (f)->t2; (x)[8] = (f)->s0; (x)[9] = (f)->s1; \
    (x)[10] = (f)->a0; (x)[11] = (f)->a1; (x)[12] = (f)->a2; (x)[13] = (f)->a3; (x)[14] = (f)->a4; \
    (x)[15] = (f)->a5; (x)[16] = (f)->a6; (x)[17] = (f)->a7; (x)[18] = (f)->s2; (x)[19] = (f)->s3; \
    (x)[20] = (f)->s4; (x)[21] = (f)->s5; (x)[22] = (f)->s6; (x)[23] = (f)->s7; (x)[24] = (f)->s8; \
    (x)[25] = (f)->s9; (x)[26] = (f)->s10; (x)[27] = (f)->s11; (x)[28] = (f)->t3; (x)[29] = (f)->t4; \
    (x)[30] = (f)->t5; (x)[31] = (f)->t6; } while (0)

#endif
