//! The interrupt handlers of the example kernel, Rust variant: the same decisions
//! as handlers.c, over the `#[repr(C)]` frame struct isrgen generated (isr.rs,
//! whose `global_asm!` also holds the stubs and entries). kernel.yaml routes each
//! class to its handler; for exceptions the generated entry picks
//! `isr_kernel_fault` (ring 0 interrupted) or `isr_user_fault` (ring 3) from the
//! saved CS. Services (serial log, tasks, LAPIC, GS bookkeeping) are the
//! kernel's C functions.

use core::arch::asm;
use core::ffi::{c_char, c_int};

use crate::isr::{
    IsrFrame, VEC_BREAKPOINT, VEC_DEBUG, VEC_LAPIC_TIMER, VEC_NMI, VEC_OVERFLOW, VEC_PAGE_FAULT, VEC_SELF_IPI, VEC_SYSCALL,
};

// Mirrors abi.h.
const SYS_EXIT: u64 = 0;
const SYS_PROBE: u64 = 1;
const SYS_PROBE_RESULT: u64 = 42;
const EXIT_FAILURE_VALUE: u32 = 0x10;
const KILLED: u64 = 0xdead;
const RFLAGS_TF: u64 = 0x100;

/// The task's SIMD save area (`u8 simd[512]`, 16-byte aligned).
#[repr(C, align(16))]
pub struct SimdArea([u8; 512]);

/// `struct task` of kernel.h.
#[repr(C)]
pub struct Task {
    frame: IsrFrame,
    name: *const c_char,
    alive: c_int,
    exit_code: u64,
    ticks: u64,
    tick_slot: *mut u64,
    fault_vector: u64,
    fault_error: u64,
    fault_cr2: u64,
    simd: SimdArea,
}

unsafe extern "C" {
    fn kprintf(fmt: *const c_char, ...);
    fn qemu_exit(value: u32) -> !;
    fn task_current() -> *mut Task;
    fn task_exit(f: *mut IsrFrame, code: u64) -> *mut IsrFrame;
    fn task_tick(f: *mut IsrFrame) -> *mut IsrFrame;
    fn note_kernel_tick();
    fn spurious_seen();
    fn nmi_seen(f: *const IsrFrame);
    fn self_ipi_seen(before: c_int, after: c_int, eoi_before: u64, eoi_after: u64);
    fn handler_entered(f: *const IsrFrame, kernel_handler: c_int, syscall: c_int);
    fn smp_irq(f: *mut IsrFrame) -> c_int;
    fn lapic_eoi();
    fn lapic_eoi_count() -> u64;
    fn lapic_in_service(vector: u32) -> c_int;
    fn fault_record(f: *const IsrFrame, cr2: u64);
    fn core_dump(f: *const IsrFrame, cr2: u64);
    fn kernel_fault_recover(f: *mut IsrFrame) -> *mut IsrFrame;
    fn read_cr2() -> u64;
    static vector_mnemonic: [*const c_char; 32];
}

unsafe fn fault_cr2(f: *const IsrFrame) -> u64 {
    unsafe { if (*f).vector == VEC_PAGE_FAULT as u64 { read_cr2() } else { 0 } }
}

/// Ring 3 faulted: resume the task after a trap, kill it after a fault.
///
/// # Safety
/// Only the generated entry calls it, with a valid frame on an interrupt stack.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn isr_user_fault(f: *mut IsrFrame) -> *mut IsrFrame {
    unsafe {
        handler_entered(f, 0, 0);
        if (*f).vector == VEC_NMI as u64 {
            nmi_seen(f); // an NMI that hit ring 3: not a fault, the task continues
            return f;
        }
        let cr2 = fault_cr2(f);
        let v = (*f).vector;
        let name = vector_mnemonic[v as usize];
        let t = task_current();
        if !t.is_null() {
            (*t).fault_vector = v;
            (*t).fault_error = (*f).error_code;
            (*t).fault_cr2 = cr2;
        }
        if v == VEC_BREAKPOINT as u64 || v == VEC_OVERFLOW as u64 || v == VEC_DEBUG as u64 {
            // traps: rip already points after the instruction; stop single-stepping
            (*f).rflags &= !RFLAGS_TF;
            kprintf(
                c"user fault: %s vector=%lu error=0x%lx rip=0x%lx (ring 3) -> task resumed\n".as_ptr(),
                name,
                v,
                (*f).error_code,
                (*f).rip,
            );
            return f;
        }
        kprintf(
            c"user fault: %s vector=%lu error=0x%lx cr2=0x%lx rip=0x%lx (ring 3) -> task killed\n".as_ptr(),
            name,
            v,
            (*f).error_code,
            cr2,
            (*f).rip,
        );
        if t.is_null() {
            kprintf(c"PANIC: ring-3 fault with no task\n".as_ptr());
            qemu_exit(EXIT_FAILURE_VALUE);
        }
        task_exit(f, KILLED)
    }
}

