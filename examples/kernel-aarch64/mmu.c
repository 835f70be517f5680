/* Stage 1 translation for EL1&0: 4 KiB granule, 39-bit identity map from TTBR0_EL1
 * (Arm ARM D8.2, D8.3: level 1 -> 1 GiB, level 2 -> 2 MiB, level 3 -> 4 KiB).
 *   0x00000000-0x3fffffff  Device-nGnRnE (GIC, PL011), EL1 only, execute-never
 *   0x40000000-0x47ffffff  RAM, normal write-back, EL1 read/write, execute-never,
 *                          except the 2 MiB around the image, mapped per 4 KiB page:
 *     kernel text   EL1 read-only, executable at EL1 only
 *     rodata        EL1 read-only, execute-never
 *     user text     EL0/EL1 read-only, executable at EL0 only
 *     user data     EL0/EL1 read/write, execute-never
 *     stack guard   not mapped
 *     the rest      EL1 read/write, execute-never
 * Everything else is unmapped. SCTLR_EL1.WXN stays 0: the map itself never has W and X. */
#include "kernel.h"

#define PTE_TABLE 3ull /* levels 1, 2: next-level table */
#define PTE_PAGE 3ull  /* level 3: 4 KiB page */
#define PTE_BLOCK 1ull /* levels 1, 2: block */
#define PTE_ATTR_DEVICE (0ull << 2) /* MAIR_EL1 attr0 */
#define PTE_ATTR_NORMAL (1ull << 2) /* MAIR_EL1 attr1 */
#define PTE_AP_EL1_RW (0ull << 6)
#define PTE_AP_BOTH_RW (1ull << 6)
#define PTE_AP_EL1_RO (2ull << 6)
#define PTE_AP_BOTH_RO (3ull << 6)
#define PTE_SH_INNER (3ull << 8)
#define PTE_AF (1ull << 10)
#define PTE_PXN (1ull << 53)
#define PTE_UXN (1ull << 54)
#define PTE_XN (PTE_PXN | PTE_UXN)

#define MAIR_VALUE 0xff00ull /* attr0 Device-nGnRnE, attr1 Normal inner/outer write-back */
/* TCR_EL1: T0SZ=25 (39-bit VA), IRGN0/ORGN0 write-back, SH0 inner, TG0 4 KiB,
 * EPD1 (no TTBR1 walks), TG1 4 KiB, IPS 32 bits. */
#define TCR_VALUE ((25ull << 0) | (1ull << 8) | (1ull << 10) | (3ull << 12) | (0ull << 14) | (1ull << 23) | (2ull << 30))
/* SCTLR_EL1 (Arm ARM D17.2.118): M, C, SA, SA0, I, nTWI, nTWE, RES1 bits; A, WXN clear */
#define SCTLR_VALUE (0x30d00800ull | (1ull << 0) | (1ull << 2) | (1ull << 3) | (1ull << 4) | (1ull << 12) | \
                     (1ull << 16) | (1ull << 18))

#define RAM_BASE 0x40000000ull
#define RAM_MAPPED (128ull << 20)
#define SZ_2M (2ull << 20)
#define SZ_4K 4096ull

static u64 level1[512] __attribute__((aligned(4096)));
static u64 level2_ram[512] __attribute__((aligned(4096)));
static u64 level3_image[512] __attribute__((aligned(4096)));

static int in(u64 a, const char *start, const char *end)
{
    return a >= (u64)start && a < (u64)end;
}

static u64 image_page(u64 a)
{
    const u64 normal = a | PTE_PAGE | PTE_ATTR_NORMAL | PTE_SH_INNER | PTE_AF;
    if (in(a, __kstack_guard, __kstack_guard + SZ_4K))
        return 0;
    if (in(a, __text_start, __text_end))
        return normal | PTE_AP_EL1_RO | PTE_UXN;
    if (in(a, __rodata_start, __rodata_end))
        return normal | PTE_AP_EL1_RO | PTE_XN;
    if (in(a, __user_text_start, __user_text_end))
        return normal | PTE_AP_BOTH_RO | PTE_PXN;
    if (in(a, __user_data_start, __user_data_end))
        return normal | PTE_AP_BOTH_RW | PTE_XN;
    return normal | PTE_AP_EL1_RW | PTE_XN;
}

void mmu_init(void)
{
    const u64 image = (u64)__kernel_start & ~(SZ_2M - 1);
    level1[0] = 0 | PTE_BLOCK | PTE_ATTR_DEVICE | PTE_AF | PTE_AP_EL1_RW | PTE_XN;
    level1[1] = (u64)level2_ram | PTE_TABLE;
    for (u64 i = 0; i < RAM_MAPPED / SZ_2M; i++) {
        u64 a = RAM_BASE + i * SZ_2M;
        level2_ram[i] = a == image ? (u64)level3_image | PTE_TABLE
                                   : a | PTE_BLOCK | PTE_ATTR_NORMAL | PTE_SH_INNER | PTE_AF | PTE_AP_EL1_RW | PTE_XN;
    }
    for (u64 i = 0; i < 512; i++)
        level3_image[i] = image_page(image + i * SZ_4K);

    write_sysreg(mair_el1, MAIR_VALUE);
    write_sysreg(tcr_el1, TCR_VALUE);
    write_sysreg(ttbr0_el1, (u64)level1);
    __asm__ volatile("dsb ish\n\ttlbi vmalle1\n\tdsb ish\n\tisb" : : : "memory");
    write_sysreg(sctlr_el1, SCTLR_VALUE);
    isb();
}

int mmu_enabled(void)
{
    return (int)(read_sysreg(sctlr_el1) & 1);
}

u64 translate_el1_read(u64 va)
{
    __asm__ volatile("at s1e1r, %0\n\tisb" : : "r"(va) : "memory");
    return read_sysreg(par_el1);
}
