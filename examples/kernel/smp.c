/* The application processors: started with INIT-SIPI-SIPI through the real-mode
 * trampoline (boot.S), each runs its own checks (per-CPU GDT/TSS, GS base,
 * stacks, SYSCALL, #DF on its IST 1, ring-3 tasks on its own timer), then idles
 * until the bootstrap processor drives the checks between CPUs: an IPI there and
 * back, an NMI, a TLB shootdown, and the final report. */
#include "kernel.h"

extern char ap_trampoline[], ap_trampoline_end[];
extern u64 user_gs_area[];

/* What ap_entry32 / ap_long_entry (boot.S) read for the AP being started. */
volatile u64 ap_boot_cr3, ap_boot_stack, ap_boot_cpu;

enum { CMD_NONE, CMD_AWAIT_NMI, CMD_REPORT };

static struct {
    int online;    /* ap_main entered */
    int ready;     /* its own checks done: idling */
    int cmd;       /* CMD_*: set by the BSP, cleared by the AP once done */
    int nmi_armed; /* CMD_AWAIT_NMI: the AP spins, waiting for the NMI */
} cpus[MAX_CPUS];

static int pong_sender = -1; /* the AP that sent the last reply IPI */
static u64 pong_count;       /* reply IPIs the BSP handled */
static u64 tlb_acks;         /* CPUs that invalidated the probe page and read the new one */

void cpu_relax(void)
{
    __asm__ volatile("pause" : : : "memory");
}

static u64 rdtsc(void)
{
    u32 lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((u64)hi << 32) | lo;
}

/* How long the BSP waits for another CPU before it reports a failure: ~40 s of
 * TSC at 2.5 GHz (QEMU's TCG TSC follows the host's), below the Makefile's
 * TIMEOUT. All CPUs share one host thread under TCG: on a loaded host with 8
 * CPUs an AP's own checks may take many seconds. */
#define WAIT_TSC 100000000000ull

/* Wait until *p == want, for up to WAIT_TSC; `irqs`: with interrupts enabled
 * meanwhile. Returns whether it happened. */
static int wait_for(const int *p, int want, int irqs)
{
    u64 end = rdtsc() + WAIT_TSC;
    if (irqs)
        __asm__ volatile("sti" : : : "memory");
    while (__atomic_load_n(p, __ATOMIC_ACQUIRE) != want && rdtsc() < end)
        cpu_relax();
    __asm__ volatile("cli" : : : "memory");
    return __atomic_load_n(p, __ATOMIC_ACQUIRE) == want;
}

static int wait_count(const u64 *p, u64 want, int irqs)
{
    u64 end = rdtsc() + WAIT_TSC;
    if (irqs)
        __asm__ volatile("sti" : : : "memory");
    while (__atomic_load_n(p, __ATOMIC_ACQUIRE) < want && rdtsc() < end)
        cpu_relax();
    __asm__ volatile("cli" : : : "memory");
    return __atomic_load_n(p, __ATOMIC_ACQUIRE) >= want;
}

/* Copy the trampoline to TRAMPOLINE_PA, while the boot identity map still covers low memory. */
void smp_install_trampoline(void)
{
    u64 a = TRAMPOLINE_PA;
    __asm__("" : "+r"(a)); /* an address, not a pointer the compiler can reason about */
    volatile u8 *to = (volatile u8 *)a;
    for (const char *p = ap_trampoline; p < ap_trampoline_end; p++)
        *to++ = (u8)*p;
}

static void ap_idle(int cpu);

/* An application processor, from boot.S's ap_long_entry, on its own kernel stack. */
void ap_main(int cpu)
{
    __atomic_store_n(&cpus[cpu].online, 1, __ATOMIC_RELEASE);
    gdt_tss_init(cpu);
    idt_load();
    percpu_init(cpu, (u64)user_gs_area);
    check(lapic_cpu() == cpu && lapic_id() == cpu_apic_id(cpu), "ap-online",
          "cpu %d (APIC ID %u) in long mode on its own GDT/TSS, kernel stack 0x%lx, GS base 0x%lx", cpu, lapic_id(),
          ap_kstack_top(cpu), gs_self());
    syscall_init();
    lapic_init_spurious(); /* before the timer: an AP whose SVR is unset gets no timer interrupts */
    u64 probe = tlb_probe_read(); /* the TLB now holds the probe page's first translation */
    check(probe == TLB_PROBE_OLD, "tlb-probe", "0x%lx reads 0x%lx through the first mapping", (u64)TLB_PROBE_VA, probe);
    kernel_overflow_check();
    syscalls();
    timer_tasks();
    __atomic_store_n(&cpus[cpu].ready, 1, __ATOMIC_RELEASE);
    ap_idle(cpu);
}

