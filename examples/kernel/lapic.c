/* Legacy 8259 PIC and IMCR, and the local APIC (xAPIC, memory-mapped). */
#include "kernel.h"

#define LAPIC ((volatile u32 *)0xfee00000ull)
#define REG(off) LAPIC[(off) / 4]
#define LAPIC_ID 0x20
#define LAPIC_TPR 0x80
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_ISR 0x100
#define LAPIC_ICR_LOW 0x300
#define LAPIC_ICR_HIGH 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_DIV 0x3e0
#define IA32_APIC_BASE 0x1b

static int svr_programmed;
static u64 eoi_count;

/* Physical memory below 1 MiB, read through the boot identity map. */
static const volatile u8 *phys(u64 a)
{
    __asm__("" : "+r"(a)); /* an address, not a null-pointer offset */
    return (const volatile u8 *)a;
}

/* The MP floating pointer structure "_MP_" (MP spec 1.4, 4.1). */
static u64 mp_find_in(u64 start, u64 len)
{
    for (u64 a = start; a + 16 <= start + len; a += 16) {
        const volatile u8 *p = phys(a);
        if (p[0] != '_' || p[1] != 'M' || p[2] != 'P' || p[3] != '_')
            continue;
        u8 sum = 0;
        for (int i = 0; i < 16 * p[8]; i++)
            sum = (u8)(sum + p[i]);
        if (sum == 0)
            return a;
    }
    return 0;
}

static u64 mp_find(void)
{
    u64 ebda = (u64)(phys(0x40e)[0] | (phys(0x40e)[1] << 8)) << 4;
    u64 a = ebda ? mp_find_in(ebda, 1024) : 0;
    if (!a)
        a = mp_find_in(0x9fc00, 1024);
    if (!a)
        a = mp_find_in(0xf0000, 0x10000);
    return a;
}

void pic_disable(void)
{
    /* Mask all 16 lines of both 8259s (seed 000: the PIC is never used). */
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    check(inb(0x21) == 0xff && inb(0xa1) == 0xff, "pic-masked", "8259 master/slave masks read back 0x%x/0x%x",
          inb(0x21), inb(0xa1));
    u64 mp = mp_find();
    int imcrp = mp && (phys(mp + 12)[0] & 0x80); /* feature byte 2, IMCRP (MP spec 4.1) */
    if (imcrp) {
        outb(0x22, 0x70); /* select the IMCR */
        outb(0x23, 0x01); /* route NMI and INTR through the APIC (MP spec 3.6.2.1) */
    }
    check(1, "imcr", "MP floating pointer %s at 0x%lx, IMCRP=%d: %s", mp ? "found" : "not found", mp, imcrp,
          imcrp ? "IMCR set to APIC mode" : "no IMCR, PIC masked only");
}

void lapic_init_spurious(void)
{
    u64 base = rdmsr(IA32_APIC_BASE);
    wrmsr(IA32_APIC_BASE, base | (1u << 11)); /* global enable */
    REG(LAPIC_TPR) = 0;
    REG(LAPIC_SVR) = 0x100 | ISR_VEC_SPURIOUS; /* software enable + spurious vector */
    svr_programmed = (REG(LAPIC_SVR) & 0x1ff) == (0x100 | ISR_VEC_SPURIOUS);
    check(svr_programmed && (base & ~(u64)0xfff) == 0xfee00000u, "lapic-spurious-first",
          "APIC base 0x%lx, SVR=0x%x: spurious vector %d programmed before the timer", base & ~(u64)0xfff,
          REG(LAPIC_SVR), ISR_VEC_SPURIOUS);
}

void lapic_start_timer(u32 vector, u32 initial_count)
{
    check(svr_programmed, "lapic-timer-order", "timer programmed after the spurious vector (SVR=0x%x)",
          REG(LAPIC_SVR));
    REG(LAPIC_TIMER_DIV) = 0xb;                /* divide by 1 */
    REG(LAPIC_LVT_TIMER) = vector | (1u << 17); /* periodic */
    REG(LAPIC_TIMER_INIT) = initial_count;
}

void lapic_stop_timer(void)
{
    REG(LAPIC_LVT_TIMER) = 1u << 16; /* masked */
    REG(LAPIC_TIMER_INIT) = 0;
}

void lapic_self_ipi(u32 vector)
{
    REG(LAPIC_ICR_HIGH) = 0;
    REG(LAPIC_ICR_LOW) = vector | (1u << 18) | (1u << 14); /* fixed, assert, shorthand self */
}

/* An NMI to this CPU: delivery mode NMI, physical destination = our APIC ID (the
 * "self" shorthand only allows fixed delivery, SDM Vol. 3A 11.6.1). */
void lapic_self_nmi(void)
{
    REG(LAPIC_ICR_HIGH) = REG(LAPIC_ID) & 0xff000000u;
    REG(LAPIC_ICR_LOW) = (4u << 8) | (1u << 14); /* NMI, assert; the vector field is ignored */
}

void lapic_eoi(void)
{
    eoi_count++;
    REG(LAPIC_EOI) = 0;
}

u64 lapic_eoi_count(void)
{
    return eoi_count;
}

int lapic_in_service(u32 vector)
{
    return (REG(LAPIC_ISR + (vector / 32) * 0x10) >> (vector % 32)) & 1;
}
