#ifndef KENNING_CPUID_H
#define KENNING_CPUID_H
#include <stdint.h>

/// CPUID leaf/subleaf into regs[0..3] = eax, ebx, ecx, edx; returns 0 when the leaf is above the CPU's maximum
/// (or the machine is not x86).
int kenning_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);

/// XCR0 (the register states the operating system saves): 0 when XGETBV is unavailable.
uint64_t kenning_xcr0(void);

#endif
