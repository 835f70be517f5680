/* The i386 example kernel: shared declarations. */
#ifndef KERNEL_H
#define KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "isr.h"

#define KCODE 0x08
#define KDATA 0x10

/* isa-debug-exit: QEMU exits with (value << 1) | 1 (85 for success). */
#define EXIT_SUCCESS_VALUE 0x2a
#define EXIT_FAILURE_VALUE 0x10

/* The 8259 PICs are remapped so IRQ n arrives at vector IRQ_BASE + n. */
#define IRQ_BASE 32
#define IRQ_TIMER 0
#define IRQ_KEYBOARD 1
#define PIT_HZ 100

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline void io_wait(void) { outb(0x80, 0); }
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }

/* serial.c: COM1 log */
void serial_init(void);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void check(bool ok, const char *id, const char *what);
_Noreturn void qemu_exit(uint8_t value);
int failures(void);

/* cpu.c: GDT and IDT */
void gdt_init(void);
void idt_init(void);

/* pic.c: the 8259 pair and the PIT */
void pic_remap(void);
void pic_unmask(unsigned irq);
bool pic_is_spurious(unsigned irq);
void pic_eoi(unsigned irq);
void pit_init(unsigned hz);

/* interrupts.c: the callback registry the generated entry dispatches through */
typedef void (*interrupt_callback)(struct isr_frame *frame);
int interrupt_register(unsigned vector, interrupt_callback cb);
int interrupt_unregister(unsigned vector, interrupt_callback cb);
int irq_register(unsigned irq, interrupt_callback cb);
extern volatile unsigned interrupt_depth;
extern volatile uint32_t irq_counts[16];

/* deferred.c: work the handlers schedule and the main loop runs */
typedef void (*deferred_fn)(uint32_t arg);
bool defer(deferred_fn fn, uint32_t arg);
bool run_deferred(void);
unsigned deferred_dropped(void);
void wait_for_interrupt(void);

/* keyboard.c: PS/2 keyboard (scan code set 1 through the 8042's translation) */
void keyboard_init(void);
extern volatile bool line_done;

/* panic.c */
_Noreturn void panic(struct isr_frame *frame, const char *why);
void postmortem(struct isr_frame *nmi_frame);
extern volatile bool panicked;

/* timer.c */
void timer_init(void);
extern volatile uint32_t ticks;

#endif
