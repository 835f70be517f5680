/* The C half of isrgen's minimal test kernel: installs the generated IDT,
 * faults on purpose in interrupted_function(), reports the frame on COM1 and
 * exits QEMU through isa-debug-exit (status (v << 1) | 1). */
#include <stdint.h>

#include "isr.h"

static struct isr_idt_gate idt[256];

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }

static void puts_serial(const char *s) {
    while (*s) outb(0x3F8, (uint8_t)*s++);
}

static void put_hex(uint64_t v) {
    for (int shift = 60; shift >= 0; shift -= 4) outb(0x3F8, "0123456789abcdef"[(v >> shift) & 0xF]);
}

static void qemu_exit(uint32_t code) {
    outl(0xF4, code);
    for (;;) __asm__ volatile("hlt");
}

void isr_dispatch(struct isr_frame *frame) {
    puts_serial("vector=");
    put_hex(frame->vector);
    puts_serial(" error=");
    put_hex(frame->error_code);
    puts_serial("\n");
    qemu_exit(frame->vector == 14 ? 0x10 : 0x11);
}

/* Writes through p; with p outside the mapped first GiB this page-faults. */
__attribute__((noinline)) void interrupted_function(volatile uint64_t *p) {
    *p = 0x1234;
    __asm__ volatile("" ::: "memory");
}

void kmain(void) {
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } idtr = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};
    isr_idt_fill(idt, 8);
    __asm__ volatile("lidt %0" : : "m"(idtr));
    puts_serial("kernel: faulting\n");
    interrupted_function((volatile uint64_t *)0x80000000ull);
    qemu_exit(0x12);
}
