# bash completion for rddsim: subcommands, options, list kinds, variant
# names (read from the scenario file with `rddsim list variants FILE`) and
# flag names (`rddsim list flags`, comma-separated after --flags).
# Installed by scripts/install-deps as
# /usr/share/bash-completion/completions/rddsim; or: source this file.

_rddsim_file_arg() {
    # The first argument after the subcommand that is not an option or an
    # option's value: the scenario file.
    local i w
    for ((i = 2; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        case $w in
        --variant | --flags | --seed | --seeds | --trace | --log | --only | \
            --around | --max-events | --trace-format) ((i++)) ;;
        -*) ;;
        *) printf '%s\n' "$w"; return ;;
        esac
    done
}

_rddsim_files() {
    # *.yaml files and directories under the word being completed.
    local IFS=$'\n'
    COMPREPLY+=($(compgen -d -S / -- "$1"))
    COMPREPLY+=($(compgen -f -X '!*.yaml' -- "$1"))
    compopt -o nospace 2>/dev/null
}

_rddsim() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local exe=${COMP_WORDS[0]} cmd=${COMP_WORDS[1]} IFS=$' \t\n'
    COMPREPLY=()
    if ((COMP_CWORD == 1)); then
        COMPREPLY=($(compgen -W "run suite check shrink explain explore list bench serve
            help --help --version" -- "$cur"))
        return
    fi
    case $cmd in
    run)
        case $prev in
        --variant)
            local file
            file=$(_rddsim_file_arg)
            [[ -n $file ]] && COMPREPLY=($(compgen -W \
                "$("$exe" list variants "$file" 2>/dev/null)" -- "$cur"))
            return ;;
        --flags)
            local done=${cur%,*} last=${cur##*,} f
            [[ $cur == *,* ]] && done="$done," || done=""
            for f in $("$exe" list flags 2>/dev/null | cut -d' ' -f1); do
                [[ $f == "$last"* ]] && COMPREPLY+=("$done$f")
            done
            compopt -o nospace 2>/dev/null
            return ;;
        --trace | --log)
            COMPREPLY=($(compgen -f -- "$cur") -)
            return ;;
        --trace-format)
            COMPREPLY=($(compgen -W "jsonl perfetto" -- "$cur"))
            return ;;
        --seed | --seeds | --max-events | --only | --around) return ;;
        esac
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "--variant --flags --seed --seeds
                --trace --trace-format --log --only --around --no-expect
                --max-events --help" -- "$cur"))
        else
            _rddsim_files "$cur"
        fi ;;
    suite)
        case $prev in
        --seed | --max-events) return ;;
        --junit)
            COMPREPLY=($(compgen -f -- "$cur"))
            return ;;
        esac
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "--seed --max-events --junit --help" \
                -- "$cur"))
        else
            _rddsim_files "$cur"
        fi ;;
    check) _rddsim_files "$cur" ;;
    shrink)
        case $prev in
        --variant)
            local file
            file=$(_rddsim_file_arg)
            [[ -n $file ]] && COMPREPLY=($(compgen -W \
                "$("$exe" list variants "$file" 2>/dev/null)" -- "$cur"))
            return ;;
        --invariant)
            COMPREPLY=($(compgen -W "$("$exe" list invariants 2>/dev/null |
                cut -d' ' -f1)" -- "$cur"))
            return ;;
        -o) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --seed | --max-runs) return ;;
        esac
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "--variant --seed --invariant --max-runs
                -o --help" -- "$cur"))
        else
            _rddsim_files "$cur"
        fi ;;
    explain)
        case $prev in
        --variant)
            local file
            file=$(_rddsim_file_arg)
            [[ -n $file ]] && COMPREPLY=($(compgen -W \
                "$("$exe" list variants "$file" 2>/dev/null)" -- "$cur"))
            return ;;
        --violation)
            COMPREPLY=($(compgen -W "$("$exe" list invariants 2>/dev/null |
                cut -d' ' -f1)" -- "$cur"))
            return ;;
        --format) COMPREPLY=($(compgen -W "text jsonl" -- "$cur")); return ;;
        --seed) return ;;
        esac
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "--variant --violation --seed --format
                --help" -- "$cur"))
        else
            _rddsim_files "$cur"
        fi ;;
    explore)
        case $prev in
        --profile)
            COMPREPLY=($(compgen -W "$(ls scenarios/profiles 2>/dev/null |
                sed -n 's/\.yaml$//p')" -- "$cur"))
            _rddsim_files "$cur"
            return ;;
        --variant)
            COMPREPLY=($(compgen -W "$("$exe" list flags 2>/dev/null |
                cut -d' ' -f1) head fixed" -- "$cur"))
            return ;;
        --out) COMPREPLY=($(compgen -d -- "$cur")); return ;;
        --seeds | --for | --first | --jobs | --shard | --timeout | --emit)
            return ;;
        esac
        if ((COMP_CWORD == 2)) && [[ $cur != -* ]]; then
            COMPREPLY=($(compgen -W "merge" -- "$cur"))
        elif [[ ${COMP_WORDS[2]} == merge ]]; then
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "--out --help" -- "$cur"))
            else
                COMPREPLY=($(compgen -d -- "$cur"))
            fi
        elif [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "--profile --seeds --for --first --jobs
                --variant --out --resume --shard --timeout --shrink --emit
                --help" -- "$cur"))
        fi ;;
    list)
        if ((COMP_CWORD == 2)); then
            COMPREPLY=($(compgen -W "variants flags faults invariants
                actions" -- "$cur"))
        elif ((COMP_CWORD == 3)) && [[ ${COMP_WORDS[2]} == variants ]]; then
            _rddsim_files "$cur"
        fi ;;
    help)
        ((COMP_CWORD == 2)) && COMPREPLY=($(compgen -W "run suite check
            shrink explain explore list bench serve help" -- "$cur")) ;;
    bench)
        if ((COMP_CWORD == 2)); then
            COMPREPLY=($(compgen -W "kernel scale explore" -- "$cur"))
        elif [[ ${COMP_WORDS[2]} == explore ]]; then
            COMPREPLY=($(compgen -W "SEEDS= JOBS= FIRST=" -- "$cur"))
        elif ((COMP_CWORD == 3)); then
            COMPREPLY=($(compgen -W "w1 w2" -- "$cur"))
        elif [[ ${COMP_WORDS[3]} == w1 ]]; then
            COMPREPLY=($(compgen -W "A= E= SEED=" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "N= L_MS= POLL_MS= TIMEOUT_MS= R= SEED=" \
                -- "$cur"))
        fi
        compopt -o nospace 2>/dev/null ;;
    esac
}

complete -F _rddsim rddsim
