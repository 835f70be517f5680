/* The aarch64 example kernel's test sequence: every check prints one "ok"/"FAIL"
 * line on the PL011; the last line says whether all passed, and the semihosting
 * exit status agrees. */
#include "kernel.h"

#define TICK_HZ 5000        /* virtual timer rate: a task switch every 200 us */
#define KSTACK 8192         /* per-task EL1 stack: the glue's frame sits at its top */
#define USTACK 4096
#define SPSR_EL0T 0x0       /* EL0, AArch64, D A I F unmasked */
#define SPSR_EL1H_MASKED 0x3c5
#define SPSR_M(spsr) ((spsr) & 0xf)
#define M_EL1T 4
#define M_EL1H 5
#define SLOT_EL1T_SYNC 0
#define SLOT_EL1T_IRQ 1
#define SLOT_EL1H_SYNC 4
#define SLOT_EL1H_IRQ 5
#define SLOT_EL1H_FIQ 6
#define SLOT_EL0_SYNC 8
#define SLOT_EL0_IRQ 9
#define DFSC(esr) ((esr) & 0x3f)
#define FSC_TRANSLATION_L3 0x07
#define FSC_PERMISSION_L3 0x0f
#define ISS_WNR (1u << 6)

enum task_state { RUNNABLE, EXITED, KILLED };

struct task {
    const char *name;
    void (*entry)(u64);
    u64 arg;
    enum task_state state;
    u64 status;               /* SYS_EXIT */
    u64 esr, far, elr;        /* the fault that killed it */
    struct isr_frame *frame;  /* where it resumes */
};

struct fault_record {
    int taken;
    u64 kind, esr, far, elr, spsr, sp, frame;
    u64 x[8];
};

static u64 kernel_secret = 0x5ec7e75ec7e7;
static const u64 rodata_word = 0x0123456789abcdef;
static u32 xn_probe[4] __attribute__((aligned(16))) = {0xd65f03c0}; /* ret, in a data page */
static u64 el1t_stack[64] __attribute__((aligned(16)));

static u8 kstacks[NTASKS][KSTACK] __attribute__((aligned(16)));
static u8 ustacks[NTASKS][USTACK] __attribute__((section(".user_data"), aligned(16)));
static u8 finish_stack[KSTACK] __attribute__((aligned(16)));
static struct isr_frame finish_frame;

static struct task tasks[NTASKS] = {
    {.name = "task-a", .entry = user_task_main, .arg = 0},
    {.name = "task-b", .entry = user_task_main, .arg = 1},
    {.name = "user-data-abort", .entry = user_fault_read},
    {.name = "user-undef", .entry = user_fault_undef},
    {.name = "user-exec-kernel", .entry = user_fault_exec},
};
static int current;

static volatile struct {
    int armed;
    int resume_at_lr;
    struct fault_record rec;
} expect;

static u64 kind_counts[16];
static u64 ticks, el1_ticks, spurious, unexpected_irqs, syscalls, switches_ab;
static u64 frames_off_task_stack; /* EL0 entries whose frame was not at the top of the task's EL1 stack */

static const char *slot_name(u64 kind)
{
    static const char *const names[16] = {
        "EL1t sync", "EL1t IRQ", "EL1t FIQ", "EL1t SError", "EL1h sync", "EL1h IRQ", "EL1h FIQ", "EL1h SError",
        "EL0 sync", "EL0 IRQ", "EL0 FIQ", "EL0 SError", "AArch32 sync", "AArch32 IRQ", "AArch32 FIQ", "AArch32 SError",
    };
    return kind < 16 ? names[kind] : "?";
}

static const char *ec_name(u64 ec)
{
    switch (ec) {
    case EC_UNKNOWN: return "undefined instruction";
    case EC_SVC64: return "SVC";
    case EC_IABT_LOWER: return "instruction abort from EL0";
    case EC_IABT_CUR: return "instruction abort";
    case EC_PC_ALIGN: return "PC alignment fault";
    case EC_DABT_LOWER: return "data abort from EL0";
    case EC_DABT_CUR: return "data abort";
    case EC_SP_ALIGN: return "SP alignment fault";
    default: return "other";
    }
}

