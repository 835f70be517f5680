/* COM1 output, a small printf, the check log and the QEMU exit port. */
#include <stdarg.h>

#include "kernel.h"

#define COM1 0x3f8

static int failures;

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
    outb(COM1, (u8)c);
}

static void kputc(char c)
{
    if (c == '\n')
        putc_raw('\r');
    putc_raw(c);
}

static void put_unsigned(u64 v, unsigned base, int width)
{
    char buf[24];
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

static void vkprintf(const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            kputc(*fmt);
            continue;
        }
        int width = 0;
        int is_long = 0;
        fmt++;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l') {
            is_long = 1;
            fmt++;
        }
        switch (*fmt) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            while (*s)
                kputc(*s++);
            break;
        }
        case 'c':
            kputc((char)va_arg(ap, int));
            break;
        case 'd': {
            long long v = is_long ? va_arg(ap, long) : va_arg(ap, int);
            if (v < 0) {
                kputc('-');
                v = -v;
            }
            put_unsigned((u64)v, 10, width);
            break;
        }
        case 'u':
            put_unsigned(is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 10, width);
            break;
        case 'x':
            put_unsigned(is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 16, width);
            break;
        default:
            kputc('%');
            kputc(*fmt);
        }
    }
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vkprintf(fmt, ap);
    va_end(ap);
}

void check(int ok, const char *id, const char *fmt, ...)
{
    va_list ap;
    kprintf("%s %s: ", ok ? "ok" : "FAIL", id);
    va_start(ap, fmt);
    vkprintf(fmt, ap);
    va_end(ap);
    kputc('\n');
    if (!ok)
        failures++;
}

int check_failures(void)
{
    return failures;
}

_Noreturn void qemu_exit(u32 value)
{
    /* isa-debug-exit at 0xf4: QEMU exits with status (value << 1) | 1. */
    __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"((u16)0xf4));
    for (;;)
        __asm__ volatile("cli; hlt");
}
