/* mittos64's frame struct as its own header declares it (github.com/thomasloven/mittos64,
 * src/kernel/include/cpu.h): the registers isr_common pushes, int_no and err_code from the stub,
 * then what the CPU pushed.  Kept here unchanged to prove isrgen's frame matches. */
#pragma once
#include <stdint.h>

typedef struct
{
  uint64_t rax;
  uint64_t rbx;
  uint64_t rcx;
  uint64_t rdx;
  uint64_t rsi;
  uint64_t rdi;
  uint64_t rbp;
  uint64_t r8;
  uint64_t r9;
  uint64_t r10;
  uint64_t r11;
  uint64_t r12;
  uint64_t r13;
  uint64_t r14;
  uint64_t r15;
  uint64_t int_no, err_code;
  uint64_t rip;
  uint64_t cs;
  uint64_t rflags;
  uint64_t rsp;
  uint64_t ss;
} registers;