static const u64 *gprs(const struct isr_frame *f)
{
    return (const u64 *)(const void *)f; /* x0..x30 are the frame's first 31 words */
}

static void dump_frame(const struct isr_frame *f)
{
    kprintf("  slot %lu (%s) ESR=0x%08lx (EC 0x%02lx: %s, ISS 0x%07lx) FAR=0x%016lx\n", f->kind, slot_name(f->kind),
            f->esr, esr_ec(f->esr), ec_name(esr_ec(f->esr)), esr_iss(f->esr), f->far);
    kprintf("  ELR=0x%016lx SPSR=0x%08lx SP=0x%016lx frame=%p\n", f->elr, f->spsr, f->sp, (const void *)f);
    for (int n = 0; n < 31; n++)
        kprintf("%sx%02d=%016lx%s", n % 4 ? " " : "  ", n, gprs(f)[n], n % 4 == 3 || n == 30 ? "\n" : "");
}

/* ---- handlers the glue calls ---- */

void isr_kernel_fault(struct isr_frame *f)
{
    u64 ec = esr_ec(f->esr);
    if (exit_pending && ec == EC_UNKNOWN) {
        kprintf("semihosting is not enabled (hlt #0xf000 is undefined): PSCI SYSTEM_OFF\n");
        psci_system_off();
    }
    kprintf("kernel fault: %s\n", ec_name(ec));
    dump_frame(f);
    kind_counts[f->kind & 15]++;
    if (!expect.armed) {
        kprintf("FAIL unexpected-kernel-fault: no test expected this fault\n");
        system_exit(EXIT_STATUS_FAILED);
    }
    expect.rec.taken = 1;
    expect.rec.kind = f->kind;
    expect.rec.esr = f->esr;
    expect.rec.far = f->far;
    expect.rec.elr = f->elr;
    expect.rec.spsr = f->spsr;
    expect.rec.sp = f->sp;
    expect.rec.frame = (u64)f;
    for (int n = 0; n < 8; n++)
        expect.rec.x[n] = gprs(f)[n];
    expect.armed = 0;
    f->elr = expect.resume_at_lr ? f->x30 : f->elr + 4;
}

static struct isr_frame *schedule(struct isr_frame *f)
{
    int prev = current;
    tasks[current].frame = f;
    for (int k = 1; k <= NTASKS; k++) {
        int n = (current + k) % NTASKS;
        if (tasks[n].state == RUNNABLE) {
            current = n;
            if (prev + n == 1)
                switches_ab++;
            return tasks[n].frame;
        }
    }
    return &finish_frame;
}

static struct isr_frame *irq(struct isr_frame *f)
{
    u32 iar = gic_ack();
    u32 id = iar & 0x3ff;
    if (id == GIC_SPURIOUS) {
        spurious++;
        return f;
    }
    if (id == TIMER_PPI) {
        timer_rearm();
        ticks++;
    } else {
        unexpected_irqs++;
    }
    gic_eoi(iar);
    if (f->kind != SLOT_EL0_IRQ) {
        el1_ticks += SPSR_M(f->spsr) == M_EL1H;
        return f;
    }
    user_interrupts[current]++;
    return schedule(f);
}

/* The glue pops an EL0 frame on resume (SP_EL1 = frame + sizeof), so every entry
 * from a task saves its frame at the top of that task's EL1 stack. */
static void check_frame_place(const struct isr_frame *f)
{
    frames_off_task_stack += (const u8 *)(f + 1) != kstacks[current] + KSTACK;
}

struct isr_frame *isr_dispatch(struct isr_frame *f)
{
    kind_counts[f->kind & 15]++;
    if (f->kind == SLOT_EL0_IRQ || f->kind == SLOT_EL0_SYNC)
        check_frame_place(f);
    if (f->kind == SLOT_EL1T_IRQ || f->kind == SLOT_EL1H_IRQ || f->kind == SLOT_EL0_IRQ)
        return irq(f);
    if (f->kind == SLOT_EL0_SYNC) {
        struct task *t = &tasks[current];
        t->state = KILLED;
        t->esr = f->esr;
        t->far = f->far;
        t->elr = f->elr;
        kprintf("%s killed: %s, ESR=0x%08lx FAR=0x%016lx ELR=0x%016lx\n", t->name, ec_name(esr_ec(f->esr)),
                f->esr, f->far, f->elr);
        return schedule(f);
    }
    kprintf("FAIL dispatch: isr_dispatch called for slot %lu (%s)\n", f->kind, slot_name(f->kind));
    dump_frame(f);
    system_exit(EXIT_STATUS_FAILED);
}

