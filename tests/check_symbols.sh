#!/usr/bin/env bash
# check_symbols.sh LIB ABI_MAJOR: the library's dynamic symbols are only the
# C API (fpm_*) and the public C++ API (fpm::, without fpm::detail), and its
# SONAME is libfpmatch.so.ABI_MAJOR.
set -euo pipefail
lib=$1 abi=$2
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = "libfpmatch.so.$abi" ] || { echo "FAIL: SONAME is '$soname'"; exit 1; }
syms=$(nm -DC --defined-only "$lib" | cut -d' ' -f3- | sed 's/@@*FPMATCH_0$//')
bad=$(printf '%s\n' "$syms" | grep -v -E '^(fpm_[a-z_0-9]+|fpm::.*|typeinfo (name )?for fpm::.*|vtable for fpm::.*|FPMATCH_0)$' || true)
detail=$(printf '%s\n' "$syms" | grep -E 'fpm::detail|fpm::mcc|fpm::cpu|fpm::kernels' || true)
if [ -n "$bad$detail" ]; then
  echo "FAIL: undocumented exported symbols:"
  printf '%s\n' "$bad" "$detail" | grep -v '^$' | head -40
  exit 1
fi
for f in fpm_version fpm_engine_search fpm_template_decode fpm_gallery_load; do
  printf '%s\n' "$syms" | grep -qx "$f" || { echo "FAIL: $f is not exported"; exit 1; }
done
echo "PASS: $(printf '%s\n' "$syms" | grep -c '^fpm_') C functions and $(printf '%s\n' "$syms" | grep -c '^fpm::') C++ symbols exported; SONAME $soname"
