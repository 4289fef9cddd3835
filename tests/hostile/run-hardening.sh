#!/usr/bin/env bash
# run-hardening.sh: a MISPORT_HARDEN build really is hardened: PIE, full RELRO (relro + BIND_NOW), stack
# protector and _FORTIFY_SOURCE checks linked in. Reads the build's CMakeCache.txt beside the binary; exit 77
# when the build is not hardened (Debug, sanitizer and fuzz builds). Args: <misport> <source dir> <shared dir>.
set -uo pipefail
misport=$1
cache=$(dirname "$misport")/CMakeCache.txt
if ! grep -q '^MISPORT_HARDEN:BOOL=ON' "$cache" 2>/dev/null; then
  echo "SKIP: not a MISPORT_HARDEN build ($cache)"
  exit 77
fi
if ! command -v readelf >/dev/null; then
  echo "SKIP: readelf (binutils) not installed"
  exit 77
fi
fail=0
check() { if "${@:2}"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }
hdr=$(readelf -h "$misport") prog=$(readelf -lW "$misport") dyn=$(readelf -dW "$misport") syms=$(readelf --dyn-syms -W "$misport")
check "position-independent executable (ELF type DYN)" grep -q 'Type:.*DYN' <<<"$hdr"
check "PIE flag in the dynamic section" grep -q 'FLAGS_1.*PIE' <<<"$dyn"
check "read-only relocations (GNU_RELRO segment)" grep -q GNU_RELRO <<<"$prog"
check "immediate binding (BIND_NOW)" grep -qE 'BIND_NOW|FLAGS_1.*NOW' <<<"$dyn"
check "non-executable stack (GNU_STACK RW)" grep -qE 'GNU_STACK.* RW ' <<<"$prog"
check "stack protector (__stack_chk_fail linked)" grep -q __stack_chk_fail <<<"$syms"
check "_FORTIFY_SOURCE (glibc *_chk functions linked)" grep -qE '__[a-z]+_chk' <<<"$syms"
# nDPI's memcmp calls bind to misport's own (src/dpi_memcmp.c): glibc's AVX-512 memcmp takes a microcode
# assist on every short compare that ends at the nDPI guard page.
check "misport exports memcmp" grep -qE ' memcmp$' <<<"$(readelf -W --dyn-syms "$misport" | awk '$7 != "UND"')"
bind=$(LD_DEBUG=bindings "$misport" --version 2>&1 | grep -E "libndpi[^ ]* .* to .*misport .*memcmp" | head -1)
check "libndpi's memcmp binds to misport's (${bind:-no binding line})" test -n "$bind"
# nDPI's snprintf calls (TLS fingerprints: about one per packet) bind to misport's __snprintf_chk
# (src/dpi_snprintf.c, fast path src/fmt.c).
check "misport exports __snprintf_chk" grep -qE ' __snprintf_chk$' <<<"$(readelf -W --dyn-syms "$misport" | awk '$7 != "UND"')"
bind=$(LD_DEBUG=bindings "$misport" --version 2>&1 | grep -E "libndpi[^ ]* .* to .*misport .*__snprintf_chk" | head -1)
check "libndpi's __snprintf_chk binds to misport's (${bind:-no binding line})" test -n "$bind"
# nDPI's bitmask test in its dissector loop binds to misport's branch-free one (src/dpi.c).
bind=$(LD_DEBUG=bindings "$misport" --version 2>&1 | grep -E "libndpi[^ ]* .* to .*misport .*NDPI_BITMASK_COMPARE" | head -1)
check "libndpi's NDPI_BITMASK_COMPARE binds to misport's (${bind:-no binding line})" test -n "$bind"
# nDPI's dissector dispatch binds to misport's (src/dpi_dispatch.c), which keeps nDPI's decisions without
# copying two 64-byte masks per dissector considered.
bind=$(LD_DEBUG=bindings "$misport" --version 2>&1 | grep -E "libndpi[^ ]* .* to .*misport .*ndpi_check_flow_func" | head -1)
check "libndpi's ndpi_check_flow_func binds to misport's (${bind:-no binding line})" test -n "$bind"
if command -v hardening-check >/dev/null; then
  # Debian's checker (devscripts); CFI is not reported on Debian 12 (its glibc start files carry no IBT note).
  out=$(hardening-check "$misport")
  echo "$out"
  for k in "Position Independent Executable: yes" "Stack protected: yes" "Fortify Source functions: yes" \
           "Read-only relocations: yes" "Immediate binding: yes"; do
    check "hardening-check: $k" grep -qF "$k" <<<"$out"
  done
fi
exit $fail
