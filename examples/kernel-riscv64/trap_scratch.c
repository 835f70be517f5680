/* The scratch variant: while a task runs in U-mode, sscratch holds the top of its kernel
 * stack (0 while the kernel runs); the generated isr_entry swaps it into sp, saves x1-x31,
 * the trap CSRs and f0-f31/fcsr in a frame there and calls trap_handler(frame, scause),
 * which returns the frame to resume: the same one, or (a task switch) the other task's,
 * kept at the top of that task's kernel stack. ecall from U-mode goes to syscall_handler;
 * the glue zeroes the registers its restore list leaves out. The kernel is mapped
 * (supervisor-only) in every task's address space, so satp is switched here in C. */
#include "kernel.h"
#include "isr.h"

const char VARIANT_NAME[] = "scratch";

#define KSTACK_SIZE 8192
static uint8_t kernel_stacks[NTASKS][KSTACK_SIZE] __attribute__((aligned(16)));

uint64_t variant_stvec(void)
{
    return ISR_TVEC_VALUE(isr_entry);
}

void variant_map_kernel(pte_t *kernel_root)
{
    (void)kernel_root;
}

void variant_init_task(struct task *t)
{
    /* the frame the entry builds on this stack when the task traps (sscratch = stack top) */
    struct trap_frame *f = (struct trap_frame *)(kernel_stacks[t - tasks] + KSTACK_SIZE) - 1;
    vm_map_kernel(t->pagetable);
    t->frame = f;
    f->sepc = t->entry;
    f->sstatus = SSTATUS_SPIE | SSTATUS_FS_INITIAL;   /* sret to U-mode, interrupts on, FP usable */
}

static struct trap_frame *switch_to(struct task *t)
{
    current = t;
    vm_switch(make_satp(t->pagetable));
    return t->frame;
}

/* traps from U-mode, and how many of them reached C with gp other than __global_pointer$
 * (the tasks run with gp = a pattern of their own; the glue reloads it: entry.gp_reload) */
static uint64_t user_traps, bad_gp;

struct trap_frame *trap_handler(struct trap_frame *frame, unsigned long scause)
{
    uint64_t gp = read_gp();
    if (frame->sstatus & SSTATUS_SPP) {
        uint64_t x[32];
        FRAME_TO_X(frame, x);
        kernel_trap(scause, frame->stval, &frame->sepc, x);
        return frame;
    }
    struct task *t = current;
    user_traps++;
    bad_gp += gp != (uint64_t)__global_pointer$;
    if (scause == (SCAUSE_INTERRUPT | IRQ_S_SOFT)) {
        timer_tick(t);
        return switch_to(schedule());
    }
    if (scause & SCAUSE_INTERRUPT) {
        print("FAIL user-irq: unexpected interrupt scause=", scause);
        finish(1);
    }
    user_fault(t, scause, frame->stval, frame->sepc);
    return switch_to(schedule());
}

void syscall_handler(struct trap_frame *frame)
{
    user_traps++;
    bad_gp += read_gp() != (uint64_t)__global_pointer$;
    frame->a0 = do_syscall(current, frame->a7, frame->a0, frame->a1);
}

/* the kernel runs with sscratch = 0 (the entry's "trap from S-mode" test); every task's
 * address space maps the entry supervisor-only and executable at the kernel's address */
void variant_check(pte_t *kernel_root)
{
    uint64_t entry = (uint64_t)isr_entry;
    pte_t k = vm_lookup(kernel_root, entry);
    int good = csr_read(sscratch) == 0 && (k & PTE_X) && !(k & PTE_U);
    for (int i = 0; i < NTASKS; i++)
        good = good && vm_lookup(tasks[i].pagetable, entry) == k;
    check(good, "scratch-protocol", "sscratch = 0 in the kernel; isr_entry mapped S-only R+X in every address space");
}

void variant_verdict(void)
{
    puts_("traps from U-mode: ");
    put_dec(user_traps);
    puts_(", gp not __global_pointer$ in ");
    put_dec(bad_gp);
    putc_('\n');
    check(user_traps > 2000 && bad_gp == 0, "gp-reload", "every trap from U-mode reached C with gp = __global_pointer$");
}

void variant_start(struct task *t)
{
    isr_return(switch_to(t));
}
