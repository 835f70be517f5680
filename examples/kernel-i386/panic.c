/* The panic path: dump the registers from the frame, save the stack for
   post-mortem, then the generated isr_halt clears the general-purpose registers
   and halts. An NMI (QEMU monitor `nmi`) wakes the halted CPU into postmortem(),
   which checks what the halt left behind and ends the run. */
#include "kernel.h"

#define SAVED_WORDS 64
#define STACK_CANARY 0x5afe57ac

extern char stack_top[];

volatile bool panicked;
static uint32_t saved_stack[SAVED_WORDS];
static uint32_t saved_from;
static unsigned saved_words;

/* Where the interrupted code's stack was: the CPU pushed esp/ss only on a ring change. */
static uint32_t interrupted_esp(struct isr_frame *f)
{
    return (f->cs & 3) ? f->esp : (uint32_t)(uintptr_t)&f->esp;
}

_Noreturn void panic(struct isr_frame *f, const char *why)
{
    cli();
    panicked = true;
    uint32_t esp = interrupted_esp(f);
    kprintf("PANIC: %s (vector %u, error %x) at eip=%8x\n", why, f->vector, f->error_code, f->eip);
    kprintf("panic: eax=%8x ebx=%8x ecx=%8x edx=%8x\n", f->eax, f->ebx, f->ecx, f->edx);
    kprintf("panic: esi=%8x edi=%8x ebp=%8x esp=%8x\n", f->esi, f->edi, f->ebp, esp);
    kprintf("panic: cs=%4x ds=%4x es=%4x fs=%4x gs=%4x eflags=%8x\n", f->cs, f->ds, f->es, f->fs, f->gs,
            f->eflags);
    uint32_t top = (uint32_t)(uintptr_t)stack_top;
    saved_from = esp;
    saved_words = esp < top ? (top - esp) / 4 : 0;
    if (saved_words > SAVED_WORDS)
        saved_words = SAVED_WORDS;
    for (unsigned i = 0; i < saved_words; i++)
        saved_stack[i] = ((const uint32_t *)(uintptr_t)esp)[i];
    kprintf("panic: saved %u stack words from %8x for post-mortem\n", saved_words, saved_from);
    kprintf("panic: clearing registers and halting\n");
    isr_halt();
}

void postmortem(struct isr_frame *f)
{
    if (!panicked)
        panic(f, "NMI");
    kprintf("post-mortem: NMI at eip=%8x, eflags=%8x\n", f->eip, f->eflags);
    uint32_t halt = (uint32_t)(uintptr_t)isr_halt;
    check(f->eip - halt < 64 && !(f->eflags & 0x200), "halted", "the CPU sat in isr_halt with interrupts off");
    check(!(f->eax | f->ebx | f->ecx | f->edx | f->esi | f->edi | f->ebp), "halt-cleared",
          "eax ebx ecx edx esi edi ebp were all zero in the halt loop");
    unsigned at = saved_words;
    for (unsigned i = 0; i < saved_words; i++)
        if (saved_stack[i] == STACK_CANARY) {
            at = i;
            break;
        }
    kprintf("post-mortem: stack at %8x:", saved_from);
    for (unsigned i = 0; i < 8 && i < saved_words; i++)
        kprintf(" %8x", saved_stack[i]);
    kprintf("\n");
    check(at < saved_words, "stack-saved", "the panicking function's canary is in the saved stack");
    if (failures() == 0) {
        kprintf("ALL CHECKS PASSED\n");
        qemu_exit(EXIT_SUCCESS_VALUE);
    }
    kprintf("%u checks failed\n", (unsigned)failures());
    qemu_exit(EXIT_FAILURE_VALUE);
}
