/* Deferred work: handlers queue (function, argument) pairs and return; the main
   loop runs them with interrupts enabled. Interrupt gates run handlers with IF
   clear, so the queue only needs interrupts off on the main loop's side. */
#include "kernel.h"

#define QUEUE_SIZE 64

static struct {
    deferred_fn fn;
    uint32_t arg;
} queue[QUEUE_SIZE];
static volatile unsigned head, tail, dropped;

bool defer(deferred_fn fn, uint32_t arg)
{
    unsigned next = (head + 1) % QUEUE_SIZE;
    if (next == tail) {
        dropped++;
        return false;
    }
    queue[head].fn = fn;
    queue[head].arg = arg;
    head = next;
    return true;
}

/* Run everything queued; true if anything ran. Call with interrupts enabled. */
bool run_deferred(void)
{
    bool ran = false;
    for (;;) {
        cli();
        if (head == tail) {
            sti();
            return ran;
        }
        deferred_fn fn = queue[tail].fn;
        uint32_t arg = queue[tail].arg;
        tail = (tail + 1) % QUEUE_SIZE;
        sti();
        fn(arg);
        ran = true;
    }
}

unsigned deferred_dropped(void) { return dropped; }

/* Sleep until the next interrupt unless work is already queued: sti takes effect
   after the next instruction, so no interrupt slips in between it and hlt. */
void wait_for_interrupt(void)
{
    cli();
    if (head == tail)
        __asm__ volatile("sti; hlt" ::: "memory");
    else
        sti();
}
