# zsh_complete.zsh: what zsh's completion offers for a command line, one
# candidate a line (tests/tools/cli_cases.py, the complete-zsh-* cases).
# Usage: zsh -f zsh_complete.zsh FPATH_DIR SCRATCH_FILE 'COMMAND LINE'
# An interactive zsh in a pseudo-terminal (zsh/zpty) loads the completion
# functions from FPATH_DIR, gets the line and a TAB, records every
# candidate compadd is given into SCRATCH_FILE, then the line is killed and
# `print DONE` marks the end; the only wait is for the completion to finish.
zmodload zsh/zpty || exit 2
zpty z zsh -f -i
zpty -w z "PROMPT=''; fpath=($1 \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z "comppostfuncs=(finish); finish() { compstate[list]=''; compstate[insert]=''; print COMPDONE >> $2 }"
zpty -w z "compadd() { builtin compadd -O __hits \"\$@\"; print -l -- \$__hits >> $2; builtin compadd \"\$@\" }"
# The marker is typed as RE''ADY so that only zsh's output, never the echo
# of the typed line, matches the pattern.
zpty -w z "print RE''ADY"
zpty -r z line '*READY*'
: > $2
zpty -w -n z "$3"$'\t'
# Kill the line only once completion has finished: keys typed while a
# completion function runs a command can be eaten by the terminal.
for i in {1..400}; do grep -q COMPDONE $2 && break; sleep 0.05; done
zpty -w -n z $'\x15'
zpty -w z "print DO''NE"
zpty -r z line '*DONE*'
zpty -d z
sort -u $2 | grep -v -e '^$' -e '^COMPDONE$'
