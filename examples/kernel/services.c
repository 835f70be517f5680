/* What the interrupt handlers call, from C (handlers.c) or Rust (rust/handlers.rs):
 * fault records, the kernel core dump, fault-test recovery, and the ring-3 tasks. */
#include "kernel.h"

const char *const vector_mnemonic[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
    "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23", "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

static struct fault_info last = {.vector = 256};

void fault_record(const struct isr_frame *f, u64 cr2)
{
    last.vector = f->vector;
    last.error = f->error_code;
    last.cr2 = cr2;
    last.cs = f->cs;
    last.rsp = f->rsp;
    last.frame = (u64)f;
}

struct fault_info fault_take(void)
{
    struct fault_info r = last;
    last.vector = 256;
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

static struct kjmp *armed;

void catch_arm(struct kjmp *j)
{
    armed = j;
}

void catch_disarm(void)
{
    armed = 0;
}

struct isr_frame *kernel_fault_recover(struct isr_frame *f)
{
    struct kjmp *j = armed;
    if (!j) {
        kprintf("PANIC: unexpected kernel fault\n");
        qemu_exit(EXIT_FAILURE_VALUE);
    }
    armed = 0;
    kjmp_resume_frame(f, j);
    return f;
}

/* ---- ring-3 tasks: entered with the generated exit routine, switched by the timer ---- */

static struct task *tasks;
static int ntasks, cur;
static struct kjmp tasks_done;
static u64 kernel_ticks;

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
    tasks = t;
    ntasks = n;
    cur = 0;
    if (kcatch(&tasks_done) == 0)
        isr_return(&t[0].frame); /* first entry into ring 3: a fabricated frame */
    tasks = 0;
}

struct task *task_current(void)
{
    return tasks ? &tasks[cur] : 0;
}

static struct isr_frame *switch_from(struct isr_frame *f)
{
    for (int k = 1; k <= ntasks; k++) {
        int i = (cur + k) % ntasks;
        if (tasks[i].alive) {
            cur = i;
            return &tasks[i].frame;
        }
    }
    kjmp_resume_frame(f, &tasks_done); /* every task ended: back to tasks_run */
    return f;
}

struct isr_frame *task_exit(struct isr_frame *f, u64 code)
{
    tasks[cur].alive = 0;
    tasks[cur].exit_code = code;
    return switch_from(f);
}

struct isr_frame *task_tick(struct isr_frame *f)
{
    struct task *t = &tasks[cur];
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
    return switch_from(f);
}

void note_kernel_tick(void)
{
    kernel_ticks++;
}

u64 timer_ticks_in_kernel(void)
{
    return kernel_ticks;
}

/* ---- GS and privilege bookkeeping of every handler call ---- */

static struct {
    u64 calls[2][2]; /* [ring 3?][paranoid entry?] */
    u64 syscalls;
    u64 bad_gs;
    u64 wrong_side; /* a kernel handler for ring 3, or a user handler for ring 0 */
} seen;

static int paranoid_vector(u64 v)
{
    return v == ISR_VEC_DEBUG || v == ISR_VEC_NMI || v == ISR_VEC_DOUBLE_FAULT || v == ISR_VEC_MACHINE_CHECK;
}

void handler_entered(const struct isr_frame *f, int kernel_handler, int syscall)
{
    int user = (f->cs & 3) == 3;
    if (syscall)
        seen.syscalls++;
    else
        seen.calls[user][paranoid_vector(f->vector)]++;
    if (gs_self() != PERCPU_VA)
        seen.bad_gs++;
    if (f->vector < 32 && kernel_handler == user)
        seen.wrong_side++;
}

void handler_report(void)
{
    u64 total = seen.calls[0][0] + seen.calls[0][1] + seen.calls[1][0] + seen.calls[1][1] + seen.syscalls;
    check(seen.bad_gs == 0 && seen.calls[0][0] && seen.calls[0][1] && seen.calls[1][0] && seen.calls[1][1] &&
              seen.syscalls,
          "swapgs-kernel",
          "%lu handler calls read the kernel per-CPU block at gs:[0] (wrong: %lu): from ring 0 %lu (+%lu paranoid), "
          "from ring 3 %lu (+%lu paranoid), SYSCALL %lu",
          total, seen.bad_gs, seen.calls[0][0], seen.calls[0][1], seen.calls[1][0], seen.calls[1][1], seen.syscalls);
    check(seen.wrong_side == 0, "privilege-split",
          "the generated entries sent every ring-0 exception to isr_kernel_fault and every ring-3 one to "
          "isr_user_fault (mismatches: %lu)",
          seen.wrong_side);
}

static u64 nmi_count, nmi_on_ist;

void nmi_seen(const struct isr_frame *f)
{
    nmi_count++;
    nmi_on_ist += on_ist_stack(f, 2);
    kprintf("NMI: rip=0x%lx cs=0x%lx frame=0x%lx on IST2=%d -> resumed\n", f->rip, f->cs, (u64)f, on_ist_stack(f, 2));
}

u64 nmi_seen_count(void)
{
    return nmi_count == nmi_on_ist ? nmi_count : 0;
}

static u64 spurious_count;

void spurious_seen(void)
{
    spurious_count++;
}

u64 spurious_seen_count(void)
{
    return spurious_count;
}

void self_ipi_seen(int in_service_before, int in_service_after, u64 eoi_before, u64 eoi_after)
{
    check(in_service_before && in_service_after && eoi_before == eoi_after && spurious_count == 1, "spurious-no-eoi",
          "spurious vector 255 ran inside the self-IPI handler: vector 64 in service before=%d after=%d, "
          "EOIs before=%lu after=%lu",
          in_service_before, in_service_after, eoi_before, eoi_after);
}
