# fish completion for lvsadm (made by lvsadm --generate complete-fish)

# The virtual services of the live table, of the kind given by the option
# before the token being completed; only for commands on existing services.
function __lvsadm_services
    set -l toks (commandline -opc)
    set -l ns
    set -l i 2
    while test $i -le (count $toks); and string match -q -- '--netns*' $toks[$i]
        if test $toks[$i] = --netns
            set ns --netns $toks[(math $i + 1)]
            set i (math $i + 2)
        else
            set ns $toks[$i]
            set i (math $i + 1)
        end
    end
    test $i -le (count $toks); or return
    string match -qr -- '^(-[EDaedLlZ]|--edit-service$|--delete-service$|--add-server$|--edit-server$|--delete-server$|--list$|--zero$)' $toks[$i]; or return
    set -l kind $toks[-1]
    switch $kind
        case --tcp-service
            set kind -t
        case --udp-service
            set kind -u
        case --fwmark-service
            set kind -f
    end
    $toks[1] $ns -Sn 2>/dev/null | while read -l cmd k addr rest
        if test "$cmd" = -A; and test "$k" = $kind
            echo $addr
        end
    end
end

function __lvsadm_netns
    for f in /run/netns/*
        basename $f
    end
end

function __lvsadm_sched_flags
    set -l cur (commandline -ct)
    set -l prefix (string replace -r '[^,]*$' '' -- $cur)
    for f in @SCHED_FLAGS@
        echo $prefix$f
    end
end

