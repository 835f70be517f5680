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

#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)
#define ICR_NMI (4u << 8)
#define ICR_ASSERT (1u << 14)
#define ICR_PENDING (1u << 12)
#define ICR_ALL_BUT_SELF (3u << 18)

/* Per CPU (indexed through GS): whether SVR was set before the timer, EOIs sent. */
static int svr_programmed[MAX_CPUS];
static u64 eoi_count[MAX_CPUS];

/* The processors the ACPI MADT lists: CPU 0 is the bootstrap processor. */
static int ncpus = 1;
static u8 cpu_apic[MAX_CPUS];
static u8 apic_cpu[256];
static int lapic_ready;

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

static u32 phys32(u64 a)
{
    return phys(a)[0] | phys(a + 1)[0] << 8 | phys(a + 2)[0] << 16 | (u32)phys(a + 3)[0] << 24;
}

static int signature(u64 a, const char *sig, int len)
{
    for (int i = 0; i < len; i++)
        if (phys(a + i)[0] != (u8)sig[i])
            return 0;
    return 1;
}

/* The ACPI root pointer "RSD PTR " on a 16-byte boundary in the EBDA's first KiB
 * or in 0xe0000-0xfffff, its first 20 bytes summing to 0 (ACPI 6.4, 5.2.5). */
static u64 rsdp_find(void)
{
    u64 ebda = (u64)(phys(0x40e)[0] | (phys(0x40e)[1] << 8)) << 4;
    u64 ranges[2][2] = {{ebda, ebda ? ebda + 1024 : 0}, {0xe0000, 0x100000}};
    for (int r = 0; r < 2; r++)
        for (u64 a = ranges[r][0]; a + 20 <= ranges[r][1]; a += 16) {
            if (!signature(a, "RSD PTR ", 8))
                continue;
            u8 sum = 0;
            for (int i = 0; i < 20; i++)
                sum = (u8)(sum + phys(a + i)[0]);
            if (sum == 0)
                return a;
        }
    return 0;
}

/* The processors the ACPI MADT lists (ACPI 6.4, 5.2.12): the RSDT (32-bit entries
 * from byte 36) names the "APIC" table; its entries start at byte 44, each
 * type, length, ...; a Processor Local APIC entry (type 0) has the APIC ID at
 * byte 3 and flags at byte 4 (bit 0: enabled). The MP table is no help here:
 * it lists one processor per package. CPU 0 is this one (CPUID.1:EBX[31:24]). */
static void madt_processors(void)
{
    u32 ebx, eax = 1, ecx = 0, edx;
    __asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
    u8 bsp = (u8)(ebx >> 24);
    for (int i = 0; i < 256; i++)
        apic_cpu[i] = 0xff;
    cpu_apic[0] = bsp;
    ncpus = 1;
    u64 rsdp = rsdp_find();
    u64 rsdt = rsdp ? phys32(rsdp + 16) : 0;
    if (rsdt && signature(rsdt, "RSDT", 4)) {
        u32 len = phys32(rsdt + 4);
        for (u64 p = rsdt + 36; p + 4 <= rsdt + len; p += 4) {
            u64 madt = phys32(p);
            if (!signature(madt, "APIC", 4))
                continue;
            u64 end = madt + phys32(madt + 4);
            for (u64 e = madt + 44; e + 2 <= end && phys(e + 1)[0] >= 2; e += phys(e + 1)[0]) {
                u8 id = phys(e + 3)[0];
                if (phys(e)[0] == 0 && (phys(e + 4)[0] & 1) && id != bsp && ncpus < MAX_CPUS)
                    cpu_apic[ncpus++] = id;
            }
        }
    }
    for (int c = 0; c < ncpus; c++)
        apic_cpu[cpu_apic[c]] = (u8)c;
    kprintf("ACPI MADT (RSDP at 0x%lx, RSDT at 0x%lx): %d enabled processor(s), this one APIC ID %u\n", rsdp, rsdt,
            ncpus, bsp);
}

int cpu_count(void)
{
    return ncpus;
}

u32 cpu_apic_id(int cpu)
{
    return cpu_apic[cpu];
}

void pic_disable(void)
{
    /* Mask all 16 lines of both 8259s: every interrupt comes through the LAPICs and the I/O APIC. */
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
    madt_processors();
}

/* paging_init mapped the LAPIC page: from now on lapic_cpu() reads the LAPIC ID. */
void lapic_mapped(void)
{
    lapic_ready = 1;
}

u32 lapic_id(void)
{
    return REG(LAPIC_ID) >> 24;
}

int lapic_cpu(void)
{
    if (!lapic_ready)
        return 0; /* early boot: only the bootstrap processor runs */
    u8 c = apic_cpu[lapic_id() & 0xff];
    return c == 0xff ? -1 : c;
}

