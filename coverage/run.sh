#!/usr/bin/env bash
# Builds the coverage preset, runs every ctest, and writes an lcov/genhtml
# report of sim/ and fakes/ with branch coverage to build/coverage/html.
# Fails when line coverage falls under coverage/threshold (percent).
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/coverage
cmake --preset coverage >/dev/null
cmake --build --preset coverage 2>&1 | grep -E "warning|error" || true
lcov --quiet --zerocounters --directory "$out"
ctest --preset coverage --output-junit ctest-junit.xml
lcov --quiet --rc lcov_branch_coverage=1 --capture --directory "$out" \
     --output-file "$out/all.info" 2>/dev/null
lcov --quiet --rc lcov_branch_coverage=1 --extract "$out/all.info" \
     "$PWD/sim/*" "$PWD/fakes/*" --output-file "$out/sim.info"
lcov --quiet --rc lcov_branch_coverage=1 --remove "$out/sim.info" \
     "$PWD/sim/cli/*" "$PWD/sim/kernel/backend_uv.c" --output-file "$out/sim.info"
genhtml --quiet --rc genhtml_branch_coverage=1 --output-directory "$out/html" \
        --title "rddsim: sim/ and fakes/" "$out/sim.info"
summary=$(lcov --rc lcov_branch_coverage=1 --summary "$out/sim.info" 2>&1)
echo "$summary" | grep -E "lines|functions|branches"
line=$(echo "$summary" | sed -n 's/.*lines\.*: \([0-9.]*\)%.*/\1/p')
want=$(tr -d ' \n' < coverage/threshold)
echo "coverage report: $PWD/$out/html/index.html"
if awk -v l="$line" -v w="$want" 'BEGIN { exit !(l + 0 < w + 0) }'; then
  echo "coverage: line coverage $line% is under the threshold $want% (coverage/threshold)"
  exit 1
fi
echo "coverage: line coverage $line% >= threshold $want%"
