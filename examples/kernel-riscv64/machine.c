/* M-mode set-up (privileged spec chapter 3): delegate traps to S-mode, open the PMP, start
 * the CLINT timer whose interrupt the generated timervec forwards to S-mode, and mret to
 * S-mode. */
#include "kernel.h"
#include "isr.h"

void machine_start(void);
void machine_trap(void);
void supervisor_main(void);
extern char machine_vector[];

/* timervec's per-hart scratch area: a1-a3, &mtimecmp, interval (see isr.h) */
static uint64_t timer_scratch[5];

#define MSTATUS_MPP_MASK (3ul << 11)
#define MSTATUS_MPP_S    (1ul << 11)
#define MIE_MTIE         (1ul << 7)

void machine_start(void)
{
    uint64_t mstatus = csr_read(mstatus);
    csr_write(mstatus, (mstatus & ~MSTATUS_MPP_MASK) | MSTATUS_MPP_S);
    csr_write(mepc, (uint64_t)supervisor_main);
    csr_write(satp, 0);
    /* every exception S-mode handles: misaligned/access faults, illegal instruction,
     * breakpoint, ecall from U-mode and the three page faults (not ecall from S or M) */
    csr_write(medeleg, (1ul << 0) | (1ul << 1) | (1ul << 2) | (1ul << 3) | (1ul << 4) | (1ul << 5) |
                       (1ul << 6) | (1ul << 7) | (1ul << 8) | (1ul << 12) | (1ul << 13) | (1ul << 15));
    /* supervisor software, timer and external interrupts */
    csr_write(mideleg, (1ul << 1) | (1ul << 5) | (1ul << 9));
    /* PMP entry 0: TOR over the whole address space, R W X (privileged spec 3.7) */
    csr_write(pmpaddr0, 0x3ffffffffffffful);
    csr_write(pmpcfg0, 0x0f);
    /* S-mode may read time (rdtime) */
    csr_write(mcounteren, 7);

    timer_scratch[3] = CLINT_MTIMECMP;
    timer_scratch[4] = TIMER_INTERVAL;
    csr_write(mscratch, (uint64_t)timer_scratch);
    *(volatile uint64_t *)CLINT_MTIMECMP = *(volatile uint64_t *)CLINT_MTIME + TIMER_INTERVAL;
    csr_write(mtvec, (uint64_t)machine_vector | 1);   /* vectored */
    csr_write(mie, MIE_MTIE);
    __asm__ volatile("mret");
    __builtin_unreachable();
}

void machine_trap(void)
{
    puts_("FAIL machine-trap: M-mode trap mcause=");
    put_hex(csr_read(mcause));
    puts_(" mepc=");
    put_hex(csr_read(mepc));
    puts_(" mtval=");
    put_hex(csr_read(mtval));
    putc_('\n');
    *(volatile uint32_t *)TEST_DEVICE = (3u << 16) | FINISHER_FAIL;
    for (;;)
        ;
}
