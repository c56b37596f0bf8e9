/*
 * Opt-in (docs/PERFORMANCE.md, "GEMM on AMD CPUs"): preloaded with LD_PRELOAD, this definition takes the
 * place of the oneMKL service function of the same name that libtorch_cpu.so (bundled by DJL) exports and
 * calls through its PLT. oneMKL asks it whether the CPU is an Intel one and, when told no, runs its
 * generic kernels; told yes, it picks kernels by the CPU's instruction-set flags (AVX2, AVX-512), which
 * on the reference AMD EPYC (Zen 5, AVX-512) made fp32 GEMM 1.9x faster. Nothing else changes.
 * The regionvlp launcher builds it when REGIONVLP_MKL_INTEL_PATH=1.
 */
int mkl_serv_intel_cpu_true(void) { return 1; }
