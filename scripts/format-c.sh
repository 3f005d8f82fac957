#!/usr/bin/env bash
# Formats the C and C++ sources in place with the project's .clang-format.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo_root"
git ls-files -co --exclude-standard -- '*.c' '*.h' '*.cc' | grep -v node_modules | xargs "$VENV/bin/clang-format" -i
