/* NS16550A console at UART0 (QEMU virt): polled transmit only. */
#include "kernel.h"

#define THR 0
#define LSR 5
#define LSR_THRE (1u << 5)

void putc_(char c)
{
    volatile uint8_t *uart = (volatile uint8_t *)UART0;
    while (!(uart[LSR] & LSR_THRE))
        ;
    uart[THR] = (uint8_t)c;
}

void puts_(const char *s)
{
    while (*s)
        putc_(*s++);
}

void put_hex(uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    for (int shift = 60; shift >= 0; shift -= 4)
        putc_(digits[(v >> shift) & 0xf]);
}

void put_dec(uint64_t v)
{
    char buf[21];
    int i = 0;
    do {
        buf[i++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (i)
        putc_(buf[--i]);
}

void print(const char *s, uint64_t v)
{
    puts_(s);
    puts_("0x");
    put_hex(v);
    putc_('\n');
}
