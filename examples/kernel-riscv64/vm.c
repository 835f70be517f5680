/* Sv39 page tables (privileged spec 4.4): 4 KiB pages only, three levels. */
#include "kernel.h"

#define POOL_PAGES 48
static pte_t pool[POOL_PAGES][512] __attribute__((aligned(4096)));
static unsigned pool_used;

pte_t *page_alloc(void)
{
    if (pool_used == POOL_PAGES)
        panic("out of page-table pages");
    return pool[pool_used++];
}

static pte_t *walk(pte_t *root, uint64_t va, int alloc)
{
    pte_t *table = root;
    for (int level = 2; level > 0; level--) {
        pte_t *pte = &table[(va >> (12 + 9 * level)) & 0x1ff];
        if (!(*pte & PTE_V)) {
            if (!alloc)
                return 0;
            pte_t *next = page_alloc();
            *pte = (((uint64_t)next >> 12) << 10) | PTE_V;
        }
        table = (pte_t *)((*pte >> 10) << 12);
    }
    return &table[(va >> 12) & 0x1ff];
}

void vm_map(pte_t *root, uint64_t va, uint64_t pa, uint64_t size, uint64_t perm)
{
    for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
        pte_t *pte = walk(root, va + off, 1);
        if (*pte & PTE_V)
            panic("page mapped twice");
        *pte = (((pa + off) >> 12) << 10) | perm | PTE_V | PTE_A | PTE_D;
    }
}

pte_t vm_lookup(pte_t *root, uint64_t va)
{
    pte_t *pte = walk(root, va, 0);
    return pte ? *pte : 0;
}

static uint64_t page_up(uint64_t a) { return (a + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1); }

/* The kernel image identity-mapped, supervisor-only: text R+X, read-only data R, the rest
 * R+W and never executable; the UART and the test finisher R+W. */
void vm_map_kernel(pte_t *root)
{
    uint64_t text = (uint64_t)_text_start, etext = page_up((uint64_t)_text_end);
    uint64_t ro = (uint64_t)_rodata_start, ero = page_up((uint64_t)_rodata_end);
    uint64_t data = (uint64_t)_data_start, end = page_up((uint64_t)_kernel_end);
    vm_map(root, text, text, etext - text, PTE_R | PTE_X);
    vm_map(root, ro, ro, ero - ro, PTE_R);
    vm_map(root, data, data, end - data, PTE_R | PTE_W);
    vm_map(root, UART0, UART0, PAGE_SIZE, PTE_R | PTE_W);
    vm_map(root, TEST_DEVICE, TEST_DEVICE, PAGE_SIZE, PTE_R | PTE_W);
}

uint64_t make_satp(pte_t *root)
{
    return SATP_SV39 | ((uint64_t)root >> 12);
}

void vm_switch(uint64_t satp)
{
    __asm__ volatile("sfence.vma zero, zero\n\tcsrw satp, %0\n\tsfence.vma zero, zero" : : "r"(satp) : "memory");
}
