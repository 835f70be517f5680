/* Paging with real permissions, GDT/TSS, IDT, and small CPU helpers. */
#include "kernel.h"

#define PTE_P 0x1ull
#define PTE_W 0x2ull
#define PTE_U 0x4ull
#define PTE_PWT 0x8ull
#define PTE_PCD 0x10ull
#define PTE_PS 0x80ull
#define PTE_XD (1ull << 63) /* honoured because boot.S set EFER.NXE (SDM Vol. 3A 4.5) */

#define PAGE 4096ull
#define LAPIC_PHYS 0xfee00000ull
#define STACK_SIZE 16384

extern char __kernel_start[], __kernel_end[], __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[], __user_text_start[], __user_text_end[];
extern char __user_data_start[], __user_data_end[], __kstack_guard[];
extern char gdt[];
extern struct {
    u16 limit;
    u64 base;
} __attribute__((packed)) gdt_ptr;

static u64 pml4[512] __attribute__((aligned(4096)));
static u64 pdpt[512] __attribute__((aligned(4096)));
static u64 pd_low[512] __attribute__((aligned(4096)));
static u64 pd_apic[512] __attribute__((aligned(4096)));
static u64 pt_low[512] __attribute__((aligned(4096)));
static u64 pdpt_high[512] __attribute__((aligned(4096)));
static u64 pd_high[512] __attribute__((aligned(4096)));
static u64 pt_high[512] __attribute__((aligned(4096)));
static struct percpu percpu_page __attribute__((aligned(4096)));

#define IA32_EFER 0xc0000080
#define IA32_STAR 0xc0000081
#define IA32_LSTAR 0xc0000082
#define IA32_FMASK 0xc0000084
#define IA32_GS_BASE 0xc0000101
#define IA32_KERNEL_GS_BASE 0xc0000102

static u8 trap_stack[STACK_SIZE] __attribute__((aligned(16)));
static u8 ist_stacks[4][STACK_SIZE] __attribute__((aligned(16)));

struct tss {
    u32 reserved0;
    u64 rsp[3];
    u64 reserved1;
    u64 ist[7];
    u64 reserved2;
    u16 reserved3;
    u16 iomap_base;
} __attribute__((packed));
static struct tss tss;

static struct isr_idt_gate idt[ISR_VECTOR_COUNT] __attribute__((aligned(16)));

static int in_range(u64 a, const char *lo, const char *hi)
{
    return a >= (u64)lo && a < (u64)hi;
}

static u64 page_flags(u64 a)
{
    if (a == (u64)__kstack_guard)
        return 0; /* guard page: a kernel stack overflow faults here */
    if (in_range(a, __text_start, __text_end))
        return PTE_P;
    if (in_range(a, __rodata_start, __rodata_end))
        return PTE_P | PTE_XD;
    if (in_range(a, __user_text_start, __user_text_end))
        return PTE_P | PTE_U;
    if (in_range(a, __user_data_start, __user_data_end))
        return PTE_P | PTE_W | PTE_U | PTE_XD;
    return PTE_P | PTE_W | PTE_XD;
}

void paging_init(void)
{
    if ((u64)__kernel_end > 0x200000) {
        kprintf("PANIC: kernel image ends at %lx, beyond the 2 MiB the page table covers\n", (u64)__kernel_end);
        qemu_exit(EXIT_FAILURE_VALUE);
    }
    /* Upper levels allow everything; the 4 KiB leaves decide. */
    pml4[0] = (u64)pdpt | PTE_P | PTE_W | PTE_U;
    pdpt[0] = (u64)pd_low | PTE_P | PTE_W | PTE_U;
    pdpt[LAPIC_PHYS >> 30] = (u64)pd_apic | PTE_P | PTE_W;
    pd_low[0] = (u64)pt_low | PTE_P | PTE_W | PTE_U;
    for (u64 a = (u64)__kernel_start; a < (u64)__kernel_end; a += PAGE) {
        u64 f = page_flags(a);
        pt_low[a / PAGE] = f ? (a | f) : 0;
    }
    pd_apic[(LAPIC_PHYS >> 21) & 511] = LAPIC_PHYS | PTE_P | PTE_W | PTE_PS | PTE_PCD | PTE_PWT | PTE_XD;
    /* The per-CPU page again at PERCPU_VA (high half, kernel only). */
    pml4[(PERCPU_VA >> 39) & 511] = (u64)pdpt_high | PTE_P | PTE_W;
    pdpt_high[(PERCPU_VA >> 30) & 511] = (u64)pd_high | PTE_P | PTE_W;
    pd_high[(PERCPU_VA >> 21) & 511] = (u64)pt_high | PTE_P | PTE_W;
    pt_high[(PERCPU_VA >> 12) & 511] = (u64)&percpu_page | PTE_P | PTE_W | PTE_XD;
    __asm__ volatile("mov %0, %%cr3" : : "r"((u64)pml4) : "memory");
}

