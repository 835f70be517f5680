/* Ring-3 code of the example kernel. It lives in .user_text (user, executable,
 * read-only pages); the kernel enters it through the generated exit routine
 * with a fabricated frame (cs = 0x23, ss = 0x1b). System calls: int 0x80 or
 * SYSCALL with rax = number (0 exit(rdi), 1 probe: returns 42). After int 0x80
 * rcx and r8-r11 are cleared; after SYSCALL every register kernel.yaml's
 * syscall.restored does not list is zero, rcx = the return RIP, r11 = RFLAGS.
 * gs:[0] is USER_GS_MAGIC in ring 3 (the kernel's GS base is another one). */
#include "abi.h"
    .intel_syntax noprefix

    .macro exit_with code
    mov edi, \code
    mov eax, SYS_EXIT
    int 0x80
    .endm

    .pushsection .user_text, "ax", @progbits
    .globl u_int3, u_int4, u_div0, u_ud, u_gp, u_pf, u_ac, u_syscall, u_regcheck
    .globl u_db, u_sysret, u_gs, u_neg_gs

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
u_db:                           /* single step in ring 3: #DB (a trap, paranoid entry), resumed */
    pushfq
    or qword ptr [rsp], 0x100
    popfq
    nop
    exit_with 0x11
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

    /* The same through SYSCALL: rax = 42; rbx, rdx, rbp, r12-r15 kept (syscall.restored);
     * rsi, rdi, r8-r10 zero although the handler left kernel values in their frame
     * slots; rcx = the return address, r11 = RFLAGS (IF set). Exit code 0, or the
     * number of the first wrong register (1-15; 16: GS base). Exits through SYSCALL. */
u_sysret:
    mov rbx, [rip + sys_pattern + 1 * 8]
    mov rdx, [rip + sys_pattern + 3 * 8]
    mov rsi, [rip + sys_pattern + 4 * 8]
    mov rdi, [rip + sys_pattern + 5 * 8]
    mov rbp, [rip + sys_pattern + 6 * 8]
    mov r8, [rip + sys_pattern + 7 * 8]
    mov r9, [rip + sys_pattern + 8 * 8]
    mov r10, [rip + sys_pattern + 9 * 8]
    mov r12, [rip + sys_pattern + 11 * 8]
    mov r13, [rip + sys_pattern + 12 * 8]
    mov r14, [rip + sys_pattern + 13 * 8]
    mov r15, [rip + sys_pattern + 14 * 8]
    mov eax, SYS_PROBE
    syscall
.Lsysret_to:
    cmp rax, SYS_PROBE_RESULT
    jne .Lsysret_bad_15
    SAME rbx, 1, 1
    SAME rdx, 3, 3
    SAME rbp, 6, 6
    SAME r12, 11, 11
    SAME r13, 12, 12
    SAME r14, 13, 13
    SAME r15, 14, 14
    ZERO rsi, 4
    ZERO rdi, 5
    ZERO r8, 7
    ZERO r9, 8
    ZERO r10, 9
    lea rax, [rip + .Lsysret_to]
    cmp rcx, rax
    jne .Lsysret_bad_2
    test r11, 0x200
    jz .Lsysret_bad_10
    mov rax, gs:[0]
    cmp rax, [rip + user_gs_expected]
    jne .Lsysret_bad_16
    xor edi, edi
    mov eax, SYS_EXIT
    syscall
    ud2
    .irp n, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16
.Lsysret_bad_\n: exit_with \n
    .endr

    /* GS in ring 3: gs:[0] is USER_GS_MAGIC before and after each way into the
     * kernel. Exit code 0, or the step after which it was wrong (1-5). */
    .macro USER_GS step
    mov rax, gs:[0]
    cmp rax, [rip + user_gs_expected]
    jne .Lgs_bad_\step
    .endm
