#!/bin/sh
# Runs the ThreadSanitizer harness. TSan needs the address space layout it was built for:
# kernels with more mmap randomisation than it expects make it fail at start-up
# ("unexpected memory mapping"), so it runs with ASLR off (setarch -R) when that works.
# Any TSan report fails the run (halt_on_error, exit code 66).
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/bin/tsan/test_threads_tsan}
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
if setarch "$(uname -m)" -R true 2>/dev/null; then
  exec setarch "$(uname -m)" -R "$bin"
fi
exec "$bin"
