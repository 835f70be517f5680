/* Minimal PVH-booted x86_64 kernel used by isrgen's verify/gdb tests.
 * QEMU's -kernel enters at the 32-bit PVH entry; we build
 * identity-mapped 2 MiB pages for the first GiB, enable long mode and call kmain. */
    .section .note.Xen, "a", @note
    .p2align 2
    .long 4                     /* namesz */
    .long 4                     /* descsz */
    .long 18                    /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .long _start32

    .section .boot, "ax", @progbits
    .code32
    .globl _start32
_start32:
    cli
    mov $boot_stack_top, %esp
    mov $pdpt, %eax
    or $3, %eax
    mov %eax, pml4
    mov $pd, %eax
    or $3, %eax
    mov %eax, pdpt
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax              /* present, writable, 2 MiB page */
    mov %eax, pd(,%ecx,8)
    inc %ecx
    cmp $512, %ecx
    jne 1b
    mov $pml4, %eax
    mov %eax, %cr3
    mov %cr4, %eax
    or $0x620, %eax             /* PAE, OSFXSR, OSXMMEXCPT (SDM Vol. 3A 2.5) */
    mov %eax, %cr4
    mov $0xC0000080, %ecx       /* EFER.LME */
    rdmsr
    or $0x100, %eax
    wrmsr
    mov %cr0, %eax
    and $~0x4, %eax             /* clear EM, set MP and PG: SSE usable, paging on */
    or $0x80000002, %eax
    mov %eax, %cr0
    lgdt gdt_ptr
    ljmp $8, $start64

    .code64
start64:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
    mov $boot_stack_top, %rsp
    call kmain
2:  hlt
    jmp 2b

    .section .rodata.boot, "a", @progbits
    .p2align 3
gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF    /* 64-bit code, selector 8 */
    .quad 0x00CF92000000FFFF    /* data, selector 0x10 */
gdt_ptr:
    .word gdt_ptr - gdt - 1
    .long gdt

    .section .bss, "aw", @nobits
    .p2align 12
pml4: .skip 4096
pdpt: .skip 4096
pd:   .skip 4096
    .p2align 4
    .skip 16384
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
