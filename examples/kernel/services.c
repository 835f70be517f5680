/* What the interrupt handlers call, from C (handlers.c) or Rust (rust/handlers.rs):
 * fault records, the kernel core dump, fault-test recovery, and the ring-3 tasks. */
#include "kernel.h"

const char *const vector_mnemonic[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
    "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23", "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

/* Per CPU, indexed through GS: the last kernel fault, and the armed fault test. */
static struct fault_info last[MAX_CPUS] = {[0 ... MAX_CPUS - 1] = {.vector = 256}};
static struct kjmp *armed[MAX_CPUS];

void fault_record(const struct isr_frame *f, u64 cr2)
{
    struct fault_info *l = &last[this_cpu()];
    l->vector = f->vector;
    l->error = f->error_code;
    l->cr2 = cr2;
    l->cs = f->cs;
    l->rsp = f->rsp;
    l->frame = (u64)f;
}

struct fault_info fault_take(void)
{
    struct fault_info *l = &last[this_cpu()];
    struct fault_info r = *l;
    l->vector = 256;
    return r;
}

void core_dump(const struct isr_frame *f, u64 cr2)
{
    const char *name = f->vector < 32 ? vector_mnemonic[f->vector] : "irq";
    kprintf("kernel fault: %s vector=%lu error=0x%lx cr2=0x%lx (ring %lu) -- core dump:\n", name, f->vector,
            f->error_code, cr2, f->cs & 3);
    kprintf("  rip=%16lx cs=%lx rflags=%lx rsp=%16lx ss=%lx frame=%lx\n", f->rip, f->cs, f->rflags, f->rsp, f->ss,
            (u64)f);
    kprintf("  rax=%16lx rbx=%16lx rcx=%16lx rdx=%16lx\n", f->rax, f->rbx, f->rcx, f->rdx);
    kprintf("  rsi=%16lx rdi=%16lx rbp=%16lx r8 =%16lx\n", f->rsi, f->rdi, f->rbp, f->r8);
    kprintf("  r9 =%16lx r10=%16lx r11=%16lx r12=%16lx\n", f->r9, f->r10, f->r11, f->r12);
    kprintf("  r13=%16lx r14=%16lx r15=%16lx\n", f->r13, f->r14, f->r15);
}

void catch_arm(struct kjmp *j)
{
    armed[this_cpu()] = j;
}

void catch_disarm(void)
{
    armed[this_cpu()] = 0;
}

struct isr_frame *kernel_fault_recover(struct isr_frame *f)
{
    struct kjmp *j = armed[this_cpu()];
    if (!j) {
        kprintf("PANIC: unexpected kernel fault\n");
        qemu_exit(EXIT_FAILURE_VALUE);
    }
    armed[this_cpu()] = 0;
    kjmp_resume_frame(f, j);
    return f;
}

/* ---- ring-3 tasks: entered with the generated exit routine, switched by the timer ---- */

/* Each CPU schedules its own tasks (indexed through GS). */
static struct sched {
    struct task *tasks;
    int ntasks, cur;
    struct kjmp done;
    u64 kernel_ticks;
} sched[MAX_CPUS];

void tasks_setup(struct task *t, const char *name, void (*entry)(void), u64 rdi, u64 user_rsp)
{
    *t = (struct task){0};
    t->name = name;
    t->alive = 1;
    t->fault_vector = 256;
    t->frame.rip = (u64)entry;
    t->frame.cs = UCODE;
    t->frame.ss = UDATA;
    t->frame.rflags = 0x202; /* IF */
    t->frame.rsp = user_rsp;
    t->frame.rdi = rdi;
}

void tasks_run(struct task *t, int n)
{
    struct sched *s = &sched[this_cpu()];
    s->tasks = t;
    s->ntasks = n;
    s->cur = 0;
    if (kcatch(&s->done) == 0)
        isr_return(&t[0].frame); /* first entry into ring 3: a fabricated frame */
    s->tasks = 0;
}

struct task *task_current(void)
{
    struct sched *s = &sched[this_cpu()];
    return s->tasks ? &s->tasks[s->cur] : 0;
}

static struct isr_frame *switch_from(struct sched *s, struct isr_frame *f)
{
    for (int k = 1; k <= s->ntasks; k++) {
        int i = (s->cur + k) % s->ntasks;
        if (s->tasks[i].alive) {
            s->cur = i;
            return &s->tasks[i].frame;
        }
    }
    kjmp_resume_frame(f, &s->done); /* every task ended: back to tasks_run */
    return f;
}

struct isr_frame *task_exit(struct isr_frame *f, u64 code)
{
    struct sched *s = &sched[this_cpu()];
    s->tasks[s->cur].alive = 0;
    s->tasks[s->cur].exit_code = code;
    return switch_from(s, f);
}

struct isr_frame *task_tick(struct isr_frame *f)
{
    struct sched *s = &sched[this_cpu()];
    struct task *t = &s->tasks[s->cur];
    t->ticks++;
    if (t->tick_slot)
        *t->tick_slot = t->ticks;
    t->frame = *f;
    if (f->simd_area) {
        /* The IRQ entry saved the SIMD state below the frame, on the interrupt stack
         * the next interruption reuses: keep it with the task, and point its frame
         * there for the exit path's fxrstor. */
        const volatile u64 *from = (const volatile u64 *)f->simd_area;
        volatile u64 *to = (volatile u64 *)t->simd;
        for (unsigned i = 0; i < sizeof t->simd / 8; i++)
            to[i] = from[i];
        t->frame.simd_area = (u64)t->simd;
    }
    return switch_from(s, f);
}

void note_kernel_tick(void)
{
    sched[this_cpu()].kernel_ticks++;
}

u64 timer_ticks_in_kernel(void)
{
    return sched[this_cpu()].kernel_ticks;
}

/* ---- GS and privilege bookkeeping of every handler call ---- */

/* Per CPU, indexed by the LAPIC ID (not through GS, which is what is checked). */
static struct {
    u64 calls[2][2]; /* [ring 3?][paranoid entry?] */
    u64 syscalls;
    u64 bad_gs;
    u64 bad_gs_seen; /* the first wrong gs:[0] */
    u64 wrong_side;  /* a kernel handler for ring 3, or a user handler for ring 0 */
    u64 own_stack;   /* frames on this CPU's own RSP0 or IST stack, where the CPU had to switch */
    u64 wrong_stack; /* ... on any other stack */
    u64 irq_stack;   /* IRQ handlers that ran on this CPU's IRQ stack */
    u64 irq_off;     /* ... elsewhere */
} seen[MAX_CPUS];
static u64 unknown_cpu_calls;

/* kernel.yaml's class irq: the vectors whose handlers run on the IRQ stack */
static int irq_vector(u64 v)
{
    return v >= 32 && v < ISR_VEC_SPURIOUS && v != ISR_VEC_BAD_IST_PROBE && v != ISR_VEC_SYSCALL;
}

static int paranoid_vector(u64 v)
{
    return v == ISR_VEC_DEBUG || v == ISR_VEC_NMI || v == ISR_VEC_DOUBLE_FAULT || v == ISR_VEC_MACHINE_CHECK;
}

void handler_entered(const struct isr_frame *f, int kernel_handler, int syscall)
{
    int cpu = lapic_cpu();
    if (cpu < 0) {
        __atomic_fetch_add(&unknown_cpu_calls, 1, __ATOMIC_SEQ_CST);
        return;
    }
    int user = (f->cs & 3) == 3;
    if (syscall)
        seen[cpu].syscalls++;
    else
        seen[cpu].calls[user][paranoid_vector(f->vector)]++;
    /* this CPU's own block: not another CPU's, not the user's GS base */
    u64 gs = gs_self();
    if (gs != percpu_va(cpu) || this_cpu() != cpu) {
        if (!seen[cpu].bad_gs++)
            seen[cpu].bad_gs_seen = gs;
    }
    if (f->vector < 32 && kernel_handler == user)
        seen[cpu].wrong_side++;
    /* where the CPU put the frame: the gate's IST stack, else (from ring 3, and for
     * SYSCALL through gs:[8]) RSP0; from ring 0 without IST it stays where it was */
    if (!syscall && irq_vector(f->vector)) {
        /* the handler's own stack (this function's frame): the IRQ stack, while the
         * frame the CPU and the entry built stays where the checks below find it */
        if (on_irq_stack(__builtin_frame_address(0)) && this_cpu_irq_depth() >= 1)
            seen[cpu].irq_stack++;
        else
            seen[cpu].irq_off++;
    }
    int ist = !syscall && f->vector < ISR_VECTOR_COUNT ? isr_gate_attrs[f->vector][1] : 0;
    if (ist || user || syscall) {
        if (ist ? on_ist_stack(f, ist) : on_trap_stack(f))
            seen[cpu].own_stack++;
        else
            seen[cpu].wrong_stack++;
    }
}

void handler_report(void)
{
    int cpu = lapic_cpu();
    if (cpu < 0) {
        check(0, "swapgs-kernel", "this CPU's LAPIC ID is not in the ACPI MADT");
        return;
    }
    const u64(*c)[2] = seen[cpu].calls;
    u64 total = c[0][0] + c[0][1] + c[1][0] + c[1][1] + seen[cpu].syscalls;
    check(seen[cpu].bad_gs == 0 && unknown_cpu_calls == 0 && c[0][0] && c[0][1] && c[1][0] && c[1][1] &&
              seen[cpu].syscalls,
          "swapgs-kernel",
          "%lu handler calls on this CPU read its own per-CPU block at gs:[0]=0x%lx (wrong: %lu, first 0x%lx; calls "
          "from CPUs outside the MADT: %lu): from ring 0 %lu (+%lu paranoid), from ring 3 %lu (+%lu paranoid), "
          "SYSCALL %lu",
          total, percpu_va(cpu), seen[cpu].bad_gs, seen[cpu].bad_gs_seen, unknown_cpu_calls, c[0][0], c[0][1],
          c[1][0], c[1][1], seen[cpu].syscalls);
    check(seen[cpu].own_stack && seen[cpu].wrong_stack == 0, "own-stacks",
          "%lu frames on this CPU's own RSP0 (ring 3, SYSCALL) or IST stacks (the gate's), %lu elsewhere",
          seen[cpu].own_stack, seen[cpu].wrong_stack);
    check(seen[cpu].irq_off == 0 && (cpu != 0 || seen[cpu].irq_stack), "irq-stack",
          "%lu IRQ handler calls ran on this CPU's IRQ stack (kernel.yaml irq_stack, counter at gs:[%d]), %lu elsewhere",
          seen[cpu].irq_stack, ISR_GS_IRQ_STACK_DEPTH, seen[cpu].irq_off);
    check(seen[cpu].wrong_side == 0, "privilege-split",
          "the generated entries sent every ring-0 exception to isr_kernel_fault and every ring-3 one to "
          "isr_user_fault (mismatches: %lu)",
          seen[cpu].wrong_side);
}

/* NMIs handled per CPU, and how many of them ran on that CPU's IST 2 (indexed through GS). */
static u64 nmi_count[MAX_CPUS], nmi_on_ist[MAX_CPUS];

/* NMIs that hit ring 3 (the negative-GS task), per CPU. */
static u64 user_nmis[MAX_CPUS];

void nmi_seen(const struct isr_frame *f)
{
    int cpu = this_cpu();
    if ((f->cs & 3) == 3) {
        /* the task spins until the word at its rsp counts enough of them */
        user_nmis[cpu] += on_ist_stack(f, 2);
        *(volatile u64 *)f->rsp = user_nmis[cpu];
        return;
    }
    nmi_on_ist[cpu] += on_ist_stack(f, 2);
    kprintf("NMI: rip=0x%lx cs=0x%lx frame=0x%lx on this CPU's IST2=%d -> resumed\n", f->rip, f->cs, (u64)f,
            on_ist_stack(f, 2));
    __atomic_store_n(&nmi_count[cpu], nmi_count[cpu] + 1, __ATOMIC_RELEASE);
}

u64 user_nmi_count(void)
{
    return user_nmis[this_cpu()];
}

u64 nmi_seen_count(void)
{
    int cpu = this_cpu();
    u64 n = __atomic_load_n(&nmi_count[cpu], __ATOMIC_ACQUIRE);
    return n == nmi_on_ist[cpu] ? n : 0;
}

static u64 spurious_count[MAX_CPUS];

void spurious_seen(void)
{
    spurious_count[this_cpu()]++;
}

u64 spurious_seen_count(void)
{
    return spurious_count[this_cpu()];
}

void self_ipi_seen(int in_service_before, int in_service_after, u64 eoi_before, u64 eoi_after)
{
    check(in_service_before && in_service_after && eoi_before == eoi_after && spurious_seen_count() == 1,
          "spurious-no-eoi",
          "spurious vector 255 ran inside the self-IPI handler: vector 64 in service before=%d after=%d, "
          "EOIs before=%lu after=%lu",
          in_service_before, in_service_after, eoi_before, eoi_after);
}
