# Run by tests/kernel/package inside the Debian 12 guest (by /bin/sh, as
# root, from lvsadm-test.service once the units under test have started).
# Two phases, one per boot: the first installs and enables, then reboots;
# the second checks what the boot did and everything else, then powers off.
# Results go to the serial console between @@BEGIN/@@END TOKEN lines.

# shellcheck disable=SC2016 # command strings for sh -c, expanded there
J=/root/job
TOKEN=$(cat $J/token)
STATE=/root/package-test-phase
BB=$J/busybox
RULES=/etc/ipvsadm.rules
# Results are printed as they come (stdout is the console).
ok() { echo "ok - $*"; }
fail() { echo "FAIL - $*"; }
check() { # DESCRIPTION COMMAND...
    d=$1
    shift
    if "$@" >/tmp/check.out 2>&1; then ok "$d"; else
        fail "$d"
        sed 's/^/#   /' /tmp/check.out | head -n 20
    fi
}
table() { # FILE: the table as `lvsadm -S -n` prints it, lines sorted
    lvsadm -S -n | sort >"$1"
}
same() { # DESCRIPTION EXPECTED-FILE ACTUAL-FILE
    if cmp -s "$2" "$3"; then ok "$1"; else
        fail "$1"
        diff "$2" "$3" | sed 's/^/#   /' | head -n 20
    fi
}

# The rules of the test, as `lvsadm -S -n` prints them.
rules_v1() {
    cat <<'EOF'
-A -t 192.0.2.1:80 -s rr
-a -t 192.0.2.1:80 -r 192.0.2.1:80 -g -w 1
-A -u 192.0.2.1:53 -s wlc
-a -u 192.0.2.1:53 -r 198.51.100.2:53 -m -w 1
EOF
}
# v2: the TCP service unchanged, the UDP one edited, one service added
rules_v2() {
    cat <<'EOF'
-A -t 192.0.2.1:80 -s rr
-a -t 192.0.2.1:80 -r 192.0.2.1:80 -g -w 1
-A -u 192.0.2.1:53 -s rr
-a -u 192.0.2.1:53 -r 198.51.100.3:53 -m -w 2
-A -t 192.0.2.1:443 -s sh -b sh-port
-a -t 192.0.2.1:443 -r 198.51.100.2:443 -g -w 1
EOF
}

