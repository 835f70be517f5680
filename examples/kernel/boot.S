/* Boot code of the example kernel: PVH entry (32-bit), switch to long mode,
 * the application processors' real-mode trampoline and entry, the GDT
 * template, and two tiny helpers (kcatch, the deliberate ring-0 faults). */
#include "abi.h"
    .intel_syntax noprefix

/* PVH boot: QEMU's -kernel loads an ELF64 carrying XEN_ELFNOTE_PHYS32_ENTRY (18)
 * and enters it in 32-bit protected mode, paging off, flat segments. */
    .pushsection .note.Xen, "a", @note
    .balign 4
    .long 4                 /* name size: "Xen\0" */
    .long 4                 /* descriptor size */
    .long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .long pvh_start
    .popsection

    .pushsection .boot.text, "ax", @progbits
    .code32
    .globl pvh_start
pvh_start:
    cli
    mov esp, offset __kstack_top
    /* Identity-map the first 1 GiB with 2 MiB pages; kmain replaces this map
     * with 4 KiB pages that carry the real permissions (NX, user, read-only). */
    mov eax, offset boot_pdpt
    or eax, 3
    mov [boot_pml4], eax
    mov eax, offset boot_pd
    or eax, 3
    mov [boot_pdpt], eax
    xor ecx, ecx
1:  mov eax, ecx
    shl eax, 21
    or eax, 0x83                        /* present, writable, 2 MiB page */
    mov [boot_pd + ecx * 8], eax
    mov dword ptr [boot_pd + ecx * 8 + 4], 0
    inc ecx
    cmp ecx, 512
    jb 1b
    mov eax, offset boot_pml4
    mov cr3, eax
    mov eax, cr4
    or eax, (1 << 5) | (1 << 9) | (1 << 10)     /* PAE, OSFXSR, OSXMMEXCPT (SDM Vol. 3A 2.5) */
    mov cr4, eax
    mov ecx, 0xC0000080                 /* IA32_EFER */
    rdmsr
    or eax, (1 << 8) | (1 << 11)        /* LME, NXE: the XD bit is honoured from now on */
    wrmsr
    mov eax, cr0
    and eax, ~(1 << 2)                  /* EM off: SSE usable by compiled code */
    or eax, (1 << 31) | (1 << 16) | (1 << 1) | 1    /* PG, WP, MP, PE */
    mov cr0, eax
    lgdt [gdt_ptr]
    push KCODE
    push offset long_entry
    retf

    .code64
long_entry:
    mov ax, KDATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov rsp, offset __kstack_top
    xor ebp, ebp
    call kmain
2:  cli
    hlt
    jmp 2b

/* An application processor, from the trampoline: 32-bit protected mode, paging
 * off, the trampoline's flat segments. The same steps as pvh_start, but on the
 * kernel's own page tables (ap_boot_cr3: the image is identity-mapped there)
 * and on the stack smp.c prepared for this CPU. */
    .code32
ap_entry32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr4
    or eax, (1 << 5) | (1 << 9) | (1 << 10)     /* PAE, OSFXSR, OSXMMEXCPT */
    mov cr4, eax
    mov eax, [ap_boot_cr3]
    mov cr3, eax
    mov ecx, 0xC0000080                 /* IA32_EFER */
    rdmsr
    or eax, (1 << 8) | (1 << 11)        /* LME, NXE: the kernel's tables set XD bits */
    wrmsr
    mov eax, cr0
    and eax, ~(1 << 2)
    or eax, (1 << 31) | (1 << 16) | (1 << 1) | 1    /* PG, WP, MP, PE */
    mov cr0, eax
    lgdt [gdt_ptr]
    mov esp, [ap_boot_stack]            /* below 4 GiB: the image is linked at 1 MiB */
    push KCODE
    push offset ap_long_entry
    retf

    .code64
ap_long_entry:
    mov ax, KDATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov rsp, [ap_boot_stack]
    xor ebp, ebp
    mov edi, [ap_boot_cpu]
    call ap_main
3:  cli
    hlt
    jmp 3b
    .popsection

/* The real-mode trampoline. smp.c copies [ap_trampoline, ap_trampoline_end) to
 * TRAMPOLINE_PA; a startup IPI with vector TRAMPOLINE_PA >> 12 starts an AP
 * there with CS = TRAMPOLINE_PA >> 4, IP = 0 (SDM Vol. 3A 10.6.1, 8.4.4.1).
 * It only reaches 32-bit protected mode and jumps to ap_entry32 in the image. */
    .pushsection .rodata.trampoline, "a", @progbits
    .balign 16
    .code16
    .globl ap_trampoline, ap_trampoline_end
