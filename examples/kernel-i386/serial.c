/* COM1 output, a small printf, the check log and the QEMU exit port. */
#include <stdarg.h>

#include "kernel.h"

#define COM1 0x3f8

static int failed;

void serial_init(void)
{
    outb(COM1 + 1, 0x00); /* no UART interrupts */
    outb(COM1 + 3, 0x80); /* DLAB on */
    outb(COM1 + 0, 0x01); /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); /* 8N1 */
    outb(COM1 + 2, 0xc7); /* FIFO on */
}

static void putc_raw(char c)
{
    while (!(inb(COM1 + 5) & 0x20))
        ;
    outb(COM1, (uint8_t)c);
}

static void kputc(char c)
{
    if (c == '\n')
        putc_raw('\r');
    putc_raw(c);
}

static void put_unsigned(uint32_t v, unsigned base, int width)
{
    char buf[12];
    int n = 0;
    do {
        buf[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    while (n < width)
        buf[n++] = '0';
    while (n)
        kputc(buf[--n]);
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            kputc(*fmt);
            continue;
        }
        int width = 0;
        fmt++;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        switch (*fmt) {
        case 'u':
            put_unsigned(va_arg(ap, unsigned), 10, width);
            break;
        case 'x':
            put_unsigned(va_arg(ap, unsigned), 16, width);
            break;
        case 'c':
            kputc((char)va_arg(ap, int));
            break;
        case 's':
            for (const char *s = va_arg(ap, const char *); *s; s++)
                kputc(*s);
            break;
        default:
            kputc('%');
            kputc(*fmt);
        }
    }
    va_end(ap);
}

void check(bool ok, const char *id, const char *what)
{
    if (!ok)
        failed++;
    kprintf("%s %s: %s\n", ok ? "ok" : "FAIL", id, what);
}

int failures(void) { return failed; }

_Noreturn void qemu_exit(uint8_t value)
{
    outb(0xf4, value);
    for (;;)
        __asm__ volatile("cli; hlt");
}
