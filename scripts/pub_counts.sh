#!/usr/bin/env bash
# Visibility counts in src/: lines declaring something `pub` (unrestricted) against lines
# declaring it `pub(crate)`, `pub(super)` or `pub(in ...)`. Usage: bash scripts/pub_counts.sh
cd "$(dirname "$0")/.."
pub=$(grep -rE '^\s*pub ' src --include='*.rs' | wc -l)
restricted=$(grep -rE '^\s*pub\((crate|super|self|in [^)]*)\) ' src --include='*.rs' | wc -l)
echo "pub: $pub  restricted: $restricted"
