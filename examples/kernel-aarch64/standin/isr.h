/*
 * DEVELOPMENT STAND-IN -- NOT GENERATED, TO BE DELETED AT INTEGRATION.
 *
 * Hand-written copy of the interface the isrgen aarch64 backend generates
 * (`isrgen build kernel.yaml -b gas -b c`), used only by `make GLUE=standin`
 * while the generator is being written. It implements the documented glue
 * interface exactly: struct isr_frame (832 bytes), the handler prototypes,
 * isr_return, isr_halt and isr_install_vbar. The kernel's C code must not
 * rely on anything else in this file.
 */
#ifndef ISR_H_STANDIN
#define ISR_H_STANDIN

#include <stddef.h>
#include <stdint.h>

struct isr_frame {
    uint64_t x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15;
    uint64_t x16, x17, x18, x19, x20, x21, x22, x23, x24, x25, x26, x27, x28, x29, x30;
    uint64_t sp;   /* SP_EL0 for entries from EL0 and EL1t, the interrupted SP_EL1 for EL1h */
    uint64_t elr;  /* ELR_EL1 */
    uint64_t spsr; /* SPSR_EL1 */
    uint64_t esr;  /* ESR_EL1 */
    uint64_t far;  /* FAR_EL1 */
    uint64_t kind; /* vector slot taken, 0..15 */
    uint64_t pad;
    uint64_t standin_q[32][2]; /* q0..q31, low half first */
    uint64_t standin_fpcr;
    uint64_t standin_fpsr;
};

_Static_assert(sizeof(struct isr_frame) == 832, "stand-in: frame size");
_Static_assert(offsetof(struct isr_frame, x30) == 240, "stand-in: offset of x30");
_Static_assert(offsetof(struct isr_frame, sp) == 248, "stand-in: offset of sp");
_Static_assert(offsetof(struct isr_frame, kind) == 288, "stand-in: offset of kind");
_Static_assert(offsetof(struct isr_frame, standin_q) == 304, "stand-in: offset of the FP/SIMD area");

struct isr_frame *isr_dispatch(struct isr_frame *frame);
void isr_kernel_fault(struct isr_frame *frame);
void isr_syscall(struct isr_frame *frame);
_Noreturn void isr_bad_mode(struct isr_frame *frame);
_Noreturn void isr_return(struct isr_frame *frame);
_Noreturn void isr_halt(void);
extern const uint8_t isr_vectors[];

static inline void isr_install_vbar(void)
{
    __asm__ volatile("msr vbar_el1, %0\n\tisb" : : "r"(isr_vectors) : "memory");
}

#endif
