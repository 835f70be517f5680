/* PL011 UART at 0x09000000 (QEMU virt): the log, the check lines and the exit. */
#include <stdarg.h>

#include "kernel.h"

#define UART_BASE 0x09000000ul
#define UART_DR 0x00
#define UART_FR 0x18
#define UART_FR_TXFF (1u << 5)

static int failures;

static volatile u32 *uart_reg(u64 offset)
{
    return (volatile u32 *)(UART_BASE + offset);
}

void kputc(char c)
{
    if (c == '\n')
        kputc('\r');
    while (*uart_reg(UART_FR) & UART_FR_TXFF)
        ;
    *uart_reg(UART_DR) = (u8)c;
}

static void put_unsigned(u64 v, unsigned base, int width, char pad)
{
    char buf[24];
    int n = 0;
    do {
        unsigned d = (unsigned)(v % base);
        buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v);
    while (n < width--)
        kputc(pad);
    while (n)
        kputc(buf[--n]);
}

/* %[0][width][l]{d,u,x,s,c,p} */
static void vkprintf(const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            kputc(*fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0, is_long = 0;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l') {
            is_long = 1;
            fmt++;
        }
        switch (*fmt) {
        case 'd': {
            long v = is_long ? va_arg(ap, long) : va_arg(ap, int);
            if (v < 0) {
                kputc('-');
                v = -v;
            }
            put_unsigned((u64)v, 10, width, pad);
            break;
        }
        case 'u':
            put_unsigned(is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 10, width, pad);
            break;
        case 'x':
            put_unsigned(is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 16, width, pad);
            break;
        case 'p':
            kputc('0');
            kputc('x');
            put_unsigned((u64)va_arg(ap, void *), 16, 16, '0');
            break;
        case 's':
            for (const char *s = va_arg(ap, const char *); *s; s++)
                kputc(*s);
            break;
        case 'c':
            kputc((char)va_arg(ap, int));
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

void skip(const char *id, const char *fmt, ...)
{
    va_list ap;
    kprintf("skip %s: ", id);
    va_start(ap, fmt);
    vkprintf(fmt, ap);
    va_end(ap);
    kputc('\n');
}

int check_failures(void)
{
    return failures;
}

/* Semihosting SYS_EXIT (0x18) with the AArch64 parameter block {reason, status}:
 * QEMU (-semihosting-config enable=on,target=native) exits with `status`.
 * ("Semihosting for AArch32 and AArch64", SYS_EXIT, ADP_Stopped_ApplicationExit.)
 * Without semihosting, hlt #0xf000 is UNDEFINED: the kernel fault handler sees that
 * (exit_pending) and falls back to PSCI SYSTEM_OFF, after which QEMU exits 0. */
volatile int exit_pending;

_Noreturn void system_exit(u32 status)
{
    static u64 block[2];
    block[0] = 0x20026; /* ADP_Stopped_ApplicationExit */
    block[1] = status;
    exit_pending = 1;
    register u64 op __asm__("x0") = 0x18;
    register u64 arg __asm__("x1") = (u64)block;
    __asm__ volatile("hlt #0xf000" : "+r"(op) : "r"(arg) : "memory");
    psci_system_off();
}

/* PSCI SYSTEM_OFF (function 0x84000008, PSCI spec DEN0022 5.1.9): QEMU virt
 * answers HVC when it emulates no EL2 and SMC when EL2 exists (booted at EL2). */
_Noreturn void psci_system_off(void)
{
    register u64 fn __asm__("x0") = 0x84000008;
    if (boot_el == 2)
        __asm__ volatile("smc #0" : "+r"(fn) : : "memory");
    else
        __asm__ volatile("hvc #0" : "+r"(fn) : : "memory");
    isr_halt();
    __builtin_unreachable(); /* whether or not isr.h declares isr_halt noreturn */
}
