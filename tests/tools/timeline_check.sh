#!/bin/sh
# timeline_check.sh TIMELINE_PY TRACE.jsonl OUT.png (tests/pictures.cmake):
# draws TRACE with the first interpreter that imports matplotlib and checks
# OUT starts with the PNG signature.  Exit 77 (ctest: skipped) when no
# interpreter has matplotlib.
set -eu
script=$1 trace=$2 out=$3
py=
for cand in /usr/bin/python3 python3; do
  if "$cand" -c 'import matplotlib' 2>/dev/null; then py=$cand; break; fi
done
if [ -z "$py" ]; then
  echo "timeline_check: no python3 with matplotlib: skipped"
  exit 77
fi
rm -f "$out"
"$py" "$script" "$trace" -o "$out"
sig=$(od -An -tx1 -N8 "$out" | tr -d ' \n')
if [ "$sig" != "89504e470d0a1a0a" ]; then
  echo "timeline_check: $out does not start with the PNG signature ($sig)"
  exit 1
fi
echo "timeline_check: $out: PNG, $(wc -c < "$out") bytes ($py)"
