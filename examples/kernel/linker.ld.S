/* Linker script of the example kernel (run through the C preprocessor).
 * Loaded at 1 MiB by QEMU's PVH loader; cpu.c maps each page from the
 * __*_start/__*_end symbols: only [__text_start, __text_end) and the user text
 * are executable, everything else is execute-disable.
 *
 * The program headers say the same (PHDRS): R+X text, R rodata, RW data.
 *
 * -DMISPLACE_ISR builds the negative variant: the generated stubs (section
 * .text.isr) land in the .rodata output section, in the read-only segment that
 * the kernel maps execute-disable -- the way a missing section flag or a stray
 * `.section .rodata` would put them there. */
ENTRY(pvh_start)

PHDRS
{
    notes PT_LOAD FLAGS(4);     /* R: the PVH note */
    text PT_LOAD FLAGS(5);      /* R X */
    rodata PT_LOAD FLAGS(4);    /* R */
    user_text PT_LOAD FLAGS(5); /* R X */
    data PT_LOAD FLAGS(6);      /* R W */
    note PT_NOTE FLAGS(4);
}

#define RODATA                                                           \
    . = ALIGN(4096);                                                     \
    __rodata_start = .;                                                  \
    .rodata : { MISPLACED *(.rodata .rodata.*) } :rodata                 \
    . = ALIGN(4096);                                                     \
    __rodata_end = .;

#ifdef MISPLACE_ISR
#define MISPLACED *(.text.isr)
#else
#define MISPLACED
#endif

SECTIONS
{
    . = 1M;
    __kernel_start = .;
    .note.Xen : { KEEP(*(.note.Xen)) } :notes :note

#ifdef MISPLACE_ISR
    RODATA    /* first, so that its *(.text.isr) wins over .text's *(.text.*) */
#endif

    . = ALIGN(4096);
    __text_start = .;
    .text : { *(.boot.text) *(.text.isr) *(.text .text.*) } :text
    . = ALIGN(4096);
    __text_end = .;

#ifndef MISPLACE_ISR
    RODATA
#endif

    __user_text_start = .;
    .user_text : { *(.user_text) } :user_text
    . = ALIGN(4096);
    __user_text_end = .;
    __user_data_start = .;
    .user_data : { *(.user_data) } :data
    . = ALIGN(4096);
    __user_data_end = .;

    .data : { *(.data .data.*) }
    .bss : {
        *(.bss .bss.*) *(COMMON)
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