void gdt_tss_init(void)
{
    tss.rsp[0] = (u64)(trap_stack + STACK_SIZE);
    for (int i = 0; i < 4; i++)
        tss.ist[i] = (u64)(ist_stacks[i] + STACK_SIZE);
    tss.ist[6] = (u64)(ist_stacks[3] + STACK_SIZE); /* present, but beyond the limit below */
    tss.iomap_base = sizeof(tss);
    /* The limit ends right before ist[6] (IST 7): delivering a vector whose gate
     * selects IST 7 raises #TS(TSS selector) -- the kernel's #TS probe. */
    u64 limit = __builtin_offsetof(struct tss, ist) + 6 * 8 - 1;
    u64 base = (u64)&tss;
    u64 *desc = (u64 *)(gdt + TSS_SEL);
    desc[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) | (((limit >> 16) & 0xf) << 48) |
              (((base >> 24) & 0xff) << 56);
    desc[1] = base >> 32;
    __asm__ volatile("lgdt %0" : : "m"(gdt_ptr));
    __asm__ volatile("ltr %w0" : : "r"((u16)TSS_SEL));
}

/* GS: the kernel's base is the per-CPU block (a negative address: the paranoid
 * entries rely on it), and IA32_KERNEL_GS_BASE holds the user's until the first
 * swapgs into ring 3 exchanges them. */
void percpu_init(u64 user_gs_base)
{
    struct percpu *p = (struct percpu *)PERCPU_VA;
    p->self = PERCPU_VA;
    p->kernel_stack = tss.rsp[0]; /* the syscall entry's stack: the same as ring-3 interrupts' */
    p->user_rsp = 0;
    wrmsr(IA32_GS_BASE, PERCPU_VA);
    wrmsr(IA32_KERNEL_GS_BASE, user_gs_base);
    u64 self = gs_self();
    check(self == PERCPU_VA && (i64)rdmsr(IA32_GS_BASE) < 0 && rdmsr(IA32_KERNEL_GS_BASE) == user_gs_base, "percpu-gs",
          "kernel GS base 0x%lx (negative: high half), gs:[0]=0x%lx, user GS base 0x%lx parked in KERNEL_GS_BASE",
          rdmsr(IA32_GS_BASE), self, rdmsr(IA32_KERNEL_GS_BASE));
}

u64 gs_self(void)
{
    u64 v;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(v));
    return v;
}

/* SYSCALL/SYSRET (SDM Vol. 3A 5.8.8): SYSCALL loads CS = STAR[47:32] and SS = +8;
 * SYSRET loads CS = STAR[63:48] + 16 and SS = +8, both with RPL 3: the GDT keeps
 * user data (0x18) right below user code (0x20). FMASK clears IF, TF, DF and AC. */
void syscall_init(void)
{
    wrmsr(IA32_EFER, rdmsr(IA32_EFER) | 1); /* SCE */
    wrmsr(IA32_STAR, ((u64)(UDATA - 3 - 8) << 48) | ((u64)KCODE << 32));
    wrmsr(IA32_LSTAR, (u64)isr_syscall_entry);
    wrmsr(IA32_FMASK, 0x40700);
    check((rdmsr(IA32_EFER) & 1) && rdmsr(IA32_LSTAR) == (u64)isr_syscall_entry, "syscall-setup",
          "EFER.SCE=1, STAR=0x%lx, LSTAR=0x%lx (isr_syscall_entry), FMASK=0x%lx", rdmsr(IA32_STAR),
          rdmsr(IA32_LSTAR), rdmsr(IA32_FMASK));
}

int on_ist_stack(const void *p, int ist)
{
    return in_range((u64)p, (const char *)ist_stacks[ist - 1], (const char *)ist_stacks[ist - 1] + STACK_SIZE);
}

int on_trap_stack(const void *p)
{
    return in_range((u64)p, (const char *)trap_stack, (const char *)trap_stack + STACK_SIZE);
}

void idt_init(void)
{
    struct {
        u16 limit;
        u64 base;
    } __attribute__((packed)) idtr = {sizeof(idt) - 1, (u64)idt};
    isr_idt_fill(idt, KCODE);
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

void kjmp_resume_frame(struct isr_frame *f, const struct kjmp *j)
{
    f->rbx = j->rbx;
    f->rbp = j->rbp;
    f->r12 = j->r12;
    f->r13 = j->r13;
    f->r14 = j->r14;
    f->r15 = j->r15;
    f->rsp = j->rsp;
    f->rip = j->rip;
    f->rax = 1;
    f->cs = KCODE;
    f->ss = KDATA;
    f->rflags = 0x2; /* interrupts off, TF/AC cleared */
    /* The exit path leaves through sysretq for frames whose vector slot holds the
     * syscall marker: a kernel context resumed from a SYSCALL frame must iretq. */
    f->vector = ISR_VECTOR_COUNT;
}

u64 read_cr0(void)
{
    u64 v;
    __asm__ volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}

void write_cr0(u64 v)
{
    __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

u64 read_cr2(void)
{
    u64 v;
    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}

u64 rdmsr(u32 msr)
{
    u32 lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((u64)hi << 32) | lo;
}

void wrmsr(u32 msr, u64 v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}

void outb(u16 port, u8 v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

u8 inb(u16 port)
{
    u8 v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
