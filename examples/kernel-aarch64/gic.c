/* The interrupt controller of QEMU virt, GICv2 (default) or GICv3 (-M virt,gic-version=3),
 * told apart by ID_AA64PFR0_EL1.GIC (the CPU has the GICv3 system-register interface), and the EL1 virtual timer (CNTV_*_EL0, Arm ARM D11.2),
 * whose interrupt is PPI 27.
 *   GICv2 (IHI 0048B 4.3, 4.4): distributor 0x08000000, memory-mapped CPU interface 0x08010000.
 *   GICv3 (IHI 0069 12.9, 12.10, 12.11): distributor 0x08000000, this CPU's redistributor
 *   0x080a0000 (SGI/PPI frame 64 KiB above), system-register CPU interface (ICC_*_EL1).
 * The PPI is put in group 1 on v3 (group 0 is always FIQ there) and signalled as IRQ on both. */
#include "kernel.h"

#define GICD 0x08000000ul
#define GICC 0x08010000ul
#define GICR 0x080a0000ul
#define GICR_SGI (GICR + 0x10000ul)
#define GICD_CTLR 0x000
#define GICD_ISENABLER 0x100
#define GICD_ICENABLER 0x180
#define GICD_ICPENDR 0x280
#define GICD_IPRIORITYR 0x400
#define GICC_CTLR 0x000
#define GICC_PMR 0x004
#define GICC_IAR 0x00c
#define GICC_EOIR 0x010
#define GICC_CTLR_FIQEN (1u << 3)
#define GICR_WAKER 0x0014
#define GICR_IGROUPR0 0x0080
#define GICR_ISENABLER0 0x0100
#define GICR_ICENABLER0 0x0180
#define GICR_ICPENDR0 0x0280
#define GICR_IPRIORITYR 0x0400
#define WAKER_PROCESSOR_SLEEP (1u << 1)
#define WAKER_CHILDREN_ASLEEP (1u << 2)
#define GICD_CTLR_V3 ((1u << 4) | (1u << 1)) /* ARE, EnableGrp1 (single security state) */

static u64 timer_period;
static int version;

static volatile u32 *reg(u64 base, u64 offset)
{
    return (volatile u32 *)(base + offset);
}

static void gic_v2_init(void)
{
    *reg(GICD, GICD_CTLR) = 0;
    *reg(GICD, GICD_ICENABLER) = 0xffffffffu; /* SGIs and PPIs of this CPU */
    *reg(GICD, GICD_ICPENDR) = 0xffffffffu;
    ((volatile u8 *)(GICD + GICD_IPRIORITYR))[TIMER_PPI] = 0x80;
    *reg(GICD, GICD_ISENABLER) = 1u << TIMER_PPI;
    *reg(GICD, GICD_CTLR) = 3; /* forward group 0 and group 1 */
    *reg(GICC, GICC_PMR) = 0xf0;
    *reg(GICC, GICC_CTLR) = 3; /* group 0 and 1 as IRQ (FIQEn clear) */
}

static void gic_v3_init(void)
{
    *reg(GICD, GICD_CTLR) = GICD_CTLR_V3;
    *reg(GICR, GICR_WAKER) &= ~WAKER_PROCESSOR_SLEEP;
    while (*reg(GICR, GICR_WAKER) & WAKER_CHILDREN_ASLEEP)
        ;
    *reg(GICR_SGI, GICR_ICENABLER0) = 0xffffffffu;
    *reg(GICR_SGI, GICR_ICPENDR0) = 0xffffffffu;
    *reg(GICR_SGI, GICR_IGROUPR0) = 1u << TIMER_PPI;
    ((volatile u8 *)(GICR_SGI + GICR_IPRIORITYR))[TIMER_PPI] = 0x80;
    *reg(GICR_SGI, GICR_ISENABLER0) = 1u << TIMER_PPI;
    write_sysreg(S3_0_C12_C12_5, read_sysreg(S3_0_C12_C12_5) | 1); /* ICC_SRE_EL1.SRE */
    isb();
    write_sysreg(S3_0_C4_C6_0, 0xf0); /* ICC_PMR_EL1 */
    write_sysreg(S3_0_C12_C12_7, 1);  /* ICC_IGRPEN1_EL1 */
    isb();
}

int gic_init(void)
{
    version = (read_sysreg(id_aa64pfr0_el1) >> 24) & 0xf ? 3 : 2;
    if (version >= 3)
        gic_v3_init();
    else
        gic_v2_init();
    return version;
}

u32 gic_ack(void)
{
    if (version >= 3)
        return (u32)read_sysreg(S3_0_C12_C12_0); /* ICC_IAR1_EL1 */
    return *reg(GICC, GICC_IAR);
}

void gic_eoi(u32 iar)
{
    if (version >= 3) {
        write_sysreg(S3_0_C12_C12_1, iar); /* ICC_EOIR1_EL1 */
        isb();
    } else {
        *reg(GICC, GICC_EOIR) = iar;
    }
}

void gic_timer_as_fiq(void)
{
    if (version >= 3) {
        *reg(GICD, GICD_CTLR) = GICD_CTLR_V3 | 1u;    /* EnableGrp0 too */
        *reg(GICR_SGI, GICR_IGROUPR0) = 0;            /* group 0: FIQ */
        write_sysreg(S3_0_C12_C12_6, 1);              /* ICC_IGRPEN0_EL1 */
    } else {
        *reg(GICC, GICC_CTLR) = 3u | GICC_CTLR_FIQEN; /* group 0 (the default group) as FIQ */
    }
    isb();
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