ap_trampoline:
    cli
    cld
    mov ax, cs
    mov ds, ax
    lgdt [tramp_gdt_ptr - ap_trampoline]    /* DS-relative: the copy's own GDT */
    mov eax, cr0
    or eax, 1                               /* PE */
    mov cr0, eax
    .byte 0x66, 0xea                        /* jmp far ptr16:32 (operand-size prefix in 16-bit code) */
    .long ap_entry32
    .word 0x08                              /* tramp_gdt's 32-bit code segment */
    .balign 8
tramp_gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF                /* 0x08 code, 32-bit, flat */
    .quad 0x00CF92000000FFFF                /* 0x10 data, flat */
tramp_gdt_ptr:
    .word tramp_gdt_ptr - tramp_gdt - 1
    .long TRAMPOLINE_PA + (tramp_gdt - ap_trampoline)
ap_trampoline_end:
    .code64
    .popsection

    .pushsection .text, "ax", @progbits
/* int kcatch(struct kjmp *j): setjmp for fault tests. Returns 0; returns 1 when
 * a handler resumed the saved context (kjmp_resume_frame in cpu.c). */
    .globl kcatch
    .type kcatch, @function
kcatch:
    mov [rdi], rbx
    mov [rdi + 8], rbp
    mov [rdi + 16], r12
    mov [rdi + 24], r13
    mov [rdi + 32], r14
    mov [rdi + 40], r15
    lea rax, [rsp + 8]
    mov [rdi + 48], rax
    mov rax, [rsp]
    mov [rdi + 56], rax
    xor eax, eax
    ret
    .size kcatch, . - kcatch

/* Deliberate ring-0 faults; none of them returns normally. */
    .globl fault_de, fault_db, fault_br, fault_ud, fault_nm, fault_ts
    .globl fault_np, fault_ss, fault_gp, fault_pf_write, fault_pf_nx, fault_overflow
fault_de:
    xor ecx, ecx
    xor edx, edx
    mov eax, 1
    div ecx
    ret
fault_db:
    pushfq
    or qword ptr [rsp], 0x100           /* TF: single-step trap after the next instruction */
    popfq
    nop
    ud2
fault_br:
    int 5                               /* BOUND is invalid in 64-bit mode */
    ud2
fault_ud:
    ud2
fault_nm:
    mov rax, cr0
    or rax, 8                           /* CR0.TS: the next x87/SSE instruction raises #NM */
    mov cr0, rax
    fnop
    ud2
fault_ts:
    int 100                             /* its gate selects IST 7, beyond the TSS limit */
    ud2
fault_np:
    mov ax, NOT_PRESENT_SEL             /* a data descriptor with P = 0 */
    mov ds, ax
    ud2
fault_ss:
    mov ax, NOT_PRESENT_SEL
    mov ss, ax
    ud2
fault_gp:
    mov ax, 0x1000                      /* beyond the GDT limit */
    mov ds, ax
    ud2
fault_pf_write:
    mov rax, 0x40000000                 /* not mapped */
    mov qword ptr [rax], 1
    ud2
fault_pf_nx:
    lea rax, [rip + nx_probe]
    call rax                            /* .data is mapped execute-disable */
    ud2
fault_overflow:
    sub rsp, 256
    call fault_overflow                 /* runs into the guard page below the kernel stack */
    ud2
    .popsection

    .pushsection .data, "aw", @progbits
    .globl nx_probe
nx_probe:
    ret
    .balign 16
    .globl gdt
gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF            /* 0x08 kernel code, 64-bit */
    .quad 0x00CF92000000FFFF            /* 0x10 kernel data */
    .quad 0x00CFF2000000FFFF            /* 0x18 user data (0x1b); SYSRET wants it right below user code */
    .quad 0x00AFFA000000FFFF            /* 0x20 user code, 64-bit (0x23) */
    .quad 0, 0                          /* 0x28 TSS, filled by gdt_tss_init */
    .quad 0x00CF12000000FFFF            /* 0x38 data, not present: #NP / #SS probes */
gdt_end:
    .if gdt_end - gdt != 64
    .error "cpu.c copies 8 GDT entries (GDT_QUADS)"
    .endif
    .globl gdt_ptr
gdt_ptr:
    .word gdt_end - gdt - 1
    .quad gdt
    .popsection

    .pushsection .bss, "aw", @nobits
    .balign 4096
boot_pml4: .skip 4096
boot_pdpt: .skip 4096
boot_pd:   .skip 4096
    .popsection

    .pushsection .note.GNU-stack, "", @progbits
    .popsection