void isr_syscall(struct isr_frame *f)
{
    syscalls++;
    kind_counts[f->kind & 15]++;
    check_frame_place(f);
    switch (f->x8) {
    case SYS_SUM:
        f->x0 = f->x0 + f->x1 + f->x2 + f->x3 + f->x4 + f->x5;
        break;
    case SYS_EXIT:
        tasks[current].state = EXITED;
        tasks[current].status = f->x0;
        kprintf("%s exited with status %lu\n", tasks[current].name, f->x0);
        f->x0 = 0;
        break;
    default:
        f->x0 = (u64)-1;
    }
    /* Kernel values in every register but x0: the glue must zero x1-x30 before eret. */
    u64 *x = (u64 *)(void *)f;
    for (int n = 1; n < 31; n++)
        x[n] = (u64)&kernel_secret + (u64)n;
}

static volatile int bad_mode_expected;
static _Noreturn void verdict(void);

_Noreturn void isr_bad_mode(struct isr_frame *f)
{
    if (bad_mode_expected) {
        timer_stop();
        check(f->kind == SLOT_EL1H_FIQ && SPSR_M(f->spsr) == M_EL1H, "bad-mode",
              "the timer signalled as FIQ at EL1h: slot %lu (%s) reached isr_bad_mode", f->kind, slot_name(f->kind));
        verdict();
    }
    kprintf("FAIL bad-mode: exception through slot %lu (%s)\n", f->kind, slot_name(f->kind));
    dump_frame(f);
    system_exit(EXIT_STATUS_FAILED);
}

/* ---- EL1 fault checks ---- */

static struct fault_record run_fault(void (*fn)(u64), u64 arg, int resume_at_lr)
{
    expect.rec.taken = 0;
    expect.resume_at_lr = resume_at_lr;
    expect.armed = 1;
    fn(arg);
    expect.armed = 0;
    struct fault_record r;
    r.taken = expect.rec.taken;
    r.kind = expect.rec.kind;
    r.esr = expect.rec.esr;
    r.far = expect.rec.far;
    r.elr = expect.rec.elr;
    r.spsr = expect.rec.spsr;
    r.sp = expect.rec.sp;
    r.frame = expect.rec.frame;
    for (int n = 0; n < 8; n++)
        r.x[n] = expect.rec.x[n];
    return r;
}

static int on_boot_stack(u64 frame)
{
    extern char __kstack_bottom[], __kstack_top[];
    return frame >= (u64)__kstack_bottom && frame < (u64)__kstack_top;
}

static u64 sp_el0_probe_result;
static u64 el1t_sp;
static void call_el1t_sp_align(u64 sp0) { sp_el0_probe_result = fault_el1t_sp_align(sp0); }
static void call_el1t_undef(u64 sp0) { sp_el0_probe_result = fault_el1t_undef(sp0); }
static void call_undef(u64 unused) { (void)unused; fault_undef(); }
static void call_address(u64 address) { ((void (*)(void))address)(); }

