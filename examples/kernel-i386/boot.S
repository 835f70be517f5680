/* Multiboot v1 entry: QEMU's -kernel loads this ELF32 and jumps to _start in
   32-bit protected mode with paging off (eax = magic, ebx = info). */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00000003 /* page-aligned modules, memory info */

    .section .multiboot, "a"
    .balign 4
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

    .section .text.boot, "ax", @progbits
    .globl _start
_start:
    cli
    cld
    mov $stack_top, %esp
    sub $8, %esp            /* cdecl: esp % 16 == 0 at the call */
    push %ebx
    push %eax
    call kmain
1:  cli
    hlt
    jmp 1b

    .section .bss
    .balign 16
stack_bottom:
    .skip 16384
    .globl stack_top
stack_top:

    .section .note.GNU-stack, "", @progbits
