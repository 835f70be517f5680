/* Ring-3 code of the example kernel. It lives in .user_text (user, executable,
 * read-only pages); the kernel enters it through the generated exit routine
 * with a fabricated frame (cs = 0x23, ss = 0x1b). System calls: int 0x80 with
 * rax = number (0 exit(rdi), 1 probe: returns 42 and clears rcx, r8-r11). */
#include "abi.h"
    .intel_syntax noprefix

    .macro exit_with code
    mov edi, \code
    mov eax, SYS_EXIT
    int 0x80
    .endm

    .pushsection .user_text, "ax", @progbits
    .globl u_int3, u_int4, u_div0, u_ud, u_gp, u_pf, u_ac, u_syscall, u_regcheck

u_int3:                         /* #BP through a DPL-3 gate, then resumed */
    int3
    exit_with 0x33
u_int4:                         /* #OF (vector 4) through a DPL-3 gate, then resumed */
    int 4
    exit_with 0x44
u_div0:                         /* #DE in ring 3: the task is killed */
    xor ecx, ecx
    xor edx, edx
    mov eax, 1
    div ecx
    exit_with 0xee
u_ud:
    ud2
    exit_with 0xee
u_gp:                           /* vector 0x30 has DPL 0: #GP, error = 0x30 * 8 + 2 (IDT) */
    int 0x30
    exit_with 0xee
u_pf:                           /* read a supervisor page: #PF, error = present | user */
    mov rax, [rdi]
    exit_with 0xee
u_ac:                           /* EFLAGS.AC + CR0.AM + CPL 3: a misaligned load raises #AC */
    pushfq
    or dword ptr [rsp], 0x40000
    popfq
    mov eax, [rsp - 7]
    exit_with 0xee

    /* Load known values, make the probe system call, then check every register:
     * rax = 42, rcx and r8-r11 cleared, all others unchanged. Exit code 0, or
     * the number (1-15) of the first register that is wrong. */
    .macro SAME reg, slot, code
    cmp \reg, [rip + sys_pattern + \slot * 8]
    jne .Lsys_bad_\code
    .endm
    .macro ZERO reg, code
    test \reg, \reg
    jnz .Lsys_bad_\code
    .endm
u_syscall:
    mov rbx, [rip + sys_pattern + 1 * 8]
    mov rcx, [rip + sys_pattern + 2 * 8]
    mov rdx, [rip + sys_pattern + 3 * 8]
    mov rsi, [rip + sys_pattern + 4 * 8]
    mov rdi, [rip + sys_pattern + 5 * 8]
    mov rbp, [rip + sys_pattern + 6 * 8]
    mov r8, [rip + sys_pattern + 7 * 8]
    mov r9, [rip + sys_pattern + 8 * 8]
    mov r10, [rip + sys_pattern + 9 * 8]
    mov r11, [rip + sys_pattern + 10 * 8]
    mov r12, [rip + sys_pattern + 11 * 8]
    mov r13, [rip + sys_pattern + 12 * 8]
    mov r14, [rip + sys_pattern + 13 * 8]
    mov r15, [rip + sys_pattern + 14 * 8]
    mov eax, SYS_PROBE
    int 0x80
    cmp rax, SYS_PROBE_RESULT
    jne .Lsys_bad_15
    SAME rbx, 1, 1
    ZERO rcx, 2
    SAME rdx, 3, 3
    SAME rsi, 4, 4
    SAME rdi, 5, 5
    SAME rbp, 6, 6
    ZERO r8, 7
    ZERO r9, 8
    ZERO r10, 9
    ZERO r11, 10
    SAME r12, 11, 11
    SAME r13, 12, 12
    SAME r14, 13, 13
    SAME r15, 14, 14
    exit_with 0
    .irp n, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
.Lsys_bad_\n: exit_with \n
    .endr

    /* The timer test: rsp points at a block the kernel prepared:
     * [rsp + 8 * i] for i = 0..14: the value of rax, rbx, rcx, rdx, rsi, rdi,
     * rbp, r8..r15; [rsp + 120] = the expected rsp; [rsp + 128] = how many
     * timer ticks hit this task so far (written by the kernel). The loop checks
     * every register on each pass and never changes one; it exits 0 after
     * REGCHECK_TICKS ticks, or with the register's number (1-16) as soon as one
     * differs. */
    .macro KEEP reg, slot
    cmp \reg, [rsp + \slot * 8]
    jne .Lreg_bad_\slot
    .endm
u_regcheck:
    mov rax, [rsp + 0]
    mov rbx, [rsp + 8]
    mov rcx, [rsp + 16]
    mov rdx, [rsp + 24]
    mov rsi, [rsp + 32]
    mov rdi, [rsp + 40]
    mov rbp, [rsp + 48]
    mov r8, [rsp + 56]
    mov r9, [rsp + 64]
    mov r10, [rsp + 72]
    mov r11, [rsp + 80]
    mov r12, [rsp + 88]
    mov r13, [rsp + 96]
    mov r14, [rsp + 104]
    mov r15, [rsp + 112]
1:  KEEP rax, 0
    KEEP rbx, 1
    KEEP rcx, 2
    KEEP rdx, 3
    KEEP rsi, 4
    KEEP rdi, 5
    KEEP rbp, 6
    KEEP r8, 7
    KEEP r9, 8
    KEEP r10, 9
    KEEP r11, 10
    KEEP r12, 11
    KEEP r13, 12
    KEEP r14, 13
    KEEP r15, 14
    KEEP rsp, 15
    cmp qword ptr [rsp + 128], REGCHECK_TICKS
    jb 1b
    exit_with 0
    .irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
.Lreg_bad_\n: exit_with \n + 1
    .endr
    .popsection

    .pushsection .user_data, "aw", @progbits
    .balign 8
sys_pattern:
    .quad 0
    .quad 0x1111111111111111, 0x2222222222222222, 0x3333333333333333, 0x4444444444444444
    .quad 0x5555555555555555, 0x6666666666666666, 0x7777777777777777, 0x8888888888888888
    .quad 0x9999999999999999, 0xaaaaaaaaaaaaaaaa, 0xbbbbbbbbbbbbbbbb, 0xcccccccccccccccc
    .quad 0xdddddddddddddddd, 0xeeeeeeeeeeeeeeee
    .popsection

    .pushsection .note.GNU-stack, "", @progbits
    .popsection