static void kernel_faults(void)
{
    struct fault_record r;

    u64 guard = (u64)__kstack_guard;
    r = run_fault(fault_read, guard, 0);
    check(r.taken && esr_ec(r.esr) == EC_DABT_CUR && DFSC(r.esr) == FSC_TRANSLATION_L3 && !(r.esr & ISS_WNR) &&
              r.far == guard && r.kind == SLOT_EL1H_SYNC && on_boot_stack(r.frame),
          "kernel-data-abort", "read of the unmapped stack guard 0x%lx: EC 0x%02lx DFSC 0x%02lx FAR 0x%lx slot %lu, resumed",
          guard, esr_ec(r.esr), DFSC(r.esr), r.far, r.kind);

    u64 ro = (u64)&rodata_word;
    r = run_fault(fault_write, ro, 0);
    check(r.taken && esr_ec(r.esr) == EC_DABT_CUR && DFSC(r.esr) == FSC_PERMISSION_L3 && (r.esr & ISS_WNR) &&
              r.far == ro && rodata_word == 0x0123456789abcdef,
          "kernel-data-abort-write", "write to read-only 0x%lx: EC 0x%02lx DFSC 0x%02lx WnR %d FAR 0x%lx, resumed", ro,
          esr_ec(r.esr), DFSC(r.esr), !!(r.esr & ISS_WNR), r.far);

    r = run_fault(call_undef, 0, 0);
    int regs_ok = 1;
    for (int n = 0; n < 8; n++)
        regs_ok &= r.x[n] == UNDEF_PATTERN((u64)n);
    check(r.taken && esr_ec(r.esr) == EC_UNKNOWN && r.elr == (u64)fault_undef + 32 * 4 && regs_ok &&
              r.kind == SLOT_EL1H_SYNC,
          "kernel-undef", "udf at 0x%lx: EC 0x%02lx, x0-x7 in the dump %s, resumed", r.elr, esr_ec(r.esr),
          regs_ok ? "as loaded" : "WRONG");

    u64 misaligned = (u64)&el1t_stack[32] + 8;
    r = run_fault(call_el1t_sp_align, misaligned, 0);
    if (!r.taken)
        skip("kernel-sp-align", "SCTLR_EL1.SA=%lu, yet a load through SP_EL0=0x%lx in EL1t took no exception: this "
             "CPU model does not check SP alignment (QEMU TCG omits the check)",
             (read_sysreg(sctlr_el1) >> 3) & 1, misaligned);
    else
        check(esr_ec(r.esr) == EC_SP_ALIGN && r.kind == SLOT_EL1T_SYNC && r.sp == misaligned &&
                  sp_el0_probe_result == misaligned && on_boot_stack(r.frame),
              "kernel-sp-align", "EC 0x%02lx through slot %lu, frame on SP_EL1, sp 0x%lx, resumed on SP 0x%lx",
              esr_ec(r.esr), r.kind, r.sp, sp_el0_probe_result);

    el1t_sp = misaligned;
    r = run_fault(call_el1t_undef, misaligned, 0);
    check(r.taken && esr_ec(r.esr) == EC_UNKNOWN && r.kind == SLOT_EL1T_SYNC && SPSR_M(r.spsr) == M_EL1T &&
              r.sp == misaligned && sp_el0_probe_result == misaligned && on_boot_stack(r.frame),
          "kernel-el1t", "udf in EL1t on SP_EL0=0x%lx: slot %lu, SPSR.M %lu, frame sp 0x%lx, frame on SP_EL1 (%s), "
          "resumed on SP 0x%lx",
          misaligned, r.kind, SPSR_M(r.spsr), r.sp, on_boot_stack(r.frame) ? "yes" : "NO", sp_el0_probe_result);

    u64 data = (u64)xn_probe;
    r = run_fault(call_address, data, 1);
    check(r.taken && esr_ec(r.esr) == EC_IABT_CUR && DFSC(r.esr) == FSC_PERMISSION_L3 && r.far == data && r.elr == data,
          "kernel-xn", "branch to a data page 0x%lx: EC 0x%02lx IFSC 0x%02lx FAR 0x%lx, resumed at the caller", data,
          esr_ec(r.esr), DFSC(r.esr), r.far);

    u64 odd = (u64)fault_read + 2;
    r = run_fault(call_address, odd, 1);
    check(r.taken && esr_ec(r.esr) == EC_PC_ALIGN && r.far == odd && r.elr == odd && r.kind == SLOT_EL1H_SYNC,
          "kernel-pc-align", "branch to 0x%lx: EC 0x%02lx FAR 0x%lx ELR 0x%lx, resumed at the caller", odd,
          esr_ec(r.esr), r.far, r.elr);

    u64 user = (u64)user_fault_undef;
    r = run_fault(call_address, user, 1);
    check(r.taken && esr_ec(r.esr) == EC_IABT_CUR && DFSC(r.esr) == FSC_PERMISSION_L3 && r.far == user,
          "kernel-pxn-user", "branch to user text 0x%lx at EL1: EC 0x%02lx IFSC 0x%02lx FAR 0x%lx, resumed", user,
          esr_ec(r.esr), DFSC(r.esr), r.far);
}