/// Ring 0 faulted: the core-dump path, then back to the fault test that armed it.
///
/// # Safety
/// Only the generated entry calls it, with a valid frame on an interrupt stack.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn isr_kernel_fault(f: *mut IsrFrame) -> *mut IsrFrame {
    unsafe {
        handler_entered(f, 1, 0);
        if (*f).vector == VEC_NMI as u64 {
            nmi_seen(f); // not a fault: the interrupted code continues
            return f;
        }
        let cr2 = fault_cr2(f);
        fault_record(f, cr2);
        core_dump(f, cr2);
        kernel_fault_recover(f)
    }
}

/// System calls share one dispatcher; `int 0x80` and SYSCALL differ only in what
/// the kernel must clear itself.
unsafe fn system_call(f: *mut IsrFrame) -> *mut IsrFrame {
    unsafe {
        match (*f).rax {
            SYS_EXIT => task_exit(f, (*f).rdi),
            SYS_PROBE => {
                (*f).rax = SYS_PROBE_RESULT;
                f
            }
            _ => {
                (*f).rax = u64::MAX;
                f
            }
        }
    }
}

/// `int 0x80` (the only software vector that reaches a handler).
///
/// # Safety
/// Only the generated entry calls it, with a valid frame on an interrupt stack.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn isr_software(f: *mut IsrFrame) -> *mut IsrFrame {
    unsafe {
        handler_entered(f, 0, 0);
        if (*f).vector != VEC_SYSCALL as u64 {
            core_dump(f, 0);
            kprintf(c"PANIC: unexpected software interrupt\n".as_ptr());
            qemu_exit(EXIT_FAILURE_VALUE);
        }
        if (*f).rax == SYS_PROBE {
            // this kernel's int 0x80 ABI: rcx and r8-r11 come back cleared (iretq
            // restores every register from the frame, so the handler clears them)
            let fr = &mut *f;
            fr.rcx = 0;
            fr.r8 = 0;
            fr.r9 = 0;
            fr.r10 = 0;
            fr.r11 = 0;
        }
        system_call(f)
    }
}

/// SYSCALL: the generated entry built the frame (vector slot = the syscall marker).
/// The frame's scratch registers are deliberately left holding kernel values: the
/// generated sysret path must zero every register kernel.yaml does not restore.
///
/// # Safety
/// Only the generated syscall entry calls it, with a valid frame on the kernel stack.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn isr_syscall(f: *mut IsrFrame) -> *mut IsrFrame {
    unsafe {
        handler_entered(f, 0, 1);
        if (*f).rax == SYS_PROBE {
            let kernel_value = f as u64;
            let fr = &mut *f;
            fr.rsi = kernel_value;
            fr.rdi = kernel_value;
            fr.r8 = kernel_value;
            fr.r9 = kernel_value;
            fr.r10 = kernel_value;
            fr.rcx = kernel_value;
            fr.r11 = kernel_value;
        }
        system_call(f)
    }
}

unsafe fn self_ipi(f: *mut IsrFrame) -> *mut IsrFrame {
    unsafe {
        let before = lapic_in_service(VEC_SELF_IPI as u32);
        let eoi_before = lapic_eoi_count();
        asm!("int 0xff"); // the spurious vector's stub and handler
        let after = lapic_in_service(VEC_SELF_IPI as u32);
        self_ipi_seen(before, after, eoi_before, lapic_eoi_count());
        lapic_eoi();
        f
    }
}

/// Device interrupts: the LAPIC timer (task switch) and the self-IPI.
///
/// # Safety
/// Only the generated entry calls it, with a valid frame on an interrupt stack.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn isr_irq(f: *mut IsrFrame) -> *mut IsrFrame {
    unsafe {
        handler_entered(f, 0, 0);
        let v = (*f).vector;
        if v == VEC_LAPIC_TIMER as u64 {
            lapic_eoi();
            if (*f).cs & 3 == 0 {
                note_kernel_tick();
                return f;
            }
            return task_tick(f);
        }
        if v == VEC_SELF_IPI as u64 {
            return self_ipi(f);
        }
        if smp_irq(f) != 0 {
            // ping, reply, TLB shootdown, wake-up (smp.c)
            return f;
        }
        core_dump(f, 0);
        kprintf(c"PANIC: unexpected interrupt\n".as_ptr());
        qemu_exit(EXIT_FAILURE_VALUE)
    }
}

/// The LAPIC spurious vector: counted, never acknowledged (no EOI).
///
/// # Safety
/// Only the generated entry calls it, with a valid frame on an interrupt stack.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn isr_spurious(f: *mut IsrFrame) -> *mut IsrFrame {
    unsafe {
        handler_entered(f, 0, 0);
        spurious_seen();
        f
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    unsafe {
        kprintf(c"PANIC: Rust panic in a handler\n".as_ptr());
        qemu_exit(EXIT_FAILURE_VALUE)
    }
}
