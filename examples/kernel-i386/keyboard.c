/* PS/2 keyboard on IRQ 1. The handler only reads the scan code and queues it;
   decoding (scan code set 1, as the 8042 translates) runs as deferred work. */
#include "kernel.h"

#define KBD_DATA 0x60
#define KBD_STATUS 0x64
#define LSHIFT 0x2a
#define RSHIFT 0x36
#define RELEASED 0x80

volatile bool line_done;
static bool shift;
static char line[64];
static unsigned line_len;
static bool checked_context;

static const char lower[0x3a] = {
    [0x02] = '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '-', '=',
    [0x10] = 'q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p', '[', ']', '\n',
    [0x1e] = 'a', 's', 'd', 'f', 'g', 'h', 'j', 'k', 'l', ';', '\'', '`',
    [0x2b] = '\\', 'z', 'x', 'c', 'v', 'b', 'n', 'm', ',', '.', '/',
    [0x39] = ' ',
};
static const char upper[0x3a] = {
    [0x02] = '!', '@', '#', '$', '%', '^', '&', '*', '(', ')', '_', '+',
    [0x10] = 'Q', 'W', 'E', 'R', 'T', 'Y', 'U', 'I', 'O', 'P', '{', '}', '\n',
    [0x1e] = 'A', 'S', 'D', 'F', 'G', 'H', 'J', 'K', 'L', ':', '"', '~',
    [0x2b] = '|', 'Z', 'X', 'C', 'V', 'B', 'N', 'M', '<', '>', '?',
    [0x39] = ' ',
};

static void key_work(uint32_t scancode)
{
    if (!checked_context) {
        uint32_t eflags;
        __asm__ volatile("pushf; pop %0" : "=r"(eflags));
        check(interrupt_depth == 0 && (eflags & 0x200), "deferred-outside-irq",
              "key decoding runs in the main loop, interrupts enabled");
        checked_context = true;
    }
    uint8_t code = (uint8_t)(scancode & ~RELEASED);
    bool released = scancode & RELEASED;
    if (code == LSHIFT || code == RSHIFT) {
        shift = !released;
        return;
    }
    if (released || code >= sizeof lower || !lower[code])
        return;
    char c = shift ? upper[code] : lower[code];
    if (c == '\n') {
        line[line_len] = 0;
        kprintf("line \"%s\"\n", line);
        line_done = true;
        return;
    }
    kprintf("key '%c' (scan code %2x)\n", c, code);
    if (line_len + 1 < sizeof line)
        line[line_len++] = c;
}

static void keyboard_irq(struct isr_frame *frame)
{
    (void)frame;
    defer(key_work, inb(KBD_DATA));
}

static void wait_input_empty(void)
{
    while (inb(KBD_STATUS) & 2)
        ;
}

/* Enable IRQ 1 and scan-code translation in the 8042 configuration byte. */
void keyboard_init(void)
{
    while (inb(KBD_STATUS) & 1)
        inb(KBD_DATA);
    wait_input_empty();
    outb(KBD_STATUS, 0x20);
    while (!(inb(KBD_STATUS) & 1))
        ;
    uint8_t config = inb(KBD_DATA);
    config = (uint8_t)((config | 0x01 | 0x40) & ~0x10);
    wait_input_empty();
    outb(KBD_STATUS, 0x60);
    wait_input_empty();
    outb(KBD_DATA, config);
    irq_register(IRQ_KEYBOARD, keyboard_irq);
}
