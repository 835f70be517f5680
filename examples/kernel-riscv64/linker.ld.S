/* Linker script of the riscv64 example kernel (QEMU virt: RAM at 0x80000000, where
 * -bios none starts hart 0 in M-mode). Run through the C preprocessor.
 *
 * The negative build (make MISPLACE_ISR=1) renames the glue's .text.trap to a data section,
 * .data.trap: it lands in .data, which the kernel maps readable and writable but not
 * executable, so the first trap cannot fetch its entry and the run never passes. */
OUTPUT_ARCH(riscv)
ENTRY(_start)

PHDRS
{
    text PT_LOAD FLAGS(5);      /* R X */
    rodata PT_LOAD FLAGS(4);    /* R */
    data PT_LOAD FLAGS(6);      /* R W */
}

SECTIONS
{
    . = 0x80000000;
    _text_start = .;
    .text : {
        KEEP(*(.text.boot))
        *(.text .text.*)
    } :text
    /* the trampoline: one page of its own, mapped again at the trampoline address */
    . = ALIGN(4096);
    trampsec : { KEEP(*(trampsec)) } :text
    . = ALIGN(4096);
    _text_end = .;

    _rodata_start = .;
    .rodata : {
        *(.rodata .rodata.* .srodata .srodata.*)
        . = ALIGN(4096);
        /* the user tasks' code: mapped U+R+X at USER_TEXT_VA in their address spaces */
        KEEP(*(.user.text))
    } :rodata
    . = ALIGN(4096);
    _rodata_end = .;

    _data_start = .;
    .data : {
        *(.data .data.*)
    } :data
    /* __global_pointer$: what the scratch variant's glue loads into gp on entry from U-mode */
    .sdata : {
        __global_pointer$ = . + 0x800;
        *(.sdata .sdata.*)
    } :data
    .sbss : { *(.sbss .sbss.*) } :data
    .bss : { *(.bss .bss.* COMMON) } :data
    . = ALIGN(4096);
    _kernel_end = .;

    /DISCARD/ : { *(.eh_frame .eh_frame_hdr .note .note.* .comment .riscv.attributes) }
}