/* The NMI the BSP sends arrives while this CPU spins here, in ring 0. */
static void await_nmi(int cpu)
{
    __atomic_store_n(&cpus[cpu].nmi_armed, 1, __ATOMIC_RELEASE);
    u64 end = rdtsc() + WAIT_TSC;
    while (!nmi_seen_count() && rdtsc() < end)
        cpu_relax();
    check(nmi_seen_count() == 1 && gs_self() == percpu_va(cpu), "kernel-nmi",
          "NMI from cpu0 through the LAPIC: %lu handled on this CPU's IST 2 by the paranoid entry, kernel resumed "
          "with gs:[0]=0x%lx",
          nmi_seen_count(), gs_self());
}

/* Idle with interrupts on (sti; hlt: no wake-up is lost between the test and hlt)
 * and run what the BSP asks for. */
static void ap_idle(int cpu)
{
    for (;;) {
        __asm__ volatile("cli" : : : "memory");
        int cmd = __atomic_load_n(&cpus[cpu].cmd, __ATOMIC_ACQUIRE);
        if (cmd == CMD_NONE) {
            __asm__ volatile("sti; hlt" : : : "memory");
            continue;
        }
        if (cmd == CMD_AWAIT_NMI)
            await_nmi(cpu);
        else if (cmd == CMD_REPORT)
            handler_report();
        __atomic_store_n(&cpus[cpu].cmd, CMD_NONE, __ATOMIC_RELEASE);
    }
}

/* The BSP asks AP `cpu` to run `cmd` and waits until it has. */
static int ap_run(int cpu, int cmd)
{
    __atomic_store_n(&cpus[cpu].nmi_armed, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&cpus[cpu].cmd, cmd, __ATOMIC_RELEASE);
    lapic_send_ipi(cpu, ISR_VEC_IPI_WAKE);
    if (cmd == CMD_AWAIT_NMI) {
        if (!wait_for(&cpus[cpu].nmi_armed, 1, 0))
            return 0;
        lapic_send_nmi(cpu);
    }
    return wait_for(&cpus[cpu].cmd, CMD_NONE, 0);
}

void smp_boot(void)
{
    int n = cpu_count();
    check(lapic_id() == cpu_apic_id(0), "smp-cpus", "ACPI MADT: %d processor(s), this bootstrap processor is cpu0 (APIC ID %u)",
          n, lapic_id());
    u64 probe = tlb_probe_read();
    check(probe == TLB_PROBE_OLD, "tlb-probe", "0x%lx reads 0x%lx through the first mapping", (u64)TLB_PROBE_VA, probe);
    for (int c = 1; c < n; c++) {
        ap_boot_cr3 = kernel_cr3();
        ap_boot_stack = ap_kstack_top(c);
        ap_boot_cpu = (u64)c;
        /* INIT, 10 ms, STARTUP, and a second STARTUP only if the AP has not arrived
         * (SDM Vol. 3A 8.4.4.1; the TSC runs at roughly 2.5 GHz here) */
        lapic_send_init(c);
        u64 until = rdtsc() + 25000000ull;
        while (rdtsc() < until)
            cpu_relax();
        int sipis = 0;
        for (; sipis < 2 && !__atomic_load_n(&cpus[c].online, __ATOMIC_ACQUIRE); sipis++) {
            lapic_send_startup(c, TRAMPOLINE_PA >> 12);
            until = rdtsc() + 250000000ull; /* 100 ms */
            while (!__atomic_load_n(&cpus[c].online, __ATOMIC_ACQUIRE) && rdtsc() < until)
                cpu_relax();
        }
        int online = wait_for(&cpus[c].online, 1, 0); /* it copied ap_boot_*: the next AP may use them */
        check(online, "ap-start", "cpu%d (APIC ID %u): INIT, %d STARTUP IPI(s) with vector 0x%x (trampoline at 0x%x)%s",
              c, cpu_apic_id(c), sipis, TRAMPOLINE_PA >> 12, TRAMPOLINE_PA, online ? "" : ": never arrived");
        if (!online) {
            log_verdict("CHECKS FAILED: an application processor did not start\n");
            qemu_exit(EXIT_FAILURE_VALUE);
        }
    }
    for (int c = 1; c < n; c++) {
        int ready = wait_for(&cpus[c].ready, 1, 0);
        check(ready, "ap-ready", "cpu%d finished its own checks", c);
        if (!ready) {
            log_verdict("CHECKS FAILED: an application processor did not finish\n");
            qemu_exit(EXIT_FAILURE_VALUE);
        }
    }
}

