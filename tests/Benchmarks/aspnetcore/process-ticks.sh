# Sourced by load-check.sh, compare-check.sh and allocation-check.sh: CPU clock ticks (10 ms, utime+stime) used so far
#   cpu_ticks PID   by the whole process
#   jit_ticks PID   by its tiered-compilation thread (idle once the JIT is done warming up)
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12+$13}'; }
jit_ticks() {
  local t total=0
  for t in /proc/"$1"/task/*; do
    if grep -q "Tiered" "$t/comm" 2>/dev/null; then total=$((total + $(sed 's/.*) //' "$t/stat" | awk '{print $12+$13}'))); fi
  done
  echo "$total"
}
