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
#define IOAPIC_PHYS 0xfec00000ull
#define STACK_SIZE 16384
#define LOW_TABLES 4 /* 4 KiB page tables for the kernel image: 8 MiB from 0 */
#define GDT_QUADS 8  /* gdt .. gdt_end in boot.S */

extern char __kernel_start[], __kernel_end[], __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[], __user_text_start[], __user_text_end[];
extern char __user_data_start[], __user_data_end[], __kstack_guard[];
extern u64 gdt[GDT_QUADS];

static u64 pml4[512] __attribute__((aligned(4096)));
static u64 pdpt[512] __attribute__((aligned(4096)));
static u64 pd_low[512] __attribute__((aligned(4096)));
static u64 pd_apic[512] __attribute__((aligned(4096)));
static u64 pt_low[LOW_TABLES][512] __attribute__((aligned(4096)));
static u64 pdpt_high[512] __attribute__((aligned(4096)));
static u64 pd_high[512] __attribute__((aligned(4096)));
static u64 pt_high[512] __attribute__((aligned(4096)));

/* One page per CPU, mapped again at percpu_va(cpu): that CPU's kernel GS base. */
static union {
    struct percpu p;
    u8 page[PAGE];
} percpu_pages[MAX_CPUS] __attribute__((aligned(4096)));

/* The page TLB_PROBE_VA maps: first tlb_pages[0], after the shootdown tlb_pages[1]. */
static u64 tlb_pages[2][512] __attribute__((aligned(4096)));

#define IA32_EFER 0xc0000080
#define IA32_STAR 0xc0000081
#define IA32_LSTAR 0xc0000082
#define IA32_FMASK 0xc0000084
#define IA32_GS_BASE 0xc0000101
#define IA32_KERNEL_GS_BASE 0xc0000102
#define IA32_TSC_AUX 0xc0000103

/* Each CPU's kernel GS base, indexed by the CPU number RDTSCP reads from
 * IA32_TSC_AUX: what the generated paranoid entries load (isr.h declares it). */
u64 percpu_offset[MAX_CPUS];

struct tss {
    u32 reserved0;
    u64 rsp[3];
    u64 reserved1;
    u64 ist[7];
    u64 reserved2;
    u16 reserved3;
    u16 iomap_base;
} __attribute__((packed));
/* Each CPU's TSS and interrupt stacks: IST 1-4, then RSP0 (ring-3 interrupts and
 * SYSCALL). The TSS lies right below IST 1: in the negative build (stubs not
 * executable) the nested #PFs that follow a #DF run down IST 1 into the TSS and
 * overwrite its IST pointers, so the next #DF cannot be delivered (triple fault)
 * instead of restarting at the top of IST 1 forever. */
static struct {
    struct tss tss;
    u8 ist[4][STACK_SIZE] __attribute__((aligned(16)));
    u8 trap[STACK_SIZE];
    u8 irq[STACK_SIZE] __attribute__((aligned(16))); /* the IRQ stack (kernel.yaml irq_stack) */
} stacks[MAX_CPUS] __attribute__((aligned(16)));

/* The application processors' kernel stacks, each above an unmapped guard page
 * (CPU 0 runs on boot.S's __kstack_*; its slot stays unused). */
static struct {
    u8 guard[PAGE];
    u8 stack[STACK_SIZE];
} ap_kstacks[MAX_CPUS] __attribute__((aligned(4096)));

/* Each CPU's GDT: boot.S's template with that CPU's TSS descriptor (LTR marks it busy). */
static u64 gdts[MAX_CPUS][GDT_QUADS] __attribute__((aligned(16)));

static struct isr_idt_gate idt[ISR_VECTOR_COUNT] __attribute__((aligned(16)));

static int in_range(u64 a, const char *lo, const char *hi)
{
    return a >= (u64)lo && a < (u64)hi;
}

u64 kstack_guard(int cpu)
{
    return cpu ? (u64)ap_kstacks[cpu].guard : (u64)__kstack_guard;
}

u64 ap_kstack_top(int cpu)
{
    return (u64)(ap_kstacks[cpu].stack + STACK_SIZE);
}

static int guard_page(u64 a)
{
    for (int c = 0; c < MAX_CPUS; c++)
        if (a == kstack_guard(c))
            return 1;
    return 0;
}

