//! The interrupt handler of the example kernel, Rust variant: the same decisions
//! as handlers.c, over the `#[repr(C)]` frame struct isrgen generated (isr.rs,
//! whose `global_asm!` also holds the stubs). Services (serial log, tasks, LAPIC)
//! are the kernel's C functions.

use core::arch::asm;
use core::ffi::{c_char, c_int};

use crate::isr::{
    IsrFrame, VEC_BREAKPOINT, VEC_LAPIC_TIMER, VEC_OVERFLOW, VEC_PAGE_FAULT, VEC_SELF_IPI, VEC_SPURIOUS, VEC_SYSCALL,
};

// Mirrors abi.h.
const SYS_EXIT: u64 = 0;
const SYS_PROBE: u64 = 1;
const SYS_PROBE_RESULT: u64 = 42;
const EXIT_FAILURE_VALUE: u32 = 0x10;
const KILLED: u64 = 0xdead;

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
}

unsafe extern "C" {
    fn kprintf(fmt: *const c_char, ...);
    fn qemu_exit(value: u32) -> !;
    fn task_current() -> *mut Task;
    fn task_exit(f: *mut IsrFrame, code: u64) -> *mut IsrFrame;
    fn task_tick(f: *mut IsrFrame) -> *mut IsrFrame;
    fn note_kernel_tick();
    fn spurious_seen();
    fn self_ipi_seen(before: c_int, after: c_int, eoi_before: u64, eoi_after: u64);
    fn lapic_eoi();
    fn lapic_eoi_count() -> u64;
    fn lapic_in_service(vector: u32) -> c_int;
    fn fault_record(f: *const IsrFrame, cr2: u64);
    fn core_dump(f: *const IsrFrame, cr2: u64);
    fn kernel_fault_recover(f: *mut IsrFrame) -> *mut IsrFrame;
    fn read_cr2() -> u64;
    static vector_mnemonic: [*const c_char; 32];
}

unsafe fn user_fault(f: *mut IsrFrame, cr2: u64) -> *mut IsrFrame {
    unsafe {
        let v = (*f).vector;
        let name = vector_mnemonic[v as usize];
        let t = task_current();
        if !t.is_null() {
            (*t).fault_vector = v;
            (*t).fault_error = (*f).error_code;
            (*t).fault_cr2 = cr2;
        }
        if v == VEC_BREAKPOINT as u64 || v == VEC_OVERFLOW as u64 {
            // traps: rip already points after the instruction
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

unsafe fn syscall_int80(f: *mut IsrFrame) -> *mut IsrFrame {
    unsafe {
        match (*f).rax {
            SYS_EXIT => task_exit(f, (*f).rdi),
            SYS_PROBE => {
                // this kernel's int 0x80 ABI: result in rax, rcx and r8-r11 cleared
                let fr = &mut *f;
                fr.rax = SYS_PROBE_RESULT;
                fr.rcx = 0;
                fr.r8 = 0;
                fr.r9 = 0;
                fr.r10 = 0;
                fr.r11 = 0;
                f
            }
            _ => {
                (*f).rax = u64::MAX;
                f
            }
        }
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

/// Called by the generated common entry with the saved frame; returns the frame to resume.
///
/// # Safety
/// Only the generated entry calls it, with a valid frame on an interrupt stack.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn isr_dispatch(f: *mut IsrFrame) -> *mut IsrFrame {
    unsafe {
        let v = (*f).vector;
        let ring = (*f).cs & 3;
        match v {
            v if v == VEC_LAPIC_TIMER as u64 => {
                lapic_eoi();
                if ring == 0 {
                    note_kernel_tick();
                    return f;
                }
                return task_tick(f);
            }
            v if v == VEC_SELF_IPI as u64 => return self_ipi(f),
            v if v == VEC_SPURIOUS as u64 => {
                spurious_seen(); // a spurious interrupt is never acknowledged: no EOI
                return f;
            }
            v if v == VEC_SYSCALL as u64 => return syscall_int80(f),
            _ => {}
        }
        let cr2 = if v == VEC_PAGE_FAULT as u64 { read_cr2() } else { 0 };
        if v < 32 && ring == 3 {
            return user_fault(f, cr2);
        }
        // ring 0 (privilege split on the saved CS): the kernel-fault path
        fault_record(f, cr2);
        core_dump(f, cr2);
        kernel_fault_recover(f)
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    unsafe {
        kprintf(c"PANIC: Rust panic in a handler\n".as_ptr());
        qemu_exit(EXIT_FAILURE_VALUE)
    }
}