static void el1_interrupts(void)
{
    int gic = gic_init();
    timer_start(TICK_HZ);
    __asm__ volatile("msr daifclr, #2" : : : "memory");
    while (el1_ticks < 5)
        __asm__ volatile("wfi" : : : "memory");
    __asm__ volatile("msr daifset, #2" : : : "memory");
    check(el1_ticks >= 5 && kind_counts[SLOT_EL1H_IRQ] >= 5 && unexpected_irqs == 0, "kernel-irq",
          "%lu virtual timer interrupts (PPI %d, GICv%d) taken at EL1 through slot 5, resumed", el1_ticks, TIMER_PPI,
          gic);
}

/* ---- the end ---- */

static void task_checks(void)
{
    for (int i = 0; i < 2; i++) {
        const struct task *t = &tasks[i];
        const struct task_report *r = &user_reports[i];
        char id[16] = "svc-task-a";
        id[9] = (char)('a' + i);
        check(r->svc_result == r->svc_expected && r->svc_nonzero == 0 && !r->svc_sp_changed && r->svc_fp_changed == 0,
              id, "SYS_SUM from EL0: x0=0x%lx (want 0x%lx), nonzero x1-x30 after svc: mask 0x%lx, SP changed %lu, "
              "q registers changed: mask 0x%lx",
              r->svc_result, r->svc_expected, r->svc_nonzero, r->svc_sp_changed, r->svc_fp_changed);
        char rid[16] = "regs-task-a";
        rid[10] = (char)('a' + i);
        check(r->mismatches == 0 && r->interrupts >= REGCHECK_MIN_INTERRUPTS, rid,
              "%lu interrupts in %lu rounds with x0-x30, SP, NZCV, q0-q31, FPCR, FPSR live: %lu changed "
              "(first: round %lu field %lu want 0x%lx got 0x%lx)",
              r->interrupts, r->rounds, r->mismatches, r->bad_round, r->bad_field, r->bad_want, r->bad_got);
        char eid[16] = "exit-task-a";
        eid[10] = (char)('a' + i);
        check(t->state == EXITED && t->status == 0, eid, "state %d, exit status %lu", t->state, t->status);
    }
    check(switches_ab >= 2 * REGCHECK_MIN_INTERRUPTS && kind_counts[SLOT_EL0_IRQ] >= 2 * REGCHECK_MIN_INTERRUPTS &&
              frames_off_task_stack == 0,
          "timer-switch", "%lu switches between task-a and task-b, %lu EL0 interrupts through slot 9, %lu ticks; "
          "frames not at the top of the task's EL1 stack: %lu",
          switches_ab, kind_counts[SLOT_EL0_IRQ], ticks, frames_off_task_stack);

    static const struct {
        int task;
        u64 ec, fsc, far;
    } killed[] = {
        {2, EC_DABT_LOWER, FSC_PERMISSION_L3, 0},
        {3, EC_UNKNOWN, 0, 0},
        {4, EC_IABT_LOWER, FSC_PERMISSION_L3, 0},
    };
    for (unsigned k = 0; k < sizeof killed / sizeof killed[0]; k++) {
        const struct task *t = &tasks[killed[k].task];
        u64 ec = esr_ec(t->esr);
        int ok = t->state == KILLED && ec == killed[k].ec;
        if (killed[k].ec != EC_UNKNOWN)
            ok &= DFSC(t->esr) == killed[k].fsc && t->far == t->arg;
        else
            ok &= t->elr == (u64)t->entry;
        check(ok, t->name, "killed by %s (EC 0x%02lx FSC 0x%02lx) FAR 0x%lx ELR 0x%lx, the others ran on", ec_name(ec),
              ec, DFSC(t->esr), t->far, t->elr);
    }
    check(syscalls == 4 && kind_counts[SLOT_EL0_SYNC] == 3 + 4 && spurious == 0 && unexpected_irqs == 0, "svc-count",
          "%lu system calls, %lu EL0 synchronous exceptions, %lu spurious and %lu unexpected interrupts", syscalls,
          kind_counts[SLOT_EL0_SYNC], spurious, unexpected_irqs);
}

