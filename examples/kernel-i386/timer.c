/* PIT channel 0 on IRQ 0: the handler counts and queues a log line every 25 ticks. */
#include "kernel.h"

volatile uint32_t ticks;

static void tick_work(uint32_t n) { kprintf("tick %u\n", n); }

static void timer_irq(struct isr_frame *frame)
{
    (void)frame;
    ticks++;
    if (ticks % 25 == 0)
        defer(tick_work, ticks);
}

void timer_init(void)
{
    pit_init(PIT_HZ);
    irq_register(IRQ_TIMER, timer_irq);
}
