#!/usr/bin/env bash
# Builds libfedpipe_mklshim.so into $1 (default: target/native).
#
# Why: DJL's libtorch links Intel oneMKL, which takes a generic slow path on AMD
# processors because it asks mkl_serv_intel_cpu_true() whether it runs on Intel.
# Preloading a library whose answer is "yes" lets MKL pick its AVX2/AVX-512 kernels,
# which AMD Zen CPUs run correctly (parity test: MklShimParityTest).
# See docs/decisions/0003-mkl-vendor-shim.md.
#
# The real shim is compiled only where it is safe: an AMD CPU with AVX2 and FMA, and
# FEDPIPE_MKL_SHIM not set to "off". Everywhere else an empty library is built, so
# LD_PRELOAD can always name the same file and changes nothing.
# Never commit the binary: it is built from this source by Maven and by ./fedpipe.
set -euo pipefail
out_dir="${1:-target/native}"
mkdir -p "$out_dir"
out="$out_dir/libfedpipe_mklshim.so"
src="$out_dir/mklshim.c"
mode_file="$out_dir/mklshim.mode"

cpu_vendor=$(grep -m1 '^vendor_id' /proc/cpuinfo 2>/dev/null | awk '{print $3}' || true)
cpu_flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
mode=empty
reason="not an AMD CPU (vendor ${cpu_vendor:-unknown})"
if [[ "${FEDPIPE_MKL_SHIM:-auto}" == "off" ]]; then
  reason="switched off by FEDPIPE_MKL_SHIM=off"
elif [[ "$cpu_vendor" == "AuthenticAMD" ]]; then
  if [[ " $cpu_flags " == *" avx2 "* && " $cpu_flags " == *" fma "* ]]; then
    mode=active
    reason="AMD CPU with AVX2+FMA"
  else
    reason="AMD CPU without AVX2/FMA: MKL's fast kernels would not be safe"
  fi
fi

if [[ -f "$out" && -f "$mode_file" && "$(cat "$mode_file")" == "$mode" ]]; then
  exit 0
fi

if [[ "$mode" == active ]]; then
  cat > "$src" <<'C'
/* Answers oneMKL's CPU-vendor check as Intel; see native/build-mkl-shim.sh. */
int mkl_serv_intel_cpu_true(void) { return 1; }
int mkl_serv_intel_cpu(void) { return 1; }
C
else
  cat > "$src" <<'C'
/* Empty on purpose: this machine does not get the MKL vendor shim. */
int fedpipe_mklshim_inactive(void) { return 0; }
C
fi
if ! command -v gcc >/dev/null 2>&1; then
  echo "build-mkl-shim: gcc not found; MKL runs with its default CPU dispatch" >&2
  exit 0
fi
gcc -O2 -shared -fPIC -o "$out.tmp" "$src"
mv "$out.tmp" "$out"
echo "$mode" > "$mode_file"
echo "build-mkl-shim: $mode ($reason) -> $out"
