/* Entry from QEMU's ELF loader (-kernel kernel.elf): MMU off, at EL1, or at EL2
 * with -M virt,virtualization=on. Drops EL2 to EL1, sets up SP_EL1, clears .bss,
 * lets EL0 and EL1 use FP/SIMD and calls kmain. */

#define SCTLR_EL1_RES1 0x30d00800 /* bits 29, 28, 23, 22, 20, 11 (Arm ARM D17.2.118, ARMv8.0) */
#define HCR_EL2_RW (1 << 31)      /* EL1 is AArch64 */
#define SPSR_EL1H_MASKED 0x3c5    /* D, A, I, F masked, M = EL1h */
#define CPACR_FPEN_NONE (3 << 20) /* no FP/SIMD traps at EL0 or EL1 (the glue saves q0-q31) */

    .section .boot.text, "ax"
    .global _start
_start:
    msr daifset, #0xf
    mrs x19, CurrentEL
    ubfx x19, x19, #2, #2
    cmp x19, #1
    b.eq el1_start
    cmp x19, #2
    b.ne unsupported_el

    /* EL2: EL1 is AArch64, no hypervisor traps, EL1 owns both timers, then eret to EL1h. */
    mov x0, #HCR_EL2_RW
    msr hcr_el2, x0
    mrs x0, cnthctl_el2
    orr x0, x0, #3          /* EL1PCTEN, EL1PCEN */
    msr cnthctl_el2, x0
    msr cntvoff_el2, xzr
    mov x0, #0x33ff         /* CPTR_EL2: RES1 bits, TFP clear */
    msr cptr_el2, x0
    msr hstr_el2, xzr
    /* a GICv3 system-register interface: let EL1 use it (ICC_SRE_EL2.Enable, SRE) */
    mrs x0, id_aa64pfr0_el1
    ubfx x0, x0, #24, #4
    cbz x0, 1f
    mov x0, #9
    msr S3_4_C12_C9_5, x0   /* ICC_SRE_EL2 */
    isb
1:
    mov x0, #(SCTLR_EL1_RES1 & 0xffff)
    movk x0, #(SCTLR_EL1_RES1 >> 16), lsl #16
    msr sctlr_el1, x0
    mov x0, #SPSR_EL1H_MASKED
    msr spsr_el2, x0
    adr x0, el1_start
    msr elr_el2, x0
    eret

el1_start:
    mov x0, #(SCTLR_EL1_RES1 & 0xffff) /* MMU and caches off until mmu_init */
    movk x0, #(SCTLR_EL1_RES1 >> 16), lsl #16
    msr sctlr_el1, x0
    isb
    adrp x0, __kstack_top
    add x0, x0, :lo12:__kstack_top
    mov sp, x0
    adrp x0, __bss_start
    add x0, x0, :lo12:__bss_start
    adrp x1, __bss_end
    add x1, x1, :lo12:__bss_end
1:  cmp x0, x1
    b.hs 2f
    str xzr, [x0], #8
    b 1b
2:  adrp x0, boot_el
    str x19, [x0, :lo12:boot_el]
    mov x0, #CPACR_FPEN_NONE
    msr cpacr_el1, x0
    isb
    bl kmain
unsupported_el:
    wfi
    b unsupported_el

    .text
/* u64 vectors_address(void): where the glue's isr_vectors was linked */
    .global vectors_address
vectors_address:
    adrp x0, isr_vectors
    add x0, x0, :lo12:isr_vectors
    ret

    .data
    .balign 8
    .global boot_el
boot_el:
    .quad 0
