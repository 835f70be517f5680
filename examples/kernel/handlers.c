/* The interrupt handler the generated common entry calls (C variant; the Rust
 * variant has the same logic in rust/handlers.rs). It returns the frame to
 * resume: the interrupted one, another task's, or a rewritten one. */
#include "kernel.h"

static struct isr_frame *user_fault(struct isr_frame *f, u64 cr2)
{
    struct task *t = task_current();
    const char *name = vector_mnemonic[f->vector];
    if (t) {
        t->fault_vector = f->vector;
        t->fault_error = f->error_code;
        t->fault_cr2 = cr2;
    }
    if (f->vector == ISR_VEC_BREAKPOINT || f->vector == ISR_VEC_OVERFLOW) {
        /* traps: rip already points after the instruction */
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

static struct isr_frame *syscall_int80(struct isr_frame *f)
{
    switch (f->rax) {
    case SYS_EXIT:
        return task_exit(f, f->rdi);
    case SYS_PROBE:
        /* this kernel's int 0x80 ABI: result in rax, rcx and r8-r11 cleared */
        f->rax = SYS_PROBE_RESULT;
        f->rcx = 0;
        f->r8 = 0;
        f->r9 = 0;
        f->r10 = 0;
        f->r11 = 0;
        return f;
    default:
        f->rax = (u64)-1;
        return f;
    }
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

struct isr_frame *isr_dispatch(struct isr_frame *f)
{
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
    case ISR_VEC_SPURIOUS:
        spurious_seen(); /* a spurious interrupt is never acknowledged: no EOI */
        return f;
    case ISR_VEC_SYSCALL:
        return syscall_int80(f);
    default:
        break;
    }
    u64 cr2 = f->vector == ISR_VEC_PAGE_FAULT ? read_cr2() : 0;
    if (f->vector < 32 && (f->cs & 3) == 3)
        return user_fault(f, cr2);
    /* ring 0 (privilege split on the saved CS): the kernel-fault path */
    fault_record(f, cr2);
    core_dump(f, cr2);
    return kernel_fault_recover(f);
}
