#include <pthreadpool.h>
#include <xnnpack.h>
#include <cpuinfo.h>
#include <stdbool.h>

/* XNNPACK picks its kernels from cpuinfo's feature flags when xnn_initialize first runs. Clearing flags before that
   makes it use the kernels of a smaller ISA (the CPU ISA cap, KENNING_MAX_CPU_ISA). Returns false when cpuinfo
   cannot initialize. */
static inline bool kenning_xnnpack_limit_isa(bool avx, bool fma, bool avx2, bool avx512, bool vnni) {
    if (!cpuinfo_initialize()) return false;
#if CPUINFO_ARCH_X86 || CPUINFO_ARCH_X86_64
    if (!avx) { cpuinfo_isa.avx = false; cpuinfo_isa.f16c = false; cpuinfo_isa.xop = false; cpuinfo_isa.fma4 = false; }
    if (!fma) { cpuinfo_isa.fma3 = false; }
    if (!avx2) { cpuinfo_isa.avx2 = false; }
    if (!avx512) {
        cpuinfo_isa.avx512f = false; cpuinfo_isa.avx512cd = false; cpuinfo_isa.avx512dq = false; cpuinfo_isa.avx512bw = false;
        cpuinfo_isa.avx512vl = false; cpuinfo_isa.avx512ifma = false; cpuinfo_isa.avx512vbmi = false; cpuinfo_isa.avx512vbmi2 = false;
        cpuinfo_isa.avx512bitalg = false; cpuinfo_isa.avx512vpopcntdq = false; cpuinfo_isa.avx512bf16 = false;
        cpuinfo_isa.avx512vp2intersect = false; cpuinfo_isa.avx512pf = false; cpuinfo_isa.avx512er = false;
        cpuinfo_isa.avx512_4vnniw = false; cpuinfo_isa.avx512_4fmaps = false;
    }
    if (!vnni) { cpuinfo_isa.avx512vnni = false; }
#endif
    return true;
}

/* Whether XNNPACK sees AVX-512 (its avx512skx kernels) after the cap. */
static inline bool kenning_xnnpack_sees_avx512(void) {
#if CPUINFO_ARCH_X86 || CPUINFO_ARCH_X86_64
    return cpuinfo_initialize() && cpuinfo_has_x86_avx512f() && cpuinfo_has_x86_avx512bw() && cpuinfo_has_x86_avx512dq()
        && cpuinfo_has_x86_avx512vl();
#else
    return false;
#endif
}
