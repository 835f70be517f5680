/* The S-mode kernel: Sv39 paging, fault checks, two U-mode tasks switched by the timer. */
#include "kernel.h"

struct task tasks[NTASKS];
struct task *current;
uint64_t kernel_satp;
volatile uint64_t ticks;
static pte_t *kernel_pagetable;
static int failures;

void supervisor_main(void);

void ok(const char *id, const char *what)
{
    puts_("ok ");
    puts_(id);
    puts_(": ");
    puts_(what);
    putc_('\n');
}

void fail(const char *id, const char *what)
{
    failures++;
    puts_("FAIL ");
    puts_(id);
    puts_(": ");
    puts_(what);
    putc_('\n');
}

void check(int good, const char *id, const char *what)
{
    if (good)
        ok(id, what);
    else
        fail(id, what);
}

__attribute__((noreturn)) void finish(int failed)
{
    uint32_t value = failed ? (1u << 16) | FINISHER_FAIL : FINISHER_PASS;
    puts_("exit status: ");
    put_dec(failed ? 1 : 0);
    puts_(" (test finisher 0x");
    put_hex(value);
    puts_(")\n");
    if (!failed)
        puts_("ALL CHECKS PASSED\n");
    *(volatile uint32_t *)TEST_DEVICE = value;
    for (;;)
        ;
}

__attribute__((noreturn)) void panic(const char *why)
{
    puts_("FAIL panic: ");
    puts_(why);
    putc_('\n');
    finish(1);
}

/* --- traps taken while the kernel runs ------------------------------------------------ */