static u64 page_flags(u64 a)
{
    if (guard_page(a))
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
    if ((u64)__kernel_end > LOW_TABLES * 512 * PAGE) {
        kprintf("PANIC: kernel image ends at %lx, beyond the %llu MiB the page tables cover\n", (u64)__kernel_end,
                LOW_TABLES * 2ull);
        qemu_exit(EXIT_FAILURE_VALUE);
    }
    /* Upper levels allow everything; the 4 KiB leaves decide. */
    pml4[0] = (u64)pdpt | PTE_P | PTE_W | PTE_U;
    pdpt[0] = (u64)pd_low | PTE_P | PTE_W | PTE_U;
    pdpt[LAPIC_PHYS >> 30] = (u64)pd_apic | PTE_P | PTE_W;
    for (int t = 0; t < LOW_TABLES; t++)
        pd_low[t] = (u64)pt_low[t] | PTE_P | PTE_W | PTE_U;
    for (u64 a = (u64)__kernel_start; a < (u64)__kernel_end; a += PAGE) {
        u64 f = page_flags(a);
        pt_low[a / (512 * PAGE)][(a / PAGE) % 512] = f ? (a | f) : 0;
    }
    pd_apic[(LAPIC_PHYS >> 21) & 511] = LAPIC_PHYS | PTE_P | PTE_W | PTE_PS | PTE_PCD | PTE_PWT | PTE_XD;
    pd_apic[(IOAPIC_PHYS >> 21) & 511] = IOAPIC_PHYS | PTE_P | PTE_W | PTE_PS | PTE_PCD | PTE_PWT | PTE_XD;
    /* Each CPU's per-CPU page again at percpu_va(cpu) (high half, kernel only). */
    pml4[(PERCPU_VA >> 39) & 511] = (u64)pdpt_high | PTE_P | PTE_W;
    pdpt_high[(PERCPU_VA >> 30) & 511] = (u64)pd_high | PTE_P | PTE_W;
    pd_high[(PERCPU_VA >> 21) & 511] = (u64)pt_high | PTE_P | PTE_W;
    for (int c = 0; c < MAX_CPUS; c++)
        pt_high[(percpu_va(c) >> 12) & 511] = (u64)&percpu_pages[c] | PTE_P | PTE_W | PTE_XD;
    tlb_pages[0][0] = TLB_PROBE_OLD;
    tlb_pages[1][0] = TLB_PROBE_NEW;
    tlb_probe_remap(0);
    __asm__ volatile("mov %0, %%cr3" : : "r"((u64)pml4) : "memory");
    lapic_mapped();
}

u64 kernel_cr3(void)
{
    return (u64)pml4;
}

void tlb_probe_remap(int second)
{
    pt_high[(TLB_PROBE_VA >> 12) & 511] = (u64)tlb_pages[second] | PTE_P | PTE_W | PTE_XD;
}

u64 tlb_probe_read(void)
{
    return *(volatile u64 *)TLB_PROBE_VA;
}

