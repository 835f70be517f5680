/* Hand-written expectations for specs/x86_64.yaml's frame, independent of the
 * generator: each offset below was counted by hand from the layout list. */
#include <stddef.h>
#include "isr.h"

_Static_assert(offsetof(struct isr_frame, r15) == 0, "r15");
_Static_assert(offsetof(struct isr_frame, r14) == 8, "r14");
_Static_assert(offsetof(struct isr_frame, r13) == 16, "r13");
_Static_assert(offsetof(struct isr_frame, r12) == 24, "r12");
_Static_assert(offsetof(struct isr_frame, r11) == 32, "r11");
_Static_assert(offsetof(struct isr_frame, r10) == 40, "r10");
_Static_assert(offsetof(struct isr_frame, r9) == 48, "r9");
_Static_assert(offsetof(struct isr_frame, r8) == 56, "r8");
_Static_assert(offsetof(struct isr_frame, rbp) == 64, "rbp");
_Static_assert(offsetof(struct isr_frame, rdi) == 72, "rdi");
_Static_assert(offsetof(struct isr_frame, rsi) == 80, "rsi");
_Static_assert(offsetof(struct isr_frame, rdx) == 88, "rdx");
_Static_assert(offsetof(struct isr_frame, rcx) == 96, "rcx");
_Static_assert(offsetof(struct isr_frame, rbx) == 104, "rbx");
_Static_assert(offsetof(struct isr_frame, rax) == 112, "rax");
_Static_assert(offsetof(struct isr_frame, vector) == 120, "vector");
_Static_assert(offsetof(struct isr_frame, error_code) == 128, "error_code");
_Static_assert(offsetof(struct isr_frame, rip) == 136, "rip");
_Static_assert(offsetof(struct isr_frame, cs) == 144, "cs");
_Static_assert(offsetof(struct isr_frame, rflags) == 152, "rflags");
_Static_assert(offsetof(struct isr_frame, rsp) == 160, "rsp");
_Static_assert(offsetof(struct isr_frame, ss) == 168, "ss");
_Static_assert(sizeof(struct isr_frame) == 176, "size");
_Static_assert(ISR_VEC_PAGE_FAULT == 14, "page fault vector");
_Static_assert(ISR_VEC_SPURIOUS == 255, "spurious vector");

void isr_dispatch(struct isr_frame *frame) { (void)frame; }
