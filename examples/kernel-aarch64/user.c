/* EL0 code of the two timer-switched tasks. Linked into the user text and user
 * data (linker.ld.S takes every section of user.o), so it can only call user_asm.S. */
#include "abi.h"

typedef uint64_t u64;

void regcheck_round(struct regcheck_area *area);
void svc_probe(struct regcheck_area *area);
_Noreturn void user_exit(u64 status);
void user_task_main(u64 id);

/* The kernel counts, per task, the interrupts taken while the task ran at EL0. */
volatile u64 user_interrupts[NTASKS];
struct task_report user_reports[2];
static struct regcheck_area areas[2];

static u64 splitmix64(u64 *state)
{
    u64 z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void fill_patterns(struct regcheck_area *a, u64 *seed, u64 id, u64 round)
{
    for (int n = 0; n < 31; n++)
        a->want.x[n] = splitmix64(seed);
    for (int n = 0; n < 32; n++) {
        a->want.q[n][0] = splitmix64(seed);
        a->want.q[n][1] = splitmix64(seed);
    }
    a->want.nzcv = ((round + id) & 0xf) << 28;
    /* FPCR: RMode (23:22), FZ (24), DN (25); FPSR: cumulative flags IOC..IXC (4:0), IDC (7), QC (27) */
    a->want.fpcr = (((round + id) & 3) << 22) | ((round & 1) << 24) | ((id & 1) << 25);
    a->want.fpsr = (splitmix64(seed) & 0x9f) | ((round & 1) << 27);
    a->want.sp = (u64)a;
}

static void compare(struct task_report *r, u64 field, u64 want, u64 got)
{
    if (want == got)
        return;
    if (!r->mismatches) {
        r->bad_round = r->rounds;
        r->bad_field = field;
        r->bad_want = want;
        r->bad_got = got;
    }
    r->mismatches++;
}

static void check_round(struct task_report *r, const struct regcheck_area *a)
{
    for (u64 n = 0; n < 31; n++)
        compare(r, n, a->want.x[n], a->got.x[n]);
    compare(r, FIELD_SP, a->want.sp, a->got.sp);
    compare(r, FIELD_NZCV, a->want.nzcv, a->got.nzcv);
    compare(r, FIELD_FPCR, a->want.fpcr, a->got.fpcr);
    compare(r, FIELD_FPSR, a->want.fpsr, a->got.fpsr);
    for (u64 n = 0; n < 32; n++) {
        compare(r, FIELD_Q + 2 * n, a->want.q[n][0], a->got.q[n][0]);
        compare(r, FIELD_Q + 2 * n + 1, a->want.q[n][1], a->got.q[n][1]);
    }
}

/* SYS_SUM with every other register nonzero: afterwards x0 is the sum, x1-x30
 * are zero (the glue clears what the kernel held), SP and q0-q31 are unchanged. */
static void syscall_check(struct task_report *r, struct regcheck_area *a, u64 *seed, u64 id)
{
    fill_patterns(a, seed, id, 0);
    u64 sum = 0;
    for (int n = 0; n < 6; n++) {
        a->want.x[n] = (id + 1) * 0x1000 + (u64)n * 0x101;
        sum += a->want.x[n];
    }
    a->want.x[8] = SYS_SUM;
    for (int n = 1; n < 31; n++)
        if (!a->want.x[n])
            a->want.x[n] = 1;
    svc_probe(a);
    r->svc_result = a->got.x[0];
    r->svc_expected = sum;
    r->svc_nonzero = a->got.x[1];
    r->svc_sp_changed = a->got.sp != (u64)a;
    for (int n = 0; n < 32; n++)
        if (a->got.q[n][0] != a->want.q[n][0] || a->got.q[n][1] != a->want.q[n][1])
            r->svc_fp_changed |= 1ull << n;
}

void user_task_main(u64 id)
{
    struct task_report *r = &user_reports[id];
    struct regcheck_area *a = &areas[id];
    u64 seed = 0x15a6e0ull + id * 0x1000;
    syscall_check(r, a, &seed, id);
    while (r->interrupts < REGCHECK_MIN_INTERRUPTS) {
        r->rounds++;
        fill_patterns(a, &seed, id, r->rounds);
        u64 before = user_interrupts[id];
        regcheck_round(a);
        r->interrupts += user_interrupts[id] - before;
        check_round(r, a);
    }
    user_exit(r->mismatches || r->svc_result != r->svc_expected || r->svc_nonzero || r->svc_sp_changed || r->svc_fp_changed);
}
