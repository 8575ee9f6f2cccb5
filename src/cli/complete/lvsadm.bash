
# lvsadm's own part: values that come from the system, and -b's list.
# Words are taken from the line split at blanks only, so that addresses
# with ':' stay one word whatever COMP_WORDBREAKS holds.

# The virtual services of the live table of one kind (-t, -u,
# --sctp-service or -f), from `lvsadm -Sn` (in the namespace given on the
# line with --netns, if any).
_lvsadm_services() {
    local prog=$1 kind=$2
    shift 2
    local cmd k addr rest
    "$prog" "$@" -Sn 2>/dev/null | while read -r cmd k addr rest; do
        if [[ $cmd == -A && $k == "$kind" ]]; then
            printf '%s\n' "$addr"
        fi
    done
}

_lvsadm_complete() {
    local line=${COMP_LINE:0:COMP_POINT}
    local -a w
    read -r -a w <<<"$line"
    if [[ $line == *[[:blank:]] || ${#w[@]} -eq 0 ]]; then
        w+=("")
    fi
    local n=${#w[@]}
    local cur=${w[n-1]} prev=""
    ((n > 1)) && prev=${w[n-2]}

    # --netns NAME may come first; then the command.
    local -a ns=()
    local i=1
    while ((i < n - 1)); do
        case ${w[i]} in
            --netns) ns=(--netns "${w[i+1]}"); ((i += 2)) ;;
            --netns=*) ns=("${w[i]}"); ((i += 1)) ;;
            *) break ;;
        esac
    done
    local command=${w[i]}
    ((i == n - 1)) && command=""

    local -a cand=()
    local prefix="" kind=""
    case $prev in
        --drain)
            # --drain[=SECS]: the next word is not its value; no file names
            compopt +o default +o bashdefault 2>/dev/null
            COMPREPLY=()
            return
            ;;
        -t | --tcp-service) kind=-t ;;
        -u | --udp-service) kind=-u ;;
        --sctp-service) kind=--sctp-service ;;
        -f | --fwmark-service) kind=-f ;;
        --netns)
            local f
            for f in /run/netns/*; do
                [[ -e $f ]] && cand+=("${f##*/}")
            done
            ;;
        -b | --sched-flags)
            prefix=${cur%"${cur##*,}"}
            local flag
            for flag in @SCHED_FLAGS@; do
                [[ $flag == "${cur##*,}"* ]] && cand+=("$prefix$flag")
            done
            ;;
        *)
            _lvsadm "$@"
            return
            ;;
    esac
    if [[ -n $kind ]]; then
        case $command in
            -[EDaedLlZ]* | --edit-service | --delete-service | --add-server | \
                --edit-server | --delete-server | --list | --zero)
                local s
                while read -r s; do
                    [[ $s == "$cur"* ]] && cand+=("$s")
                done < <(_lvsadm_services "$1" "$kind" "${ns[@]}")
                ;;
            *)
                # A new service (-A): any address.
                COMPREPLY=()
                return
                ;;
        esac
    fi
    # bash replaces only the part of the word after the last ':' when ':'
    # breaks words.
    if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
        local colon=${cur%"${cur##*:}"}
        cand=("${cand[@]#"$colon"}")
    fi
    COMPREPLY=("${cand[@]}")
}

complete -F _lvsadm_complete -o bashdefault -o default lvsadm