# bash completion, through bash-completion's loader and the function it
# registers, as bash calls it on <TAB>: bash /tmp/complete.bash LINE
write_complete_helper() {
    cat >/tmp/complete.bash <<'EOF'
. /usr/share/bash-completion/bash_completion
_completion_loader lvsadm
f=$(complete -p lvsadm | sed 's/.*-F \([^ ]*\) .*/\1/')
COMP_LINE=$1
COMP_POINT=${#COMP_LINE}
read -r -a COMP_WORDS <<<"$COMP_LINE"
[[ $COMP_LINE == *' ' ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
"$f" lvsadm "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
echo "${COMPREPLY[*]}"
EOF
}
write_complete_helper

phase1() {
    echo "@@BEGIN $TOKEN"
    check "dpkg -i lvsadm beside Debian's ipvsadm" dpkg -i $J/lvsadm.deb
    check "Debian's ipvsadm is still installed" \
        sh -c 'dpkg-query -W -f="\${Status}" ipvsadm | grep -qx "install ok installed"'
    check "ipvsadm is still Debian's (it rejects lvsadm's --help-extensions)" \
        sh -c '! ipvsadm --help-extensions'
    check "lvsadm --help-extensions lists --apply" sh -c 'lvsadm --help-extensions | grep -q -- "--apply FILE"'
    check "lvsadm -h is ipvsadm's usage text" sh -c 'lvsadm -h | head -n1 | grep -qx "ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)"'
    check "installing did not start the unit (the table is untouched)" \
        sh -c '! systemctl is-active -q lvsadm && [ -z "$(lvsadm -S -n)" ]'

    check "man -w lvsadm finds the page" sh -c 'man -w lvsadm | grep -qx /usr/share/man/man8/lvsadm.8.gz'
    check "man lvsadm shows the extensions and the examples" \
        sh -c 'MANPAGER=cat man lvsadm 2>/dev/null | grep -q "^LVSADM EXTENSIONS" &&
               MANPAGER=cat man lvsadm | grep -q -- "--help-extensions" &&
               MANPAGER=cat man lvsadm | grep -q "^EXAMPLES"'
    check "man lvsadm renders without warnings" \
        sh -c '[ -z "$(MANPAGER=cat man --warnings lvsadm 2>&1 >/dev/null)" ]'
    check "man lvsadm-save and lvsadm-restore" \
        sh -c 'MANPAGER=cat man lvsadm-save | grep -q "ipvsadm-save" && MANPAGER=cat man lvsadm-restore | grep -q "ipvsadm-restore"'

    bash /tmp/complete.bash 'lvsadm -A -t 192.0.2.1:80 -s ' >/tmp/c1 2>&1
    echo "rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos" >/tmp/c1.want
    same "bash completes 'lvsadm -A -t 192.0.2.1:80 -s ' to the schedulers" /tmp/c1.want /tmp/c1
    bash /tmp/complete.bash 'lvsadm -A -t 192.0.2.1:80 -p ' >/tmp/c2 2>&1
    check "control: no scheduler names after -p" sh -c '! grep -qw wlc /tmp/c2'

    rules_v1 >$RULES
    check "systemctl enable lvsadm" systemctl enable lvsadm
    echo 2 >$STATE
    echo "@@END $TOKEN"
    sync
    systemctl reboot
}

counters() { # the Conns counter of the TCP service
    lvsadm -L -n --stats -t 192.0.2.1:80 | awk '$1 == "TCP" { print $3 }'
}

# keepalived's part of the table, sorted: its service and real servers.
ka_table() {
    lvsadm -S -n | grep -F -- '192.0.2.50:8080' | sort
}
# Wait up to 30 s for keepalived's part of the table to be FILE's.
ka_wait() {
    i=0
    while [ $i -lt 60 ]; do
        ka_table >/tmp/ka.now
        cmp -s "$1" /tmp/ka.now && return 0
        sleep 0.5
        i=$((i + 1))
    done
    return 1
}

# lvsadm.service on a director where keepalived (Debian's, running) owns a
# virtual_server with a health-checked real server that is down: reload
# within SCOPE leaves keepalived's service and real servers alone; the
# controls show what the unscoped unit does.
keepalived_beside() {
    mkdir -p /etc/keepalived
    cat >/etc/keepalived/keepalived.conf <<'EOF'
global_defs {
    router_id lvs-test
}
virtual_server 192.0.2.50 8080 {
    delay_loop 1
    lb_algo wlc
    lb_kind DR
    protocol TCP
    real_server 192.0.2.1 8080 {
        weight 3
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server 198.51.100.21 8080 {
        weight 2
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
EOF
    $BB nc -ll -p 8080 -e /bin/cat >/dev/null 2>&1 &
    ncpid=$!
    check "keepalived starts" systemctl restart keepalived
    # its checker removes the real server nothing answers for
    printf '%s\n' '-A -t 192.0.2.50:8080 -s wlc' '-a -t 192.0.2.50:8080 -r 192.0.2.1:8080 -g -w 3' |
        sort >/tmp/ka.want
    check "keepalived's service is up, its unreachable real server removed by its check" ka_wait /tmp/ka.want
    ka_table | sed 's/^/#   keepalived: /'

    # The recipe: save only the unit's services, and reload within SCOPE.
    sed -i 's/^SCOPE=.*/SCOPE=192.0.2.1/' /etc/default/lvsadm
    lvsadm -S -n --scope 192.0.2.1 >$RULES
    check "lvsadm -S -n --scope saves none of keepalived's lines" sh -c "! grep -q 192.0.2.50 $RULES"
    sed -i 's/^-a -u 192.0.2.1:53 -r 198.51.100.3:53 -m -w 2$/-a -u 192.0.2.1:53 -r 198.51.100.3:53 -m -w 4/' $RULES
    check "systemctl reload lvsadm (SCOPE=192.0.2.1) beside a running keepalived" systemctl reload lvsadm
    check "keepalived is still running" systemctl is-active -q keepalived
    ka_table >/tmp/ka.after
    same "the reload left keepalived's service and real servers alone" /tmp/ka.want /tmp/ka.after
    check "the reload applied the edit in scope" \
        sh -c 'lvsadm -S -n | grep -qx -- "-a -u 192.0.2.1:53 -r 198.51.100.3:53 -m -w 4"'
    # a file with keepalived's down real server in it (a careless full
    # save) is refused in scope, and changes nothing
    cp $RULES /tmp/rules.scoped
    printf '%s\n' '-A -t 192.0.2.50:8080 -s wlc' '-a -t 192.0.2.50:8080 -r 192.0.2.1:8080 -g -w 3' \
        '-a -t 192.0.2.50:8080 -r 198.51.100.21:8080 -g -w 2' >>$RULES
    cp $RULES /tmp/rules.careless
    check "with SCOPE, a file holding keepalived's service fails the reload" sh -c '! systemctl reload lvsadm'
    ka_table >/tmp/ka.after2
    same "the refused reload did not re-add keepalived's removed real server" /tmp/ka.want /tmp/ka.after2

    # stop with SCOPE: save and flush keep to it
    cp /tmp/rules.scoped $RULES
    systemctl reload lvsadm
    sed -i 's/^STOP=.*/STOP=save/' /etc/default/lvsadm
    echo "# a comment the save replaces" >>$RULES
    systemctl stop lvsadm
    lvsadm -S -n --scope 192.0.2.1 >/tmp/ours
    check "STOP=save with SCOPE writes only the unit's services" cmp -s /tmp/ours $RULES
    check "... and none of keepalived's" sh -c "! grep -q 192.0.2.50 $RULES"
    check "control: the unscoped save (the old STOP=save) holds keepalived's service" \
        sh -c 'lvsadm -S -n | grep -q -F 192.0.2.50:8080'
    sed -i 's/^STOP=.*/STOP=flush/' /etc/default/lvsadm
    systemctl start lvsadm
    systemctl stop lvsadm
    check "STOP=flush with SCOPE clears the unit's services only" \
        sh -c '[ -z "$(lvsadm -S -n --scope 192.0.2.1)" ]'
    ka_table >/tmp/ka.after3
    same "... and leaves keepalived's service and real servers" /tmp/ka.want /tmp/ka.after3
    sed -i 's/^STOP=.*/STOP=keep/' /etc/default/lvsadm
    cp /tmp/rules.scoped $RULES
    systemctl start lvsadm

    # Controls: the unscoped unit (SCOPE empty, as before) with the same
    # two files re-adds the real server keepalived removed, and deletes
    # keepalived's service.
    sed -i 's/^SCOPE=.*/SCOPE=/' /etc/default/lvsadm
    cp /tmp/rules.careless $RULES
    check "control: the unscoped reload of the careless save succeeds" systemctl reload lvsadm
    check "control: ... and re-adds the real server keepalived's check removed" \
        sh -c 'lvsadm -S -n | grep -q -- "-r 198.51.100.21:8080"'
    cp /tmp/rules.scoped $RULES
    check "control: the unscoped reload of the scoped file succeeds" systemctl reload lvsadm
    check "control: ... and deletes keepalived's service" \
        sh -c '! lvsadm -S -n | grep -q -F 192.0.2.50:8080'

    # back to the state the tests after this one expect
    systemctl stop keepalived
    kill $ncpid 2>/dev/null
    rules_v2 >$RULES
    systemctl reload lvsadm
    table /tmp/t6
    same "after keepalived: the table is the rules file's again" /tmp/v2 /tmp/t6
}

phase2() {
    echo "@@BEGIN $TOKEN"
    echo 3 >$STATE
    check "lvsadm.service is active after the reboot" systemctl is-active -q lvsadm
    rules_v1 | sort >/tmp/v1
    table /tmp/t1
    same "the boot loaded /etc/ipvsadm.rules" /tmp/v1 /tmp/t1

    bash /tmp/complete.bash 'lvsadm -E -t ' >/tmp/c3 2>&1
    echo "192.0.2.1:80" >/tmp/c3.want
    same "bash completes the live table's services after 'lvsadm -E -t '" /tmp/c3.want /tmp/c3

    # A TCP connection through IPVS: VIP on lo, a local echo server as the
    # real server (local forwarding), a client that stays connected.
    ip addr add 192.0.2.1/32 dev lo
    $BB nc -ll -p 80 -e /bin/cat >/dev/null 2>&1 &

    sleep 1
    : >/tmp/in
    tail -f /tmp/in | $BB nc 192.0.2.1 80 >/tmp/echo &
    sleep 1
    echo one >>/tmp/in
    sleep 1
    check "a TCP connection through the virtual service echoes" grep -qx one /tmp/echo
    check "it is counted by the service" test "$(counters)" = 1

    rules_v2 >$RULES
    check "systemctl reload lvsadm (edited file)" systemctl reload lvsadm
    rules_v2 | sort >/tmp/v2
    table /tmp/t2
    same "the reload applied the edited file" /tmp/v2 /tmp/t2
    echo two >>/tmp/in
    sleep 1
    check "the TCP connection stayed up across the reload" grep -qx two /tmp/echo
    check "the unchanged service kept its counters (no flush)" test "$(counters)" = 1
    check "the connection is still in the table" \
        sh -c 'lvsadm -L -n -c | grep -q "ESTABLISHED.*192.0.2.1:80"'

    # control: what a flush and restore (ipvsadm-restore) does to the same
    # service, so the counter check above can fail
    lvsadm -S -n >/tmp/save
    lvsadm-restore </tmp/save
    check "control: a flush and restore resets the counters" test "$(counters)" = 0

    # A broken file: nothing changes, the journal names the line.
    rules_v2 | sed '/192.0.2.1:443/d' >$RULES
    echo "-a -t 192.0.2.1:80 -r 198.51.100.9:80 -g -w nonsense" >>$RULES
    check "systemctl reload fails on a broken file" sh -c '! systemctl reload lvsadm'
    table /tmp/t3
    same "the broken file changed nothing" /tmp/v2 /tmp/t3
    sleep 1
    check "the journal shows the file's line number" \
        sh -c 'journalctl -u lvsadm --no-pager -o cat | grep -q "^/etc/ipvsadm.rules:5: "'
    journalctl -u lvsadm --no-pager -o cat | grep ipvsadm.rules | tail -n 3 | sed 's/^/#   journal: /'
    check "the unit stays active after a failed reload" systemctl is-active -q lvsadm

    # A missing file: the same.
    rm -f $RULES
    check "systemctl reload fails without a rules file" sh -c '! systemctl reload lvsadm'
    table /tmp/t4
    same "the missing file changed nothing" /tmp/v2 /tmp/t4
    rules_v2 >$RULES

    # The sync daemons, from /etc/default/lvsadm.
    ip link add dummy0 type dummy && ip link set dummy0 up
    check "lvsadm-syncd.service with DAEMON=none starts no daemon" \
        sh -c 'systemctl start lvsadm-syncd && [ -z "$(lvsadm -L --daemon)" ]'
    systemctl stop lvsadm-syncd
    sed -i 's/^DAEMON=.*/DAEMON=both/; s/^IFACE=.*/IFACE=dummy0/; s/^SYNCID=.*/SYNCID=7/' /etc/default/lvsadm
    check "lvsadm-syncd.service starts with DAEMON=both" systemctl start lvsadm-syncd
    lvsadm -L --daemon >/tmp/d1
    sed 's/^/#   /' /tmp/d1
    check "both daemons run on dummy0 with syncid 7" \
        sh -c 'grep -q "^master sync daemon (mcast=dummy0, syncid=7," /tmp/d1 &&
               grep -q "^backup sync daemon (mcast=dummy0, syncid=7," /tmp/d1'
    check "stopping lvsadm-syncd.service stops them" \
        sh -c 'systemctl stop lvsadm-syncd && [ -z "$(lvsadm -L --daemon)" ]'

    # The health-checked unit (lvsadm --supervise): Type=notify with a
    # watchdog, reload = SIGHUP, stop leaves the table. Its service is
    # set up by hand at weight 3; the tcp check finds nothing listening
    # on port 1, so the supervisor quiesces it.
    mkdir -p /etc/lvsadm
    cat >/etc/lvsadm/supervise.rules <<'EOF'
-A -t 203.0.113.7:80 -s rr --health tcp --interval 1 --fall 2 --rise 1
-a -t 203.0.113.7:80 -r 127.0.0.1:1 -m -w 3
EOF
    lvsadm -A -t 203.0.113.7:80 -s rr && lvsadm -a -t 203.0.113.7:80 -r 127.0.0.1:1 -m -w 3
    check "lvsadm-supervise.service starts (its READY=1 reached systemd)" systemctl start lvsadm-supervise
    check "lvsadm-supervise.service is active" systemctl is-active -q lvsadm-supervise
    sleep 5
    check "the supervisor quiesced the real server whose tcp check fails ($(lvsadm -Sn | grep -- '-a -t 203.0.113.7'))" \
        sh -c 'lvsadm -Sn | grep -q -- "^-a -t 203.0.113.7:80 -r 127.0.0.1:1 -m -w 0\$"'
    check "systemctl reload lvsadm-supervise keeps it active" \
        sh -c 'systemctl reload lvsadm-supervise && sleep 1 && systemctl is-active -q lvsadm-supervise'
    check "the journal shows the down line and the reload" \
        sh -c 'journalctl -u lvsadm-supervise --no-pager -o cat >/tmp/sj; grep -q "127.0.0.1:1: down: tcp connect: Connection refused, 2/2 failures" /tmp/sj && grep -q "SIGHUP: reading" /tmp/sj'
    sed 's/^/#   journal: /' /tmp/sj | tail -n 5
    # WatchdogSec=30s: still active past it, so the pings arrive
    sleep 32
    check "lvsadm-supervise.service still active after its watchdog period (WATCHDOG=1 pings)" \
        sh -c 'systemctl is-active -q lvsadm-supervise && [ "$(systemctl show -p NRestarts --value lvsadm-supervise)" = 0 ]'
    systemctl stop lvsadm-supervise
    check "stopping lvsadm-supervise leaves its service in the table" \
        sh -c 'lvsadm -Sn | grep -q -- "^-a -t 203.0.113.7:80 -r 127.0.0.1:1 -m -w 0\$"'
    lvsadm -D -t 203.0.113.7:80
    # this test's file, not the package's (the purge check counts leftovers)
    rm -rf /etc/lvsadm

    # The exporter unit: --metrics --listen as a dynamic user with
    # CAP_NET_ADMIN only; the address from /etc/default/lvsadm.
    lvsadm -A -t 203.0.113.8:80 -s rr && lvsadm -a -t 203.0.113.8:80 -r 127.0.0.1:8080 -m -w 2
    sed -i 's/^METRICS_LISTEN=.*/METRICS_LISTEN=127.0.0.1:9113/' /etc/default/lvsadm
    check "lvsadm-metrics.service starts" systemctl start lvsadm-metrics
    sleep 1
    scrape() { # the body of GET /metrics on 127.0.0.1:9113
        bash -c 'exec 3<>/dev/tcp/127.0.0.1/9113 && printf "GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n" >&3 && cat <&3'
    }
    scrape >/tmp/m1 2>&1
    check "lvsadm-metrics serves the table on METRICS_LISTEN ($(grep -c '^ipvs_' /tmp/m1) series)" \
        grep -q '^ipvs_real_server_weight{.*address="203.0.113.8".*server_address="127.0.0.1".*} 2$' /tmp/m1
    mpid=$(systemctl show -p MainPID --value lvsadm-metrics)
    muid=$(awk '/^Uid:/ { print $2 }' "/proc/$mpid/status")
    mcap=$(awk '/^CapEff:/ { print $2 }' "/proc/$mpid/status")
    check "lvsadm-metrics runs as a non-root user (uid $muid)" sh -c "[ -n '$muid' ] && [ '$muid' != 0 ]"
    # CAP_NET_ADMIN is bit 12
    check "lvsadm-metrics has CAP_NET_ADMIN alone (CapEff $mcap)" [ "$mcap" = 0000000000001000 ]
    systemd-analyze security lvsadm-metrics --no-pager >/tmp/sa 2>&1
    exposure=$(sed -n 's/.*Overall exposure level for lvsadm-metrics.service: \([0-9.]*\).*/\1/p' /tmp/sa)
    check "systemd-analyze security rates lvsadm-metrics at most 2.0 ($exposure)" \
        awk -v e="$exposure" 'BEGIN { exit !(e != "" && e + 0 <= 2.0) }'
    systemctl stop lvsadm-metrics
    check "stopped, nothing listens on 127.0.0.1:9113 any more" \
        sh -c '! bash -c "exec 3<>/dev/tcp/127.0.0.1/9113" 2>/dev/null'
    sed -i 's/^METRICS_LISTEN=.*/METRICS_LISTEN=127.0.0.1:9112/' /etc/default/lvsadm
    lvsadm -D -t 203.0.113.8:80

    # Stop keeps the table unless configured.
    systemctl stop lvsadm
    table /tmp/t5
    same "systemctl stop lvsadm leaves the table (STOP=keep)" /tmp/v2 /tmp/t5
    sed -i 's/^STOP=.*/STOP=flush/' /etc/default/lvsadm
    systemctl start lvsadm
    systemctl stop lvsadm
    check "with STOP=flush, stop clears the table" test -z "$(lvsadm -S -n)"
    sed -i 's/^STOP=.*/STOP=keep/' /etc/default/lvsadm
    systemctl start lvsadm
    # STOP=save-settings: the table, the timeouts and the changed settings,
    # which the next start restores
    cp $RULES /tmp/rules.keep
    lvsadm --set 1700 0 0 && lvsadm --sysctl sloppy_tcp=1 >/dev/null
    table /tmp/t6
    sed -i 's/^STOP=.*/STOP=save-settings/' /etc/default/lvsadm
    systemctl stop lvsadm
    grep -v '^--s' $RULES | sort >/tmp/t7
    check "STOP=save-settings writes the --set line, the changed settings and the table" \
        sh -c "grep -qx -- '--set 1700 [0-9]* [0-9]*' $RULES && grep -qx -- '--sysctl sloppy_tcp=1' $RULES && cmp -s /tmp/t6 /tmp/t7"
    lvsadm --set 900 0 0 && lvsadm --sysctl sloppy_tcp=0 >/dev/null
    systemctl start lvsadm
    check "... and the next start restores them ($(lvsadm -L --timeout), sloppy_tcp $(cat /proc/sys/net/ipv4/vs/sloppy_tcp))" \
        sh -c "lvsadm -L --timeout | grep -q ': 1700 ' && [ \$(cat /proc/sys/net/ipv4/vs/sloppy_tcp) = 1 ]"
    sed -i 's/^STOP=.*/STOP=keep/' /etc/default/lvsadm
    cp /tmp/rules.keep $RULES
    lvsadm --set 900 0 0 && lvsadm --sysctl sloppy_tcp=0 >/dev/null

    keepalived_beside

    # The switch package: lvsadm as ipvsadm. It conflicts with and
    # replaces ipvsadm, so dpkg removes ipvsadm in its favour.
    check "dpkg -i lvsadm-ipvsadm (over Debian's ipvsadm)" dpkg -i $J/lvsadm-ipvsadm.deb
    check "it took the place of the ipvsadm package" \
        sh -c '! dpkg-query -W -f="\${Status}" ipvsadm | grep -q "ok installed"'
    mkdir -p /tmp/needs/DEBIAN
    printf '%s\n' "Package: needs-ipvsadm" "Version: 1" "Architecture: all" \
        "Maintainer: Test <test@example.org>" "Depends: ipvsadm" "Description: test" \
        >/tmp/needs/DEBIAN/control
    dpkg-deb -b /tmp/needs /tmp/needs.deb >/dev/null
    check "a package that depends on ipvsadm installs" dpkg -i /tmp/needs.deb
    check "control: lvsadm-ipvsadm is what satisfies it (dpkg refuses to remove it)" \
        sh -c '! dpkg -r lvsadm-ipvsadm'
    check "ipvsadm is now lvsadm" sh -c 'ipvsadm --help-extensions | grep -q -- --apply'
    lvsadm -S -n >/tmp/s1
    ipvsadm-save -n >/tmp/s2
    same "ipvsadm-save -n is lvsadm -S -n" /tmp/s1 /tmp/s2
    check "man ipvsadm shows lvsadm's page" sh -c 'MANPAGER=cat man ipvsadm | grep -q "LVSADM EXTENSIONS"'
    dpkg -P needs-ipvsadm >/dev/null 2>&1
    check "reverting: remove lvsadm-ipvsadm, install ipvsadm again" \
        sh -c 'dpkg -r lvsadm-ipvsadm && dpkg -i $0 && ! ipvsadm --help-extensions' $J/ipvsadm.deb
    check "reverting left lvsadm in place" sh -c 'lvsadm --help-extensions >/dev/null'

    # Purge: everything goes but the rules file.
    check "apt-get purge lvsadm" apt-get purge -y -q lvsadm
    # Not counted: this test's own driver unit, and man-db's cache of
    # formatted pages (man wrote it when the pages were read above; man-db's
    # own daily run expires it, as for every package).
    check "no file of the package is left" \
        sh -c 'left=$(find / -xdev \( -path /root/job -o -path /usr/lib/modules -o -path /var/cache/man \
                   -o -name lvsadm-test.service \) -prune -o -name "*lvsadm*" -print)
               [ -z "$left" ] || { echo "$left"; false; }'
    find /var/cache/man -name "*lvsadm*" | sed 's/^/#   left in the man-db cache: /'
    check "the unit is gone" sh -c '! systemctl cat lvsadm.service'
    rules_v2 >/tmp/v2.file
    check "the rules file is kept" cmp -s /tmp/v2.file $RULES
    check "Debian's ipvsadm is installed, untouched by the purge" \
        sh -c 'dpkg-query -W -f="\${Status}" ipvsadm | grep -qx "install ok installed"'
    echo "@@END $TOKEN"
    echo "@@DONE $TOKEN"
    sync
    systemctl poweroff -ff
}

case $(cat $STATE 2>/dev/null) in
"") phase1 ;;
2) phase2 ;;
*)
    echo "@@BEGIN $TOKEN"
    echo "FAIL - the guest booted a third time"
    echo "@@END $TOKEN"
    systemctl poweroff -ff
    ;;
esac
