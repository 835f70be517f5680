/* Linux-style C side of the glue: per-exception handlers named after the idtentry
 * convention (exc_*), the asm_exc_* entry points arch/x86/kernel/idt.c puts in the
 * IDT, and common_interrupt reading the vector from orig_ax. */
#include "linux_ptrace.h"

#define EXC(name)                                              \
	void asm_##name(void);                                 \
	void name(struct pt_regs *regs) { (void)regs->orig_ax; }

EXC(exc_divide_error) EXC(exc_debug) EXC(exc_nmi) EXC(exc_int3) EXC(exc_overflow)
EXC(exc_bounds) EXC(exc_invalid_op) EXC(exc_device_not_available) EXC(exc_double_fault)
EXC(exc_coproc_segment_overrun) EXC(exc_invalid_tss) EXC(exc_segment_not_present)
EXC(exc_stack_segment) EXC(exc_general_protection) EXC(exc_page_fault)
EXC(exc_coprocessor_error) EXC(exc_alignment_check) EXC(exc_machine_check)
EXC(exc_simd_coprocessor_error) EXC(exc_virtualization_exception)
EXC(exc_control_protection) EXC(exc_vmm_communication)

unsigned long last_irq;

void common_interrupt(struct pt_regs *regs)
{
	last_irq = regs->orig_ax;
}

void (*const idt_entries[])(void) = {
	asm_exc_divide_error, asm_exc_debug, asm_exc_nmi, asm_exc_int3, asm_exc_overflow,
	asm_exc_bounds, asm_exc_invalid_op, asm_exc_device_not_available,
	asm_exc_double_fault, asm_exc_coproc_segment_overrun, asm_exc_invalid_tss,
	asm_exc_segment_not_present, asm_exc_stack_segment, asm_exc_general_protection,
	asm_exc_page_fault, asm_exc_coprocessor_error, asm_exc_alignment_check,
	asm_exc_machine_check, asm_exc_simd_coprocessor_error,
	asm_exc_virtualization_exception, asm_exc_control_protection,
	asm_exc_vmm_communication,
};

void kernel_entry(void) {}
