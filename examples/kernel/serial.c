/* COM1 output, a small printf, the check log and the QEMU exit port. Every
 * line is written under one spinlock (taken with interrupts off), so lines from
 * different CPUs never interleave; each starts with "[cpuN] ", N from the LAPIC
 * ID of the CPU that printed it. */
#include <stdarg.h>

#include "kernel.h"

#define COM1 0x3f8

static int failures;
static int log_lock;

/* Lock the log; returns the caller's RFLAGS (interrupts are off while it is held). */
static u64 log_acquire(void)
{
    u64 flags;
    __asm__ volatile("pushfq; pop %0; cli" : "=r"(flags) : : "memory");
    while (__atomic_exchange_n(&log_lock, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&log_lock, __ATOMIC_RELAXED))
            cpu_relax();
    return flags;
}

static void log_release(u64 flags)
{
    __atomic_store_n(&log_lock, 0, __ATOMIC_RELEASE);
    if (flags & 0x200)
        __asm__ volatile("sti" : : : "memory");
}

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

static void put_cpu_prefix(void)
{
    int cpu = lapic_cpu();
    kputc('[');
    kputc('c');
    kputc('p');
    kputc('u');
    kputc(cpu < 0 ? '?' : (char)('0' + cpu));
    kputc(']');
    kputc(' ');
}

static void fmt_line(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vkprintf(fmt, ap);
    va_end(ap);
}

/* One line (fmt ends with a newline), prefixed with the CPU. */
void kprintf(const char *fmt, ...)
{
    va_list ap;
    u64 flags = log_acquire();
    put_cpu_prefix();
    va_start(ap, fmt);
    vkprintf(fmt, ap);
    va_end(ap);
    log_release(flags);
}

/* The run's last line, without a CPU prefix (the Makefile and the tests look for it). */
void log_verdict(const char *fmt, ...)
{
    va_list ap;
    u64 flags = log_acquire();
    va_start(ap, fmt);
    vkprintf(fmt, ap);
    va_end(ap);
    log_release(flags);
}

void check(int ok, const char *id, const char *fmt, ...)
{
    va_list ap;
    u64 flags = log_acquire();
    put_cpu_prefix();
    fmt_line("%s %s: ", ok ? "ok" : "FAIL", id);
    va_start(ap, fmt);
    vkprintf(fmt, ap);
    va_end(ap);
    kputc('\n');
    log_release(flags);
    if (!ok)
        __atomic_fetch_add(&failures, 1, __ATOMIC_SEQ_CST);
}

int check_failures(void)
{
    return __atomic_load_n(&failures, __ATOMIC_SEQ_CST);
}

_Noreturn void qemu_exit(u32 value)
{
    /* isa-debug-exit at 0xf4: QEMU exits with status (value << 1) | 1. */
    __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"((u16)0xf4));
    for (;;)
        __asm__ volatile("cli; hlt");
}
