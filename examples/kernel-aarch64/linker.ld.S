/* Linker script of the aarch64 example kernel (run through the C preprocessor).
 * QEMU's ELF loader puts the image at its link address in the virt machine's RAM
 * (0x40000000 + 2 MiB, above the device tree it places at the start of RAM).
 * mmu.c maps each page from the __*_start/__*_end symbols: only [__text_start,
 * __text_end) (EL1) and the user text (EL0) are executable.
 *
 * user.o's sections all go to the user text and user data: its code, constants
 * and variables are what EL0 may touch.
 *
 * -DMISPLACE_ISR builds the negative variant: the glue's section .text.isr lands
 * in the .rodata output section, which the kernel maps execute-never -- the way
 * a missing "ax" flag or a stray `.section .rodata` would put it there. */
ENTRY(_start)

PHDRS
{
    text PT_LOAD FLAGS(5);      /* R X */
    rodata PT_LOAD FLAGS(4);    /* R */
    user_text PT_LOAD FLAGS(5); /* R X */
    data PT_LOAD FLAGS(6);      /* R W */
}

#ifdef MISPLACE_ISR
#define MISPLACED *(.text.isr .text.isr.*)
#else
#define MISPLACED
#endif

#define RODATA                                                                     \
    . = ALIGN(4096);                                                               \
    __rodata_start = .;                                                            \
    .rodata : { MISPLACED *(EXCLUDE_FILE(*user.o) .rodata EXCLUDE_FILE(*user.o) .rodata.*) } :rodata \
    . = ALIGN(4096);                                                               \
    __rodata_end = .;

SECTIONS
{
    . = 0x40200000;
    __kernel_start = .;

#ifdef MISPLACE_ISR
    RODATA    /* first, so that its *(.text.isr .text.isr.*) wins over .text's *(.text.*) */
#endif

    . = ALIGN(4096);
    __text_start = .;
    .text : { KEEP(*(.boot.text)) *(.text.isr .text.isr.*) *(EXCLUDE_FILE(*user.o) .text EXCLUDE_FILE(*user.o) .text.*) } :text
    . = ALIGN(4096);
    __text_end = .;

#ifndef MISPLACE_ISR
    RODATA
#endif

    __user_text_start = .;
    .user_text : { *(.user_text) *user.o(.text .text.* .rodata .rodata.*) } :user_text
    . = ALIGN(4096);
    __user_text_end = .;
    __user_data_start = .;
    .user_data : { *(.user_data) *user.o(.data .data.* .bss .bss.* COMMON) } :data
    . = ALIGN(4096);
    __user_data_end = .;

    .data : { *(.data .data.*) }
    .bss : {
        __bss_start = .;
        *(.bss .bss.*) *(COMMON)
        . = ALIGN(16);
        __bss_end = .;
        . = ALIGN(4096);
        __kstack_guard = .;     /* left unmapped */
        . += 4096;
        __kstack_bottom = .;
        . += 16384;
        __kstack_top = .;
    }
    . = ALIGN(4096);
    __kernel_end = .;

    /DISCARD/ : { *(.eh_frame*) *(.comment) *(.note.GNU-stack) *(.note.gnu.*) }
}