static void tlb_shootdown(int n)
{
    __atomic_store_n(&tlb_acks, 0, __ATOMIC_RELEASE);
    tlb_probe_remap(1);
    invlpg(TLB_PROBE_VA);
    u64 mine = tlb_probe_read();
    if (n > 1)
        lapic_send_ipi_others(ISR_VEC_TLB_SHOOTDOWN);
    int all = wait_count(&tlb_acks, (u64)(n - 1), 1);
    check(all && mine == TLB_PROBE_NEW, "tlb-shootdown",
          "the PTE of 0x%lx now maps another page (reads 0x%lx after invlpg here); IPI vector %d to the %d other "
          "CPU(s): %lu acknowledged",
          (u64)TLB_PROBE_VA, mine, ISR_VEC_TLB_SHOOTDOWN, n - 1, __atomic_load_n(&tlb_acks, __ATOMIC_ACQUIRE));
}

void smp_cross_checks(void)
{
    int n = cpu_count();
    for (int c = 1; c < n; c++) {
        u64 before = __atomic_load_n(&pong_count, __ATOMIC_ACQUIRE);
        lapic_send_ipi(c, ISR_VEC_IPI_PING);
        int answered = wait_count(&pong_count, before + 1, 1);
        check(answered && pong_sender == c, "ipi-pong",
              "IPI vector %d to cpu%d answered with vector %d from cpu%d", ISR_VEC_IPI_PING, c, ISR_VEC_IPI_PONG,
              pong_sender);
        int done = ap_run(c, CMD_AWAIT_NMI);
        check(done, "nmi-sent", "NMI to cpu%d: it %s", c, done ? "reported it" : "did not report it");
    }
    tlb_shootdown(n);
}

/* Each AP's own handler report (the BSP prints its own afterwards). */
void smp_report(void)
{
    for (int c = 1; c < cpu_count(); c++)
        if (!ap_run(c, CMD_REPORT))
            check(0, "ap-report", "cpu%d did not report", c);
}

/* The inter-processor vectors, from either handler variant (C or Rust). */
int smp_irq(struct isr_frame *f)
{
    int cpu = this_cpu();
    switch (f->vector) {
    case ISR_VEC_IPI_PING:
        check(cpu != 0 && gs_self() == percpu_va(cpu), "ipi-ping",
              "IPI vector %lu from cpu0 handled here (gs:[0]=0x%lx); answering with vector %d", f->vector, gs_self(),
              ISR_VEC_IPI_PONG);
        lapic_eoi();
        __atomic_store_n(&pong_sender, cpu, __ATOMIC_RELEASE);
        lapic_send_ipi(0, ISR_VEC_IPI_PONG);
        return 1;
    case ISR_VEC_IPI_PONG:
        __atomic_fetch_add(&pong_count, 1, __ATOMIC_ACQ_REL);
        lapic_eoi();
        return 1;
    case ISR_VEC_TLB_SHOOTDOWN: {
        u64 stale = tlb_probe_read();
        invlpg(TLB_PROBE_VA);
        u64 now = tlb_probe_read();
        check(now == TLB_PROBE_NEW, "tlb-shootdown",
              "IPI vector %lu: 0x%lx read 0x%lx before invlpg (%s), 0x%lx after (want 0x%lx)", f->vector,
              (u64)TLB_PROBE_VA, stale, stale == TLB_PROBE_OLD ? "stale translation" : "already the new page", now,
              TLB_PROBE_NEW);
        lapic_eoi();
        __atomic_fetch_add(&tlb_acks, 1, __ATOMIC_ACQ_REL);
        return 1;
    }
    case ISR_VEC_IPI_WAKE:
        lapic_eoi();
        return 1;
    default:
        return 0;
    }
}
