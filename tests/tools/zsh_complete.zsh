# zsh_complete.zsh: what zsh's completion offers for a command line, one
# candidate a line (tests/tools/cli_cases.py, the complete-zsh-* cases).
# Usage: zsh -f zsh_complete.zsh FPATH_DIR SCRATCH_FILE 'COMMAND LINE'
# An interactive zsh in a pseudo-terminal (zsh/zpty) loads the completion
# functions from FPATH_DIR, gets the line and a TAB, records every
# candidate compadd is given into SCRATCH_FILE, then the line is killed and
# `print DONE` marks the end: no timing is involved.
zmodload zsh/zpty || exit 2
zpty z zsh -f -i
zpty -w z "PROMPT=''; fpath=($1 \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z 'comppostfuncs=(finish); finish() { compstate[list]=""; compstate[insert]=""; }'
zpty -w z "compadd() { builtin compadd -O __hits \"\$@\"; print -l -- \$__hits >> $2; builtin compadd \"\$@\" }"
zpty -w z "print READY"
zpty -r z line '*READY*'
zpty -r z line '*READY*'
: > $2
zpty -w -n z "$3"$'\t'$'\x15'
zpty -w z "print DONE"
zpty -r z line '*DONE*'
zpty -r z line '*DONE*'
zpty -d z
sort -u $2 | grep -v '^$'
