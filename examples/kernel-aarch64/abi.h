/* What the kernel (EL1) and the tasks (EL0, user.c and user_asm.S) agree on; C and assembler. */
#ifndef ABI_H
#define ABI_H

/* System calls: number in x8, arguments in x0-x5, result in x0 (svc #0). */
#define SYS_SUM 1  /* x0 = x0 + x1 + x2 + x3 + x4 + x5 */
#define SYS_EXIT 2 /* the task ends with status x0 */

/* The register-check area (16-byte aligned): a pattern block the EL0 code loads
 * into every register, then the dump block it stores them to afterwards. */
#define RC_X 0      /* x0..x30 */
#define RC_NZCV 248
#define RC_Q 256    /* q0..q31, 16 bytes each, low half first */
#define RC_FPCR 768
#define RC_FPSR 776
#define RC_SP 784   /* dump only: the SP seen after the live window */
#define RC_BLOCK 800
#define RC_OUT RC_BLOCK          /* the dump block */
#define RC_SAVED_SP (2 * RC_BLOCK) /* the caller's SP while the area is the stack */
#define RC_SIZE (2 * RC_BLOCK + 16)

/* Per round, the live window runs RC_WFI_PER_ROUND times 32 nops and a wfi. */
#define RC_WFI_PER_ROUND 64

/* Each of the two timer-switched tasks runs rounds until it has been
 * interrupted at least this often with its registers live. */
#define REGCHECK_MIN_INTERRUPTS 1000

#define NTASKS 5

#ifndef __ASSEMBLER__
#include <stdint.h>

struct regcheck_block {
    uint64_t x[31];
    uint64_t nzcv;
    uint64_t q[32][2];
    uint64_t fpcr, fpsr;
    uint64_t sp;
    uint64_t pad;
};

struct regcheck_area {
    struct regcheck_block want; /* loaded by the EL0 code */
    struct regcheck_block got;  /* stored by it after the window */
    uint64_t saved_sp, pad;
} __attribute__((aligned(16)));

_Static_assert(__builtin_offsetof(struct regcheck_block, nzcv) == RC_NZCV, "abi: nzcv");
_Static_assert(__builtin_offsetof(struct regcheck_block, q) == RC_Q, "abi: q");
_Static_assert(__builtin_offsetof(struct regcheck_block, fpcr) == RC_FPCR, "abi: fpcr");
_Static_assert(__builtin_offsetof(struct regcheck_block, fpsr) == RC_FPSR, "abi: fpsr");
_Static_assert(__builtin_offsetof(struct regcheck_block, sp) == RC_SP, "abi: sp");
_Static_assert(sizeof(struct regcheck_block) == RC_BLOCK, "abi: block");
_Static_assert(__builtin_offsetof(struct regcheck_area, saved_sp) == RC_SAVED_SP, "abi: saved sp");
_Static_assert(sizeof(struct regcheck_area) == RC_SIZE, "abi: area");

/* What a timer-switched task reports (in EL0-writable memory; the kernel reads it at the end). */
struct task_report {
    uint64_t svc_result;       /* x0 after SYS_SUM */
    uint64_t svc_expected;     /* the sum of its arguments */
    uint64_t svc_nonzero;      /* bit n set: xn was not zero after the svc */
    uint64_t svc_sp_changed;   /* SP after the svc differs from SP before */
    uint64_t svc_fp_changed;   /* bit n set: qn changed across the svc */
    uint64_t rounds;           /* register-check rounds run */
    uint64_t interrupts;       /* interrupts taken inside the live windows */
    uint64_t mismatches;       /* fields that differed, over all rounds */
    uint64_t bad_round, bad_field, bad_want, bad_got; /* the first mismatch */
};

/* Field numbers in bad_field: 0-30 xN, 31 sp, 32 nzcv, 33 fpcr, 34 fpsr, 40+2n(+1) qn low(high). */
#define FIELD_SP 31
#define FIELD_NZCV 32
#define FIELD_FPCR 33
#define FIELD_FPSR 34
#define FIELD_Q 40
#endif

#endif
