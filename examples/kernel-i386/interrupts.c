/* The interrupt system on top of the generated glue: every stub enters the
   generated common entry, which calls isr_dispatch(frame) (cdecl, stack aligned).
   Drivers register callbacks per vector; IRQs get their EOI here, after the callback. */
#include "kernel.h"

static interrupt_callback callbacks[ISR_VECTOR_COUNT];
volatile unsigned interrupt_depth;
volatile uint32_t irq_counts[16];

static const char *const exception_names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range", "invalid opcode",
    "device not available", "double fault", "coprocessor segment overrun", "invalid TSS",
    "segment not present", "stack-segment fault", "general protection", "page fault", "reserved",
    "x87 floating point", "alignment check", "machine check", "SIMD floating point",
    "virtualization", "control protection",
};

/* 0 on success, -1 for a bad vector or callback, -2 if the vector already has one. */
int interrupt_register(unsigned vector, interrupt_callback cb)
{
    if (vector >= ISR_VECTOR_COUNT || !cb)
        return -1;
    if (callbacks[vector])
        return -2;
    callbacks[vector] = cb;
    return 0;
}

int interrupt_unregister(unsigned vector, interrupt_callback cb)
{
    if (vector >= ISR_VECTOR_COUNT || callbacks[vector] != cb)
        return -1;
    callbacks[vector] = 0;
    return 0;
}

int irq_register(unsigned irq, interrupt_callback cb)
{
    int r = interrupt_register(IRQ_BASE + irq, cb);
    if (r == 0)
        pic_unmask(irq);
    return r;
}

void isr_dispatch(struct isr_frame *frame)
{
    unsigned vector = frame->vector;
    interrupt_depth++;
    if (vector >= IRQ_BASE && vector < IRQ_BASE + 16) {
        unsigned irq = vector - IRQ_BASE;
        if (!pic_is_spurious(irq)) {
            irq_counts[irq]++;
            if (callbacks[vector])
                callbacks[vector](frame);
            pic_eoi(irq);
        }
    } else if (callbacks[vector]) {
        callbacks[vector](frame);
    } else {
        const char *name = vector < 32 && exception_names[vector] ? exception_names[vector] : "unexpected vector";
        panic(frame, name);
    }
    interrupt_depth--;
}
