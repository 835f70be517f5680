/* Pintos' interrupt frame, struct intr_frame from threads/interrupt.h, written out
 * member by member to check isrgen's frame against it.  Pintos follows each 16-bit
 * selector with an unnamed ":16" bit-field and declares frame_pointer, eip and esp as
 * pointers; here the padding is named and the pointers are uint32_t, which on i386
 * changes no offset and no size. */
#pragma once
#include <stdint.h>

struct intr_frame {
    /* saved by intr_entry with pushal */
    uint32_t edi;
    uint32_t esi;
    uint32_t ebp;
    uint32_t esp_dummy;     /* the esp pushal found; popal skips it */
    uint32_t ebx;
    uint32_t edx;
    uint32_t ecx;
    uint32_t eax;
    /* saved by intr_entry, one pushl each */
    uint16_t gs;
    uint16_t padding_gs;
    uint16_t fs;
    uint16_t padding_fs;
    uint16_t es;
    uint16_t padding_es;
    uint16_t ds;
    uint16_t padding_ds;
    /* pushed by the intrNN_stub */
    uint32_t vec_no;
    /* pushed by the CPU on some vectors, otherwise 0 from the stub */
    uint32_t error_code;
    /* the interrupted ebp, stored by the stub */
    uint32_t frame_pointer;
    /* pushed by the CPU */
    uint32_t eip;
    uint16_t cs;
    uint16_t padding_cs;
    uint32_t eflags;
    uint32_t esp;
    uint16_t ss;
    uint16_t padding_ss;
};
