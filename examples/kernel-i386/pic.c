/* The 8259A pair, remapped away from the CPU exceptions, and the 8253/8254 PIT. */
#include "kernel.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define PIC_EOI 0x20
#define PIC_READ_ISR 0x0b

void pic_remap(void)
{
    outb(PIC1_CMD, 0x11); /* ICW1: edge triggered, cascade, ICW4 follows */
    io_wait();
    outb(PIC2_CMD, 0x11);
    io_wait();
    outb(PIC1_DATA, IRQ_BASE); /* ICW2: vector offsets */
    io_wait();
    outb(PIC2_DATA, IRQ_BASE + 8);
    io_wait();
    outb(PIC1_DATA, 0x04); /* ICW3: the slave is on IRQ 2 */
    io_wait();
    outb(PIC2_DATA, 0x02); /* ICW3: slave identity 2 */
    io_wait();
    outb(PIC1_DATA, 0x01); /* ICW4: 8086 mode */
    io_wait();
    outb(PIC2_DATA, 0x01);
    io_wait();
    outb(PIC1_DATA, 0xfb); /* everything masked except the cascade line */
    outb(PIC2_DATA, 0xff);
}

void pic_unmask(unsigned irq)
{
    uint16_t port = irq < 8 ? PIC1_DATA : PIC2_DATA;
    outb(port, inb(port) & (uint8_t) ~(1u << (irq & 7)));
}

static uint8_t in_service(uint16_t cmd)
{
    outb(cmd, PIC_READ_ISR);
    return inb(cmd);
}

/* IRQ 7 and 15 can be spurious: no bit in the in-service register, and then no EOI
   (for 15 the master still saw a real IRQ 2 and needs one). */
bool pic_is_spurious(unsigned irq)
{
    if (irq == 7)
        return !(in_service(PIC1_CMD) & 0x80);
    if (irq == 15 && !(in_service(PIC2_CMD) & 0x80)) {
        outb(PIC1_CMD, PIC_EOI);
        return true;
    }
    return false;
}

void pic_eoi(unsigned irq)
{
    if (irq >= 8)
        outb(PIC2_CMD, PIC_EOI);
    outb(PIC1_CMD, PIC_EOI);
}

void pit_init(unsigned hz)
{
    unsigned divisor = 1193182u / hz;
    outb(0x43, 0x34); /* channel 0, lobyte/hibyte, mode 2 (rate generator) */
    outb(0x40, (uint8_t)divisor);
    outb(0x40, (uint8_t)(divisor >> 8));
}
