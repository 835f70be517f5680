/* The interrupt handlers the generated entries call (C variant; the Rust variant
 * has the same logic in rust/handlers.rs). kernel.yaml routes each class to its
 * handler; for exceptions the generated entry itself picks isr_kernel_fault
 * (ring 0 interrupted) or isr_user_fault (ring 3), from the saved CS. Each
 * returns the frame to resume: the interrupted one, another task's, or a
 * rewritten one. */
#include "kernel.h"

/* Ring 3 faulted: resume the task after a trap, kill it after a fault. */
struct isr_frame *isr_user_fault(struct isr_frame *f)
{
    handler_entered(f, 0, 0);
    if (f->vector == ISR_VEC_NMI) {
        nmi_seen(f); /* an NMI that hit ring 3: not a fault, the task continues */
        return f;
    }
    u64 cr2 = f->vector == ISR_VEC_PAGE_FAULT ? read_cr2() : 0;
    struct task *t = task_current();
    const char *name = vector_mnemonic[f->vector];
    if (t) {
        t->fault_vector = f->vector;
        t->fault_error = f->error_code;
        t->fault_cr2 = cr2;
    }
    if (f->vector == ISR_VEC_BREAKPOINT || f->vector == ISR_VEC_OVERFLOW || f->vector == ISR_VEC_DEBUG) {
        /* traps: rip already points after the instruction; stop single-stepping */
        f->rflags &= ~0x100ull;
        kprintf("user fault: %s vector=%lu error=0x%lx rip=0x%lx (ring 3) -> task resumed\n", name, f->vector,
                f->error_code, f->rip);
        return f;
    }
    kprintf("user fault: %s vector=%lu error=0x%lx cr2=0x%lx rip=0x%lx (ring 3) -> task killed\n", name, f->vector,
            f->error_code, cr2, f->rip);
    if (!t) {
        kprintf("PANIC: ring-3 fault with no task\n");
        qemu_exit(EXIT_FAILURE_VALUE);
    }
    return task_exit(f, 0xdead);
}

/* Ring 0 faulted: the core-dump path, then back to the fault test that armed it. */
struct isr_frame *isr_kernel_fault(struct isr_frame *f)
{
    handler_entered(f, 1, 0);
    if (f->vector == ISR_VEC_NMI) {
        nmi_seen(f); /* not a fault: the interrupted code continues */
        return f;
    }
    u64 cr2 = f->vector == ISR_VEC_PAGE_FAULT ? read_cr2() : 0;
    fault_record(f, cr2);
    core_dump(f, cr2);
    return kernel_fault_recover(f);
}

/* System calls share one dispatcher; `int 0x80` and SYSCALL differ only in what
 * the kernel must clear itself. */
static struct isr_frame *system_call(struct isr_frame *f)
{
    switch (f->rax) {
    case SYS_EXIT:
        return task_exit(f, f->rdi);
    case SYS_PROBE:
        f->rax = SYS_PROBE_RESULT;
        return f;
    default:
        f->rax = (u64)-1;
        return f;
    }
}

/* int 0x80 (the only software vector that reaches a handler). */
struct isr_frame *isr_software(struct isr_frame *f)
{
    handler_entered(f, 0, 0);
    if (f->vector != ISR_VEC_SYSCALL) {
        core_dump(f, 0);
        kprintf("PANIC: unexpected software interrupt\n");
        qemu_exit(EXIT_FAILURE_VALUE);
    }
    if (f->rax == SYS_PROBE) {
        /* this kernel's int 0x80 ABI: rcx and r8-r11 come back cleared (iretq restores
         * every register from the frame, so the handler clears them) */
        f->rcx = 0;
        f->r8 = 0;
        f->r9 = 0;
        f->r10 = 0;
        f->r11 = 0;
    }
    return system_call(f);
}

/* SYSCALL: the generated entry built the frame (vector slot = ISR_SYSCALL_MARKER).
 * The frame's scratch registers are deliberately left holding kernel values: the
 * generated sysret path must zero every register kernel.yaml does not restore. */
struct isr_frame *isr_syscall(struct isr_frame *f)
{
    handler_entered(f, 0, 1);
    if (f->rax == SYS_PROBE) {
        u64 kernel_value = (u64)&f;
        f->rsi = f->rdi = f->r8 = f->r9 = f->r10 = f->rcx = f->r11 = kernel_value;
    }
    return system_call(f);
}

static struct isr_frame *self_ipi(struct isr_frame *f)
{
    int before = lapic_in_service(ISR_VEC_SELF_IPI);
    u64 eoi_before = lapic_eoi_count();
    __asm__ volatile("int $0xff"); /* the spurious vector's stub and handler */
    int after = lapic_in_service(ISR_VEC_SELF_IPI);
    self_ipi_seen(before, after, eoi_before, lapic_eoi_count());
    lapic_eoi();
    return f;
}

struct isr_frame *isr_irq(struct isr_frame *f)
{
    handler_entered(f, 0, 0);
    switch (f->vector) {
    case ISR_VEC_LAPIC_TIMER:
        lapic_eoi();
        if ((f->cs & 3) == 0) {
            note_kernel_tick();
            return f;
        }
        return task_tick(f);
    case ISR_VEC_SELF_IPI:
        return self_ipi(f);
    default:
        if (smp_irq(f)) /* ping, reply, TLB shootdown, wake-up */
            return f;
        core_dump(f, 0);
        kprintf("PANIC: unexpected interrupt\n");
        qemu_exit(EXIT_FAILURE_VALUE);
    }
}

struct isr_frame *isr_spurious(struct isr_frame *f)
{
    handler_entered(f, 0, 0);
    spurious_seen(); /* a spurious interrupt is never acknowledged: no EOI */
    return f;
}
