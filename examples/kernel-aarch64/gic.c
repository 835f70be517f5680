/* GICv2 (QEMU virt: distributor 0x08000000, CPU interface 0x08010000; GIC
 * architecture spec IHI 0048B, 4.3 and 4.4) and the EL1 virtual timer
 * (CNTV_*_EL0, Arm ARM D11.2), whose interrupt is PPI 27. */
#include "kernel.h"

#define GICD 0x08000000ul
#define GICC 0x08010000ul
#define GICD_CTLR 0x000
#define GICD_ISENABLER 0x100
#define GICD_ICENABLER 0x180
#define GICD_ICPENDR 0x280
#define GICD_IPRIORITYR 0x400
#define GICC_CTLR 0x000
#define GICC_PMR 0x004
#define GICC_IAR 0x00c
#define GICC_EOIR 0x010

static u64 timer_period;

static volatile u32 *reg(u64 base, u64 offset)
{
    return (volatile u32 *)(base + offset);
}

void gic_init(void)
{
    *reg(GICD, GICD_CTLR) = 0;
    *reg(GICD, GICD_ICENABLER) = 0xffffffffu; /* SGIs and PPIs of this CPU */
    *reg(GICD, GICD_ICPENDR) = 0xffffffffu;
    volatile u8 *priority = (volatile u8 *)(GICD + GICD_IPRIORITYR);
    priority[TIMER_PPI] = 0x80;
    *reg(GICD, GICD_ISENABLER) = 1u << TIMER_PPI;
    *reg(GICD, GICD_CTLR) = 3; /* forward group 0 and group 1 */
    *reg(GICC, GICC_PMR) = 0xf0;
    *reg(GICC, GICC_CTLR) = 3; /* group 0 and 1 as IRQ (FIQEn clear) */
}

u32 gic_ack(void)
{
    return *reg(GICC, GICC_IAR);
}

void gic_eoi(u32 iar)
{
    *reg(GICC, GICC_EOIR) = iar;
}

void timer_start(u32 hz)
{
    timer_period = read_sysreg(cntfrq_el0) / hz;
    write_sysreg(cntv_tval_el0, timer_period);
    write_sysreg(cntv_ctl_el0, 1); /* ENABLE, IMASK clear */
    isb();
}

void timer_rearm(void)
{
    write_sysreg(cntv_tval_el0, timer_period);
    isb();
}

void timer_stop(void)
{
    write_sysreg(cntv_ctl_el0, 2); /* IMASK, disabled */
    isb();
}