static _Noreturn void finish(void)
{
    timer_stop();
    u64 sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    u64 el = (read_sysreg(CurrentEL) >> 2) & 3, spsel = read_sysreg(spsel);
    check(el == 1 && spsel == 1 && sp > (u64)finish_stack && sp <= (u64)(finish_stack + KSTACK), "finish",
          "every task ended; isr_dispatch's EL1h frame resumed here: EL%lu, SPSel %lu, SP 0x%lx on the finish stack",
          el, spsel, sp);
    task_checks();

    /* Last: a slot the spec routes nowhere else. The timer becomes an FIQ (GIC group 0
     * signalled as FIQ), unmasked at EL1h: slot 6 goes to isr_bad_mode, which ends the run. */
    bad_mode_expected = 1;
    gic_timer_as_fiq();
    timer_start(TICK_HZ);
    __asm__ volatile("msr daifclr, #1" : : : "memory");
    for (int spins = 0; spins < 100000; spins++)
        __asm__ volatile("wfi" : : : "memory");
    __asm__ volatile("msr daifset, #1" : : : "memory");
    check(0, "bad-mode", "no FIQ arrived");
    verdict();
}

static _Noreturn void verdict(void)
{
#ifdef HALT_AT_END
    kprintf("%d checks failed; halting in isr_halt\n", check_failures());
    isr_halt();
#endif
    if (check_failures() == 0) {
        kprintf("ALL CHECKS PASSED\n");
        system_exit(EXIT_STATUS_PASSED);
    }
    kprintf("%d CHECKS FAILED\n", check_failures());
    system_exit(EXIT_STATUS_FAILED);
}

static void tasks_init(void)
{
    tasks[2].arg = (u64)&kernel_secret;
    tasks[4].arg = (u64)fault_read;
    for (int i = 0; i < NTASKS; i++) {
        struct isr_frame *f = (struct isr_frame *)(void *)(kstacks[i] + KSTACK) - 1;
        u64 *w = (u64 *)(void *)f;
        for (u64 n = 0; n < sizeof *f / 8; n++)
            w[n] = 0;
        f->x0 = tasks[i].arg;
        f->x30 = (u64)user_exit;
        f->sp = (u64)(ustacks[i] + USTACK);
        f->elr = (u64)tasks[i].entry;
        f->spsr = SPSR_EL0T;
        tasks[i].frame = f;
    }
    finish_frame.elr = (u64)finish;
    finish_frame.spsr = SPSR_EL1H_MASKED;
    finish_frame.sp = (u64)(finish_stack + KSTACK);
}

_Noreturn void kmain(void)
{
    kprintf("isrgen aarch64 example kernel, entered at EL%lu\n", boot_el);
    mmu_init();
    u64 el = (read_sysreg(CurrentEL) >> 2) & 3;
    check(el == 1 && mmu_enabled(), "mmu", "at EL%lu, SCTLR_EL1=0x%lx: MMU on, 4 KiB identity map, execute-never "
          "everywhere but kernel and user text", el, read_sysreg(sctlr_el1));
    check((translate_el1_read((u64)__kstack_guard) & 1) && !(translate_el1_read((u64)__text_start) & 1), "mmu-map",
          "AT S1E1R: text 0x%lx translates, the stack guard 0x%lx does not", (u64)__text_start, (u64)__kstack_guard);

    u64 vectors = vectors_address();
    int executable = vectors >= (u64)__text_start && vectors + 0x800 <= (u64)__text_end;
    check(executable && !(vectors & 0x7ff), "vectors-executable",
          "isr_vectors at 0x%lx, 2 KiB aligned, inside the kernel text [0x%lx, 0x%lx)", vectors, (u64)__text_start,
          (u64)__text_end);
    isr_install_vbar();
    check(read_sysreg(vbar_el1) == vectors, "vbar", "VBAR_EL1=0x%lx", read_sysreg(vbar_el1));

    kernel_faults();
    el1_interrupts();
    tasks_init();
    kprintf("starting %d EL0 tasks; task-a and task-b switch on every timer tick (%d Hz)\n", NTASKS, TICK_HZ);
    current = 0;
    isr_return(tasks[0].frame);
    __builtin_unreachable(); /* whether or not isr.h declares isr_return noreturn */
}
