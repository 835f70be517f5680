/* kmain: set up the CPU, the PICs and the drivers, prove the exception paths,
   then serve timer and keyboard interrupts until a line is typed, then panic. */
#include "kernel.h"

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002
#define STACK_CANARY 0x5afe57ac
#define BAD_SELECTOR 0xf8 /* index 31: beyond the GDT's limit */

static struct isr_frame de_seen, gp_seen, bp_seen;

/* #DE: record the frame, skip the 2-byte `div ecx`, return a marker quotient. */
static void on_divide_error(struct isr_frame *f)
{
    de_seen = *f;
    f->eip += 2;
    f->eax = 0xd1d1d1d1;
}

/* #GP with an error code (the selector): skip the 2-byte `mov ds, eax`. */
static void on_general_protection(struct isr_frame *f)
{
    gp_seen = *f;
    f->eip += 2;
}

static void on_breakpoint(struct isr_frame *f) { bp_seen = *f; }

static void other_callback(struct isr_frame *f) { (void)f; }

static void exceptions(void)
{
    check(interrupt_register(0, on_divide_error) == 0 && interrupt_register(0, other_callback) == -2 &&
              interrupt_unregister(0, other_callback) == -1 && interrupt_register(300, other_callback) == -1,
          "register-api", "one callback per vector; a second registration and a bad vector are refused");
    interrupt_register(13, on_general_protection);
    interrupt_register(3, on_breakpoint);

    uint32_t quotient;
    __asm__ volatile("xor %%edx, %%edx\n\tdiv %%ecx" : "=a"(quotient) : "a"(7), "c"(0) : "edx");
    check(quotient == 0xd1d1d1d1 && de_seen.vector == 0 && de_seen.error_code == 0 && de_seen.eax == 7 &&
              de_seen.cs == KCODE && de_seen.ds == KDATA,
          "kernel-de", "divide error handled: frame read, eip advanced, eax replaced");

    __asm__ volatile("mov %0, %%eax\n\tmov %%eax, %%ds\n\tmov %1, %%eax\n\tmov %%eax, %%ds"
                     :
                     : "i"(BAD_SELECTOR), "i"(KDATA)
                     : "eax");
    check(gp_seen.vector == 13 && gp_seen.error_code == BAD_SELECTOR, "kernel-gp",
          "general protection with the CPU's error code (the selector) handled and skipped");

    uint32_t after;
    __asm__ volatile("int3\n1:\n\tmovl $1b, %0" : "=r"(after));
    check(bp_seen.vector == 3 && bp_seen.eip == after, "kernel-bp", "breakpoint trap resumes after int3");
}

/* A function whose stack frame holds a canary, the registers set to known values,
   then an invalid opcode nothing handles: the dump must show exactly these. */
static void __attribute__((noinline)) deliberate_panic(void)
{
    volatile uint32_t canary[2] = {STACK_CANARY, STACK_CANARY};
    __asm__ volatile("mov $0xa11a11a1, %%eax\n\t"
                     "mov $0xb22b22b2, %%ebx\n\t"
                     "mov $0xc33c33c3, %%ecx\n\t"
                     "mov $0xd44d44d4, %%edx\n\t"
                     "mov $0x5e15e15e, %%esi\n\t"
                     "mov $0xd15d15d1, %%edi\n\t"
                     "ud2"
                     :
                     : "m"(canary)
                     : "eax", "ebx", "ecx", "edx", "esi", "edi", "memory");
}

static void wait_until(volatile bool *flag)
{
    while (!*flag) {
        run_deferred();
        wait_for_interrupt();
    }
}

void kmain(uint32_t magic, uint32_t info)
{
    (void)info;
    serial_init();
    kprintf("isrgen i386 example kernel (variant %s)\n", KERNEL_VARIANT);
    check(magic == MULTIBOOT_BOOTLOADER_MAGIC, "multiboot", "booted by a Multiboot loader");
    gdt_init();
    idt_init();
    pic_remap();
    interrupt_register(2, postmortem);
    exceptions();

    timer_init();
    keyboard_init();
    sti();
    while (ticks < 30) {
        run_deferred();
        wait_for_interrupt();
    }
    check(irq_counts[IRQ_TIMER] == ticks, "timer", "PIT interrupts arrive at vector 32 with EOI");
    kprintf("READY for keys\n");
    wait_until(&line_done);
    run_deferred();
    uint32_t keys = irq_counts[IRQ_KEYBOARD];
    kprintf("keyboard: %u interrupts, %u ticks so far\n", keys, ticks);
    check(keys >= 4 && deferred_dropped() == 0, "keyboard-eoi",
          "every key press and release interrupted (each needed the previous EOI)");
    kprintf("deliberate panic: ud2 with known registers\n");
    deliberate_panic();
    check(false, "panic", "deliberate_panic returned");
    qemu_exit(EXIT_FAILURE_VALUE);
}