void invlpg(u64 va)
{
    __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

u64 percpu_va(int cpu)
{
    return PERCPU_VA + (u64)cpu * PERCPU_STRIDE;
}

void gdt_tss_init(int cpu)
{
    struct tss *t = &stacks[cpu].tss;
    u64 *g = gdts[cpu];
    t->rsp[0] = (u64)(stacks[cpu].trap + STACK_SIZE);
    for (int i = 0; i < 4; i++)
        t->ist[i] = (u64)(stacks[cpu].ist[i] + STACK_SIZE);
    t->ist[6] = (u64)(stacks[cpu].ist[3] + STACK_SIZE); /* present, but beyond the limit below */
    t->iomap_base = sizeof(*t);
    /* The limit ends right before ist[6] (IST 7): delivering a vector whose gate
     * selects IST 7 raises #TS(TSS selector) -- the kernel's #TS probe. */
    u64 limit = __builtin_offsetof(struct tss, ist) + 6 * 8 - 1;
    u64 base = (u64)t;
    for (int i = 0; i < GDT_QUADS; i++)
        g[i] = gdt[i];
    g[TSS_SEL / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) | (((limit >> 16) & 0xf) << 48) |
                     (((base >> 24) & 0xff) << 56);
    g[TSS_SEL / 8 + 1] = base >> 32;
    struct {
        u16 limit;
        u64 base;
    } __attribute__((packed)) gdtr = {sizeof(gdts[cpu]) - 1, (u64)g};
    __asm__ volatile("lgdt %0" : : "m"(gdtr));
    __asm__ volatile("ltr %w0" : : "r"((u16)TSS_SEL));
}

/* GS: the kernel's base is this CPU's per-CPU block (a negative address: the
 * paranoid entries rely on it), and IA32_KERNEL_GS_BASE holds the user's until
 * the first swapgs into ring 3 exchanges them. */
void percpu_init(int cpu, u64 user_gs_base)
{
    u64 va = percpu_va(cpu);
    struct percpu *p = (struct percpu *)va;
    p->self = va;
    p->kernel_stack = stacks[cpu].tss.rsp[0]; /* the syscall entry's stack: the same as ring-3 interrupts' */
    p->user_rsp = 0;
    p->cpu = (u64)cpu;
    p->irq_stack_top = (u64)(stacks[cpu].irq + STACK_SIZE);
    p->irq_stack_depth = 0;
    /* What the paranoid entries need (kernel.yaml paranoid_gs: rdtscp): this CPU's
     * block in the offset table, the CPU number in IA32_TSC_AUX (node 0 above bit
     * ISR_CPUNODE_NODE_SHIFT), and CR4.FSGSBASE for rdgsbase/wrgsbase, which also
     * lets ring 3 load any GS base. */
    u32 a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
    int fsgsbase = b & 1; /* CPUID.(EAX=7,ECX=0):EBX[0] */
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000001u), "c"(0));
    int rdtscp = (d >> 27) & 1; /* CPUID.80000001H:EDX[27] */
    if (!fsgsbase || !rdtscp) {
        check(0, "percpu-gs", "the CPU lacks %s%s (QEMU: -cpu qemu64,+fsgsbase,+rdtscp)", fsgsbase ? "" : "FSGSBASE ",
              rdtscp ? "" : "RDTSCP");
        qemu_exit(EXIT_FAILURE_VALUE);
    }
    percpu_offset[cpu] = va;
    wrmsr(IA32_TSC_AUX, (u64)cpu);
    u64 cr4;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | ISR_CR4_FSGSBASE));
    wrmsr(IA32_GS_BASE, va);
    wrmsr(IA32_KERNEL_GS_BASE, user_gs_base);
    u64 self = gs_self();
    check(self == va && this_cpu() == cpu && rdmsr(IA32_KERNEL_GS_BASE) == user_gs_base &&
              (rdmsr(IA32_TSC_AUX) & ISR_CPUNODE_CPU_MASK) == (u64)cpu,
          "percpu-gs",
          "kernel GS base 0x%lx (this CPU's, = percpu_offset[%d]), gs:[0]=0x%lx, gs:[24]=cpu %d, user GS base 0x%lx "
          "parked in KERNEL_GS_BASE, IA32_TSC_AUX=%lu, CR4.FSGSBASE on",
          rdmsr(IA32_GS_BASE), cpu, self, this_cpu(), rdmsr(IA32_KERNEL_GS_BASE), rdmsr(IA32_TSC_AUX));
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

u64 this_cpu_irq_depth(void)
{
    u64 v;
    __asm__ volatile("mov %%gs:%c1, %0" : "=r"(v) : "i"(ISR_GS_IRQ_STACK_DEPTH));
    return v;
}

int this_cpu(void)
{
    u64 v;
    __asm__ volatile("mov %%gs:24, %0" : "=r"(v));
    return (int)v;
}

/* Whether p lies on the IRQ stack of the CPU that runs this (its LAPIC ID says which). */
int on_irq_stack(const void *p)
{
    int cpu = lapic_cpu();
    if (cpu < 0)
        return 0;
    const char *lo = (const char *)stacks[cpu].irq;
    return in_range((u64)p, lo, lo + STACK_SIZE);
}

/* Whether p lies on IST stack `ist` of the CPU that runs this (its LAPIC ID says which). */
int on_ist_stack(const void *p, int ist)
{
    int cpu = lapic_cpu();
    if (cpu < 0)
        return 0;
    const char *lo = (const char *)stacks[cpu].ist[ist - 1];
    return in_range((u64)p, lo, lo + STACK_SIZE);
}

int on_trap_stack(const void *p)
{
    int cpu = lapic_cpu();
    if (cpu < 0)
        return 0;
    const char *lo = (const char *)stacks[cpu].trap;
    return in_range((u64)p, lo, lo + STACK_SIZE);
}

/* One IDT, shared by every CPU: filled once by the BSP, loaded by each CPU. */
void idt_init(void)
{
    isr_idt_fill(idt, KCODE);
    idt_load();
}

void idt_load(void)
{
    struct {
        u16 limit;
        u64 base;
    } __attribute__((packed)) idtr = {sizeof(idt) - 1, (u64)idt};
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
