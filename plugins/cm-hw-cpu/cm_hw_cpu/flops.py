"""Estimated peak arithmetic throughput of a CPU.

The estimate is ``physical cores x clock (GHz, the highest we can read) x operations per
cycle per core``, where operations per cycle come from the widest vector unit the ISA flags
show, assuming two fused-multiply-add pipes per core (true for recent Intel and AMD server
and desktop cores; one FMA counts as two FLOPs):

========================  ===============  ======================================
ISA                       FP32 FLOP/cycle  why
========================  ===============  ======================================
AVX-512F (Intel, Zen 5)   64               2 pipes x 16 lanes x 2
AVX-512F (AMD Zen 4)      32               512-bit ops run on 256-bit pipes
AVX2 + FMA                32               2 pipes x 8 lanes x 2
AVX (no FMA)              16               one 8-lane add + one 8-lane multiply
SSE                       8                one 4-lane add + one 4-lane multiply
Arm SVE / NEON (asimd)    16               2 pipes x 4 lanes x 2 (128-bit vectors)
unknown                   2                one scalar FMA
========================  ===============  ======================================

INT8 throughput is 4x the FP32 rate with a dot-product instruction (VNNI, Arm ``asimddp``
or ``i8mm``), else 2x. AMX (Sapphire Rapids and later) adds a separate tile unit: 1024
BF16 FLOP/cycle and 2048 INT8 op/cycle per core. These are upper bounds for comparing
machines, not predictions: turbo clocks drop under wide vector load, and memory bandwidth
usually limits real inference first. Under a hypervisor the reported clock can be the
nominal one while the host runs faster: on one 2-vCPU AMD EPYC VM a large FP32 GEMM ran at
1.2x this estimate (benchmarks/MLPERF.md), so a measured GEMM rate is the better reference there.
"""

from __future__ import annotations

from typing import Any


def fp32_flops_per_cycle(flags: list[str] | set[str], vendor: str = "", family: int | None = None) -> int:
    """FP32 FLOPs per cycle per core, by ISA (see the module table)."""
    f = set(flags)
    if "avx512f" in f:
        # AMD family 25 (Zen 4) executes 512-bit vectors in two 256-bit halves
        return 32 if vendor == "AuthenticAMD" and family == 25 else 64
    if "avx2" in f and "fma" in f:
        return 32
    if "avx" in f:
        return 16
    if "sse4_2" in f:
        return 8
    if "asimd" in f or "sve" in f:
        return 16
    return 2


def estimate(cores: int, ghz: float | None, flags: list[str] | set[str], vendor: str = "",
             family: int | None = None) -> dict[str, Any]:
    """Peak FP32 FLOP/s, INT8 op/s and (with AMX) BF16 FLOP/s; None where the clock is unknown."""
    per_cycle = fp32_flops_per_cycle(flags, vendor, family)
    f = set(flags)
    int8_factor = 4 if f & {"avx512_vnni", "avx_vnni", "asimddp", "i8mm"} else 2
    out: dict[str, Any] = {
        "fp32_flops_per_cycle_per_core": per_cycle,
        "peak_fp32_flops": None,
        "peak_int8_ops": None,
        "flops_method": ("cores x GHz x FLOPs/cycle by ISA (2 FMA pipes assumed), at the highest clock the OS "
                         "reports (a VM may report a nominal clock below the one it runs at)"),
    }
    if ghz and cores:
        hz = cores * ghz * 1e9
        out["peak_fp32_flops"] = hz * per_cycle
        out["peak_int8_ops"] = hz * per_cycle * int8_factor
        if "amx_bf16" in f:
            out["peak_bf16_amx_flops"] = hz * 1024
        if "amx_int8" in f:
            out["peak_int8_amx_ops"] = hz * 2048
    return out
