/* The kernel side of the examples: the handler every generated stub reaches. */
#include "isr.h"

static unsigned long isr_counts[256];

void isr_dispatch(struct isr_frame *frame)
{
    isr_counts[frame->vector & 0xff]++;
}
