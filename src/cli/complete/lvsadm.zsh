# lvsadm's own part: values that come from the system, and -b's list.

# The virtual services of the live table, of the kind given by the option
# before the word being completed; only for commands on existing services.
_lvsadm_services() {
  local kind=${words[CURRENT-1]} i=2
  local -a ns svcs
  while [[ ${words[i]} == --netns* ]]; do
    if [[ ${words[i]} == --netns ]]; then ns=(--netns ${words[i+1]}); (( i += 2 ))
    else ns=(${words[i]}); (( i += 1 )); fi
  done
  [[ ${words[i]} == (-[EDaedLlZ]*|--edit-service|--delete-service|--add-server|--edit-server|--delete-server|--list|--zero) ]] || return 1
  case $kind in
    --tcp-service) kind=-t ;;
    --udp-service) kind=-u ;;
    --fwmark-service) kind=-f ;;
  esac
  svcs=(${(f)"$(${words[1]} $ns -Sn 2>/dev/null | awk -v k="$kind" '$1 == "-A" && $2 == k { print $3 }')"})
  compadd -a svcs
}

_lvsadm_netns() {
  local -a names
  names=(/run/netns/*(N:t))
  compadd -a names
}

_lvsadm_sched_flags() {
  _values -s , 'scheduler flags' @SCHED_FLAGS@
}