/* Runs on every CPU before its LAPIC timer is programmed: secondary CPUs get no LAPIC timer
 * interrupts unless the spurious-interrupt vector register enables the APIC (bit 8) first
 * (SDM Vol. 3A 10.9). */
void lapic_init_spurious(void)
{
    u64 base = rdmsr(IA32_APIC_BASE);
    wrmsr(IA32_APIC_BASE, base | (1u << 11)); /* global enable */
    REG(LAPIC_TPR) = 0;
    REG(LAPIC_SVR) = 0x100 | ISR_VEC_SPURIOUS; /* software enable + spurious vector */
    int ok = (REG(LAPIC_SVR) & 0x1ff) == (0x100 | ISR_VEC_SPURIOUS);
    svr_programmed[this_cpu()] = ok;
    check(ok && (base & ~(u64)0xfff) == 0xfee00000u, "lapic-spurious-first",
          "APIC base 0x%lx, SVR=0x%x: spurious vector %d programmed before the timer", base & ~(u64)0xfff,
          REG(LAPIC_SVR), ISR_VEC_SPURIOUS);
}

void lapic_start_timer(u32 vector, u32 initial_count)
{
    check(svr_programmed[this_cpu()], "lapic-timer-order", "timer programmed after the spurious vector (SVR=0x%x)",
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

static void icr_wait(void)
{
    while (REG(LAPIC_ICR_LOW) & ICR_PENDING)
        cpu_relax();
}

static void icr_send(int cpu, u32 low)
{
    icr_wait();
    REG(LAPIC_ICR_HIGH) = (u32)cpu_apic[cpu] << 24; /* physical destination: the APIC ID */
    REG(LAPIC_ICR_LOW) = low;
    icr_wait();
}

/* A fixed interrupt to one CPU. */
void lapic_send_ipi(int cpu, u32 vector)
{
    icr_send(cpu, vector | ICR_ASSERT);
}

/* A fixed interrupt to every CPU but this one (destination shorthand 11). */
void lapic_send_ipi_others(u32 vector)
{
    icr_wait();
    REG(LAPIC_ICR_HIGH) = 0;
    REG(LAPIC_ICR_LOW) = vector | ICR_ASSERT | ICR_ALL_BUT_SELF;
    icr_wait();
}

void lapic_send_nmi(int cpu)
{
    icr_send(cpu, ICR_NMI | ICR_ASSERT);
}

/* INIT and STARTUP: the INIT-SIPI-SIPI sequence (SDM Vol. 3A 8.4.4.1). */
void lapic_send_init(int cpu)
{
    icr_send(cpu, ICR_INIT | ICR_ASSERT);
}

void lapic_send_startup(int cpu, u32 page)
{
    icr_send(cpu, ICR_STARTUP | page);
}

void lapic_eoi(void)
{
    eoi_count[this_cpu()]++;
    REG(LAPIC_EOI) = 0;
}

u64 lapic_eoi_count(void)
{
    return eoi_count[this_cpu()];
}

int lapic_in_service(u32 vector)
{
    return (REG(LAPIC_ISR + (vector / 32) * 0x10) >> (vector % 32)) & 1;
}

/* The PIT (channel 0, mode 2 at about 1 kHz) through I/O APIC input 2 (ISA IRQ 0 on
 * the q35 machine) with delivery mode NMI, edge-triggered, to this CPU: NMIs that
 * arrive whatever the CPU runs, ring 3 included (82093AA I/O APIC datasheet 3.2.4,
 * redirection table; 8254 PIT mode 2). `on` 0 masks the input again. */
#define IOAPIC ((volatile u32 *)0xfec00000ull)
#define IOAPIC_REDIR_PIT 0x14 /* redirection entry 2, low dword (the high one follows) */
#define IOAPIC_DM_NMI (4u << 8)
#define IOAPIC_MASKED (1u << 16)
#define PIT_HZ 1193182u

static void ioapic_write(u32 reg, u32 value)
{
    IOAPIC[0] = reg;        /* IOREGSEL */
    IOAPIC[0x10 / 4] = value; /* IOWIN */
}

void ioapic_nmi_from_pit(int on)
{
    if (!on) {
        ioapic_write(IOAPIC_REDIR_PIT, IOAPIC_MASKED);
        return;
    }
    u32 divisor = PIT_HZ / 1000;
    outb(0x43, 0x34); /* channel 0, lobyte/hibyte, mode 2 (rate generator), binary */
    outb(0x40, (u8)divisor);
    outb(0x40, (u8)(divisor >> 8));
    ioapic_write(IOAPIC_REDIR_PIT + 1, lapic_id() << 24); /* physical destination: this CPU */
    ioapic_write(IOAPIC_REDIR_PIT, IOAPIC_DM_NMI);         /* NMI, edge, active high, unmasked */
}