u_gs:
    USER_GS 1
    int3                        /* #BP: CS-based swapgs */
    USER_GS 2
    pushfq                      /* #DB single step: paranoid entry, swapgs from MSR_GS_BASE */
    or qword ptr [rsp], 0x100
    popfq
    nop
    USER_GS 3
    mov eax, SYS_PROBE
    int 0x80
    USER_GS 4
    mov eax, SYS_PROBE
    syscall
    USER_GS 5
    exit_with 0
    .irp n, 1, 2, 3, 4, 5
.Lgs_bad_\n: exit_with \n
    .endr

    /* A negative GS base in ring 3 (CR4.FSGSBASE): wrgsbase a kernel-half address and
     * spin while NMIs hit, until the kernel's NMI handler has counted USER_NMI_TARGET of
     * them in the word at rsp; rdgsbase must give the same base on every pass (the
     * paranoid entry restores it). The task's own base is put back before it exits.
     * Exit 0, 1 = the base changed, 2 = too few NMIs in time. */
u_neg_gs:
    rdgsbase r12
    movabs rax, USER_NEGATIVE_GS
    wrgsbase rax
    mov rdx, 0x10000000
.Lneg_gs_loop:
    rdgsbase rbx
    cmp rbx, rax
    jne .Lneg_gs_bad
    cmp qword ptr [rsp], USER_NMI_TARGET
    jae .Lneg_gs_done
    dec rdx
    jnz .Lneg_gs_loop
    wrgsbase r12
    exit_with 2
.Lneg_gs_bad:
    wrgsbase r12
    exit_with 1
.Lneg_gs_done:
    wrgsbase r12
    exit_with 0

    /* The timer test: rsp points at a block the kernel prepared (REGCHECK_* in abi.h):
     * [rsp + 8 * i] for i = 0..14: the value of rax, rbx, rcx, rdx, rsi, rdi,
     * rbp, r8..r15; [rsp + 120] = the expected rsp; [rsp + 128] = how many
     * timer ticks hit this task so far (written by the kernel); [rsp + 136] a
     * scratch slot; [rsp + 144] = the expected gs:[0]; from [rsp + 160] the
     * values of xmm0..xmm15 (16 bytes each); from [rsp + 416] room to store them.
     * The loop checks every register on each pass and never changes one (rax
     * only between its spill and reload, to compare memory); it exits 0 after
     * REGCHECK_TICKS ticks, or as soon as one differs with the register's number:
     * 1-16 the GPRs and rsp, 17 the GS base, 18-33 xmm0-xmm15. */
    .macro KEEP reg, slot
    cmp \reg, [rsp + \slot * 8]
    jne .Lreg_bad_\slot
    .endm
u_regcheck:
    .irp x, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    movdqu xmm\x, [rsp + REGCHECK_XMM + \x * 16]
    .endr
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
    mov [rsp + 136], rax
    .irp x, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    movdqu [rsp + REGCHECK_XMM_SEEN + \x * 16], xmm\x
    .endr
    mov rax, gs:[0]
    cmp rax, [rsp + 144]
    jne .Lreg_bad_16
    .irp q, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
    mov rax, [rsp + REGCHECK_XMM_SEEN + \q * 8]
    cmp rax, [rsp + REGCHECK_XMM + \q * 8]
    jne .Lxmm_bad_\q
    .endr
    mov rax, [rsp + 136]
    cmp qword ptr [rsp + 128], REGCHECK_TICKS
    jb 1b
    exit_with 0
    .irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16
.Lreg_bad_\n: exit_with \n + 1
    .endr
    .irp q, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
.Lxmm_bad_\q: exit_with 18+\q/2
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
user_gs_expected:
    .quad USER_GS_MAGIC
    /* The user GS base points here (main.c): gs:[0] in ring 3. */
    .globl user_gs_area
    .balign 16
user_gs_area:
    .quad USER_GS_MAGIC
    .quad 0
    .popsection

    .pushsection .note.GNU-stack, "", @progbits
    .popsection
