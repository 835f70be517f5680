/* The trampoline variant (xv6-like): uservec/userret live in the glue's trampoline page,
 * mapped at ISR_TRAMPOLINE in the kernel's and every task's address space; each task's
 * trapframe sits at ISR_TRAPFRAME in its own address space. While the kernel runs, stvec
 * points at the generated kernelvec. The glue saves f0-f31/fcsr in the trapframe, advances
 * sepc past an ecall and, returning from one, zeroes the registers syscall.restore leaves out. */
#include "kernel.h"
#include "isr.h"

const char VARIANT_NAME[] = "trampoline";

/* one page per trapframe: each is mapped alone at ISR_TRAPFRAME */
static union {
    struct trapframe tf;
    uint8_t page[4096];
} trapframes[NTASKS] __attribute__((aligned(4096)));
_Static_assert(sizeof(trapframes[0]) == 4096, "a trapframe has its own page");
static uint8_t kernel_stack[16384] __attribute__((aligned(16)));

__attribute__((noreturn)) static void usertrapret(struct task *t);

uint64_t variant_stvec(void)
{
    return ISR_KERNEL_TVEC;
}

void variant_init_task(struct task *t)
{
    struct trapframe *tf = &trapframes[t - tasks].tf;
    t->frame = tf;
    tf->epc = t->entry;
    vm_map(t->pagetable, ISR_TRAMPOLINE, (uint64_t)isr_trampoline, PAGE_SIZE, PTE_R | PTE_X);
    vm_map(t->pagetable, ISR_TRAPFRAME, (uint64_t)tf, PAGE_SIZE, PTE_R | PTE_W);
}

void kerneltrap(struct kernel_regs *f)
{
    uint64_t x[32];
    FRAME_TO_X(f, x);
    kernel_trap(f->cause, f->tval, &f->epc, x);
}

/* traps from U-mode, and how many reached usertrap with a user value in gp or tp (the tasks
 * run with patterns in both; uservec zeroes gp (entry.clear_registers) and loads tp from the
 * trapframe's kernel_hartid) */
static uint64_t user_traps, bad_gp_tp;

void usertrap(void)
{
    uint64_t gp = read_gp(), tp = read_tp();
    user_traps++;
    bad_gp_tp += gp != 0 || tp != 0;
    csr_write(stvec, ISR_KERNEL_TVEC);
    struct task *t = current;
    struct trapframe *tf = t->frame;
    uint64_t cause = tf->cause;
    if (cause == (SCAUSE_INTERRUPT | IRQ_S_SOFT)) {
        timer_tick(t);
        usertrapret(schedule());
    }
    if (cause == EXC_ECALL_U) {
        tf->a0 = do_syscall(t, tf->a7, tf->a0, tf->a1);
        usertrapret(t);
    }
    if (cause & SCAUSE_INTERRUPT) {
        print("FAIL user-irq: unexpected interrupt scause=", cause);
        finish(1);
    }
    user_fault(t, cause, tf->tval, tf->epc);
    usertrapret(schedule());
}

static void usertrapret(struct task *t)
{
    struct trapframe *tf = t->frame;
    current = t;
    csr_clear(sstatus, SSTATUS_SIE);
    csr_write(stvec, ISR_USER_TVEC);
    tf->kernel_satp = kernel_satp;
    tf->kernel_sp = (uint64_t)kernel_stack + sizeof kernel_stack;
    tf->kernel_trap = (uint64_t)usertrap;
    tf->kernel_hartid = 0;
    /* sret to U-mode with interrupts on and the FP unit usable */
    tf->status = SSTATUS_SPIE | SSTATUS_FS_INITIAL;
    ((void (*)(uint64_t))ISR_USERRET)(make_satp(t->pagetable));
    __builtin_unreachable();
}

void variant_map_kernel(pte_t *kernel_root)
{
    /* the trampoline at the same address as in the tasks' address spaces */
    vm_map(kernel_root, ISR_TRAMPOLINE, (uint64_t)isr_trampoline, PAGE_SIZE, PTE_R | PTE_X);
}

/* the same physical trampoline page at ISR_TRAMPOLINE in the kernel and in both tasks,
 * executable and supervisor-only; each task's own trapframe page at ISR_TRAPFRAME */
void variant_check(pte_t *kernel_root)
{
    uint64_t want = ((uint64_t)isr_trampoline >> 12) << 10;
    pte_t k = vm_lookup(kernel_root, ISR_TRAMPOLINE);
    int good = (k & ~0x3fful) == want && (k & PTE_X) && !(k & PTE_U) && !(k & PTE_W);
    for (int i = 0; i < NTASKS; i++) {
        pte_t u = vm_lookup(tasks[i].pagetable, ISR_TRAMPOLINE);
        pte_t f = vm_lookup(tasks[i].pagetable, ISR_TRAPFRAME);
        good = good && u == k && (f & ~0x3fful) == (((uint64_t)tasks[i].frame >> 12) << 10) &&
               (f & PTE_W) && !(f & (PTE_U | PTE_X));
    }
    good = good && (uint64_t)isr_trampoline % PAGE_SIZE == 0 && (uint64_t)(userret - isr_trampoline) < PAGE_SIZE;
    /* stvec for U-mode: the vector table's alias, MODE = vectored (priv 4.1.2) */
    good = good && (uint64_t)(uservec_table - isr_trampoline) < PAGE_SIZE && (ISR_USER_TVEC & 3) == 1 &&
           (ISR_USER_TVEC & ~3ul) == ISR_TRAMPOLINE + (uint64_t)(uservec_table - isr_trampoline);
    check(good, "trampoline-alias", "uservec_table/uservec/userret page at 0x3ffffff000 in the kernel and both "
                                    "tasks (R+X, no U), stvec vectored at its alias, each trapframe at "
                                    "0x3fffffe000 (R+W, no U, no X)");
}

void variant_verdict(void)
{
    puts_("traps from U-mode: ");
    put_dec(user_traps);
    puts_(", gp or tp not the kernel's in ");
    put_dec(bad_gp_tp);
    putc_('\n');
    check(user_traps > 2000 && bad_gp_tp == 0, "user-entry-registers",
          "every trap from U-mode reached usertrap with gp zeroed and tp = the trapframe's kernel_hartid");
}

void variant_start(struct task *t)
{
    usertrapret(t);
}