static const char *const abi_names[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
    "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

static void dump(const uint64_t x[32])
{
    for (int i = 1; i < 32; i++) {
        puts_(i % 4 == 1 ? "  " : " ");
        if (i < 10)
            putc_('0');
        put_dec((uint64_t)i);
        putc_('/');
        puts_(abi_names[i]);
        putc_('=');
        put_hex(x[i]);
        if (i % 4 == 0 || i == 31)
            putc_('\n');
    }
}

/* the fault a probe expects; the handler records what it saw */
static struct {
    int armed;
    uint64_t cause, tval, epc, s2, s11;
} probe;

static const char *cause_name(uint64_t cause)
{
    switch (cause) {
    case EXC_ILLEGAL: return "illegal instruction";
    case EXC_INSN_PAGE_FAULT: return "instruction page fault";
    case EXC_LOAD_PAGE_FAULT: return "load page fault";
    case EXC_STORE_PAGE_FAULT: return "store/AMO page fault";
    default: return "exception";
    }
}

void kernel_trap(uint64_t cause, uint64_t tval, uint64_t *epc, const uint64_t x[32])
{
    if (cause & SCAUSE_INTERRUPT) {
        if ((cause & ~SCAUSE_INTERRUPT) != IRQ_S_SOFT) {
            print("FAIL kernel-irq: unexpected interrupt scause=", cause);
            finish(1);
        }
        csr_clear(sip, SIP_SSIP);
        ticks++;
        return;
    }
    puts_("kernel fault: ");
    puts_(cause_name(cause));
    puts_(" scause=");
    put_dec(cause);
    puts_(" sepc=0x");
    put_hex(*epc);
    puts_(" stval=0x");
    put_hex(tval);
    putc_('\n');
    dump(x);
    if (!probe.armed)
        panic("unexpected fault in the kernel");
    probe.armed = 0;
    probe.cause = cause;
    probe.tval = tval;
    probe.epc = *epc;
    probe.s2 = x[18];
    probe.s11 = x[27];
    /* resume: after the faulting instruction, or (a fetch fault) where the call came from */
    *epc = cause == EXC_INSN_PAGE_FAULT ? x[1] : *epc + 4;
}

static void kernel_fault_checks(void)
{
    probe.armed = 1;
    probe_load_fault();
    check(!probe.armed && probe.cause == EXC_LOAD_PAGE_FAULT && probe.tval == 8 &&
              probe.s2 == 0x2222222222222222ul && probe.s11 == 0xbbbbbbbbbbbbbbbbul,
          "kernel-load-fault", "load page fault at 0x8 dumped (s2..s11 as loaded) and resumed");

    probe.armed = 1;
    probe_store_fault((volatile uint64_t *)&rodata_probe);
    check(!probe.armed && probe.cause == EXC_STORE_PAGE_FAULT && probe.tval == (uint64_t)&rodata_probe &&
              rodata_probe == 0x0123456789abcdeful,
          "kernel-store-readonly", "store to read-only data faulted, data unchanged, resumed");

    probe.armed = 1;
    probe_illegal();
    check(!probe.armed && probe.cause == EXC_ILLEGAL && probe.s2 == 0x2222222222222222ul,
          "kernel-illegal", "illegal instruction dumped and resumed");

    probe.armed = 1;
    ((void (*)(void))exec_probe)();
    check(!probe.armed && probe.cause == EXC_INSN_PAGE_FAULT && probe.tval == (uint64_t)exec_probe &&
              probe.epc == (uint64_t)exec_probe,
          "kernel-exec-data", "fetch from a data page faulted (X enforced), resumed");
}

static void kernel_irq_check(void)
{
    uint64_t start = ticks;
    csr_set(sie, SIE_SSIE);
    csr_set(sstatus, SSTATUS_SIE);
    while (ticks - start < 3)
        __asm__ volatile("wfi");
    csr_clear(sstatus, SSTATUS_SIE);
    check(ticks - start >= 3, "kernel-irq", "timer ticks forwarded by the M-mode timervec as SSIP, taken in S-mode");
}

/* --- tasks -------------------------------------------------------------------------- */

void timer_tick(struct task *t)
{
    csr_clear(sip, SIP_SSIP);
    ticks++;
    t->interrupts++;
}

uint64_t do_syscall(struct task *t, uint64_t nr, uint64_t a0, uint64_t a1)
{
    t->syscalls++;
    switch (nr) {
    case SYS_INTERRUPTS:
        return t->interrupts;
    case SYS_REPORT:
        t->reported = 1;
        t->report_result = a0;
        t->report_interrupts = a1;
        return 0;
    default:
        return (uint64_t)-1;
    }
}

void user_fault(struct task *t, uint64_t cause, uint64_t tval, uint64_t epc)
{
    t->state = TASK_DEAD;
    t->fault_cause = cause;
    t->fault_tval = tval;
    t->fault_epc = epc;
    puts_("user fault: task ");
    puts_(t->name);
    puts_(": ");
    puts_(cause_name(cause));
    puts_(" scause=");
    put_dec(cause);
    puts_(" sepc=0x");
    put_hex(epc);
    puts_(" stval=0x");
    put_hex(tval);
    puts_(": killed\n");
}

static void verdict(void)
{
    variant_verdict();
    for (int i = 0; i < NTASKS; i++) {
        struct task *t = &tasks[i];
        puts_("task ");
        puts_(t->name);
        puts_(": ");
        put_dec(t->interrupts);
        puts_(" interrupts, ");
        put_dec(t->syscalls);
        puts_(" system calls, report ");
        put_dec(t->report_result);
        putc_('\n');
        int regs_ok = t->reported && t->report_result == 0 && t->interrupts >= TASK_INTERRUPTS &&
                      t->report_interrupts >= TASK_INTERRUPTS;
        check(regs_ok, i ? "regs-task-b" : "regs-task-a",
              "x1-x31, f0-f31 and fcsr held across >= 1000 timer interrupts and every ecall");
        check(t->reported && t->syscalls > 1, i ? "syscall-task-b" : "syscall-task-a",
              "ecall: a0 returned, ra/sp/gp/tp/s0-s11 restored, t0-t6 and a1-a7 seen zero in U-mode");
        check(t->state == TASK_DEAD && t->fault_cause == t->expected_cause && t->fault_tval == t->expected_tval,
              i ? "user-fault-task-b" : "user-fault-task-a",
              i ? "U-mode illegal instruction (csrr sstatus) killed the task"
                : "U-mode load from a supervisor page killed the task");
    }
}

struct task *schedule(void)
{
    struct task *from = current;
    for (int i = 1; i <= NTASKS; i++) {
        struct task *t = &tasks[((from - tasks) + i) % NTASKS];
        if (t->state == TASK_RUNNABLE)
            return t;
    }
    verdict();
    finish(failures != 0);
}

static void tasks_init(void)
{
    static const char *const names[NTASKS] = {"a", "b"};
    char *entries[NTASKS] = {task_a, task_b};
    uint64_t code = (uint64_t)user_code_start;
    uint64_t size = ((uint64_t)user_code_end - code + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    for (int i = 0; i < NTASKS; i++) {
        struct task *t = &tasks[i];
        t->name = names[i];
        t->state = TASK_RUNNABLE;
        t->pagetable = page_alloc();
        t->entry = USER_TEXT_VA + (uint64_t)(entries[i] - user_code_start);
        vm_map(t->pagetable, USER_TEXT_VA, code, size, PTE_R | PTE_X | PTE_U);
        variant_init_task(t);
    }
    /* task a loads from the kernel's first page, task b reads sstatus (user_asm.S) */
    tasks[0].expected_cause = EXC_LOAD_PAGE_FAULT;
    tasks[0].expected_tval = 0x80000000ul;
    tasks[1].expected_cause = EXC_ILLEGAL;
    /* QEMU reports the faulting instruction's bits in stval (privileged spec 4.1.10):
     * csrrs t0, sstatus, zero = CSR 0x100, rs1 0, funct3 2, rd 5 (x5), opcode SYSTEM 0x73 */
    tasks[1].expected_tval = (0x100ul << 20) | (0ul << 15) | (2ul << 12) | (5ul << 7) | 0x73;
}

void supervisor_main(void)
{
    puts_("isrgen riscv64 example kernel (variant ");
    puts_(VARIANT_NAME);
    puts_("), entered S-mode from M-mode\n");
    csr_write(sscratch, 0);

    kernel_pagetable = page_alloc();
    vm_map_kernel(kernel_pagetable);
    variant_map_kernel(kernel_pagetable);
    kernel_satp = make_satp(kernel_pagetable);
    vm_switch(kernel_satp);
    check(csr_read(satp) == kernel_satp, "sv39", "paging on (kernel text R+X, data R+W no X, no U)");

    uint64_t stvec = variant_stvec();
    pte_t pte = vm_lookup(kernel_pagetable, stvec & ~3ul);
    check((pte & PTE_V) && (pte & PTE_X) && !(pte & PTE_U), "vectors-executable",
          "the glue's entry is in a supervisor-executable page");
    csr_write(stvec, stvec);
    check(csr_read(stvec) == stvec, "stvec", "stvec points at the generated entry (direct mode)");

    kernel_fault_checks();
    kernel_irq_check();

    tasks_init();
    variant_check(kernel_pagetable);
    current = &tasks[0];
    variant_start(current);
}
