#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2317 # functions called through xha_wait_until and traps
#
# ha_ike_lab.sh [--verbose] [--baseline-only | --xfrm-ha-only] [--rate PPS]
#               [--report FILE]
#
# The HA IKE lab with the real daemons (Debian's strongSwan with its ha
# plugin, keepalived), run as root inside the selftest VM with xfrm_ha.ko
# loaded. Network namespaces:
#
#   lab-a 10.100.0.100 --brin--+-- ha1 in .66  [VIP 10.100.0.65] out .11 --+
#   (site A 10.100.0.64/26)    +-- ha2 in .67  [VIP 10.100.0.65] out .12 --+
#                                    |  hal 10.150.0.1/.2 (HA link)         |
#                                    +----------------------------- brout--+
#   lab-b 10.250.0.200 -- lab-gw (SecGW) in 10.250.0.193, out 10.200.0.1 --+
#   (site B 10.250.0.192/26)              lab-rw (road warrior) 10.200.0.50-+
#   outside VIP 10.200.0.2: the IKE address of the pair.
#
# ha1 and ha2 run keepalived (a vrrp_sync_group VPN of two instances, the
# inside and the outside VIP, ha1 priority 150 with preemption, ha2 100)
# and charon with the ha plugin (one segment, monitor = no, autobalance = 0,
# resync, secret, an HA pool for the road warrior), each in its own mount
# namespace (charon's FIFO, vici socket and pid file live in a private
# /run). SecGW initiates IKEv2 (PSK) to the VIP: one CHILD_SA site A <->
# site B, AES-GCM with ESN and a replay window of 1024; the road warrior
# gets a virtual IP from the HA pool. udpseq runs both ways between lab-a
# and lab-b for the whole run. Then:
#
#   failover:  ha1 crashes (every process killed, links down) while the
#              traffic flows; ha2 takes over after VRRP's detection time
#   failback:  ha1 reboots (charon, agent, keepalived; charon gets the
#              IKE_SAs from ha2's resync only after its connections are
#              loaded, see node_rejoin) with its agent's
#              HA link port (UDP 4520) blocked for LAB_HOLD s: keepalived
#              must keep it BACKUP (track file 1) although it has the
#              higher priority; unblocked, its agent bulk-syncs and ha1
#              preempts
#   failover2: keepalived is stopped on ha1 (maintenance)
#
# and after each: ha2/ha1 holds the VIPs, the stream resumes within VRRP's
# detection time + 1 s both ways, SecGW drops nothing as a replay or an ICV
# failure (/proc/net/xfrm_stat, per-SA counters), the IKE_SA is the same
# (SPIs) and a CHILD_SA rekey initiated by the new master succeeds on it,
# the road warrior keeps its IKE_SA and virtual IP and its DPD is answered.
# At failback, ha1 must not become MASTER before its agent completed a bulk
# sync (keepalived track file): during the hold window (longer than
# keepalived needs to preempt, ~4 s here, when nothing holds it) ha1 must
# stay BACKUP, sampled every 200 ms, while ha2 forwards; only the agent's
# port is blocked, charon's ha plugin (UDP 4510) syncs meanwhile.
#
# Two runs: "xfrm-ha" (ha-ike-agent on both nodes, driven by keepalived's
# notify FIFO; the agent drives charon's ha plugin) and "baseline" (the ha
# plugin alone, keepalived notify scripts write +1/-1 to charon's FIFO, no
# agent): the baseline must fail at the failover (SecGW drops ha2's ESP,
# which restarts at sequence number 1), which proves that the checks can
# fail. --verbose narrates and ends with a failover report.
set -u

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

RUN_XHA=1 RUN_BASE=1 RATE=${LAB_RATE:-200} REPORT=''
while [ $# -gt 0 ]; do
	case $1 in
	-v | --verbose) XHA_VERBOSE=1 ;;
	--baseline-only) RUN_XHA=0 RUN_BASE=1 ;;
	--xfrm-ha-only) RUN_XHA=1 RUN_BASE=0 ;;
	--rate) RATE=$2; shift ;;
	--report) REPORT=$2; shift ;;
	-h | --help) sed -n '3,/^set -u/{/^#/p}' "$0"; exit 0 ;;
	*) echo "usage: $0 [--verbose] [--baseline-only|--xfrm-ha-only] [--rate PPS] [--report FILE]" >&2; exit 2 ;;
	esac
	shift
done

xha_require_root

LAB_ADVERT=1				# VRRP advert_int, seconds
LAB_DETECT_MS=3610			# 3 x advert + skew of priority 100
LAB_RESUME_MS=$((LAB_DETECT_MS + 1000))	# the limit for "traffic resumes"
LAB_STEADY=${LAB_STEADY:-6}		# seconds of traffic before each event
LAB_HOLD=${LAB_HOLD:-9}			# failback: seconds ha1's agent cannot sync
LAB_PREEMPT=10				# then: seconds for ha1 to sync and preempt
LAB_AGENT_PORT=4520			# the agent's HA link port (charon's: 4510)
SECRET_GW=lab-secgw-psk-0123456789
SECRET_RW=lab-roadwarrior-psk-0123456789

NS_SW=lab-sw NS_A=lab-a NS_B=lab-b NS_GW=lab-gw NS_RW=lab-rw
declare -A NS=([ha1]=lab-ha1 [ha2]=lab-ha2 [gw]=lab-gw [rw]=lab-rw)
VIP_OUT=10.200.0.2 VIP_IN=10.100.0.65
GW_OUT=10.200.0.1 GW_IN=10.250.0.193 RW_OUT=10.200.0.50
HOST_A=10.100.0.100 HOST_B=10.250.0.200
declare -A OUT=([ha1]=10.200.0.11 [ha2]=10.200.0.12) IN=([ha1]=10.100.0.66 [ha2]=10.100.0.67)
declare -A HAL=([ha1]=10.150.0.1 [ha2]=10.150.0.2) PRIO=([ha1]=150 [ha2]=100) NODEID=([ha1]=1 [ha2]=2)
declare -A OTHER=([ha1]=ha2 [ha2]=ha1)
POOL=10.99.0.0/24
UDPSEQ=$XHA_SELFTESTS/udpseq
CHARON=${LAB_CHARON:-/usr/lib/ipsec/charon}

T=''			# this run's directory
MODE=''			# xfrm-ha or baseline
declare -A HOLDER=()	# node -> pid of the process holding its mount namespace
declare -A R=()		# figures for the report
PIDS=()

# ------------------------------------------------------------ helpers

now() { date +%s.%N | cut -c1-14; }	# epoch seconds with ms
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d", (b - a) * 1000 }'; }
mark() { echo "$(now) lab $*" >>"$T/timeline"; vsay "[$(date +%T)] $*"; }

# nx NODE CMD...: run CMD in NODE's network and mount namespaces.
nx() {
	local node=$1
	shift
	nsenter -t "${HOLDER[$node]}" -m -n -- "$@"
}

planned=0
plan_add() { planned=$((planned + $1)); }
check() {	# check NAME RC [WHY]
	if [ "$2" = 0 ]; then ktap_pass "$MODE: $1"; else ktap_fail "$MODE: $1" "${3:-}"; fi
}

lab_cleanup() {
	local p ns
	for ns in lab-ha1 lab-ha2 "$NS_GW" "$NS_RW" "$NS_A" "$NS_B"; do
		# shellcheck disable=SC2046 # a list of pids
		[ -e "/run/netns/$ns" ] && kill -KILL $(ip netns pids "$ns" 2>/dev/null) 2>/dev/null
	done
	for p in "${PIDS[@]}" "${HOLDER[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	PIDS=()
	HOLDER=()
	for ns in lab-ha1 lab-ha2 "$NS_GW" "$NS_RW" "$NS_A" "$NS_B" "$NS_SW"; do
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}

# ----------------------------------------------------------- topology

topo_up() {
	local ns n
	for ns in "$NS_SW" lab-ha1 lab-ha2 "$NS_GW" "$NS_RW" "$NS_A" "$NS_B"; do
		if [ -e "/run/netns/$ns" ]; then
			say "netns $ns already exists: not touching it"
			return 1
		fi
		echo "netns add $ns"
	done | ip -batch - || return 1
	ip -n "$NS_SW" -batch - <<-EOF || return 1
		link set lo up
		link add brout type bridge
		link add brin type bridge
		link set brout up
		link set brin up
		link add ha1o type veth peer name out netns lab-ha1
		link add ha2o type veth peer name out netns lab-ha2
		link add gwo type veth peer name out netns $NS_GW
		link add rwo type veth peer name eth0 netns $NS_RW
		link add ha1i type veth peer name in netns lab-ha1
		link add ha2i type veth peer name in netns lab-ha2
		link add ai type veth peer name eth0 netns $NS_A
		link set ha1o master brout up
		link set ha2o master brout up
		link set gwo master brout up
		link set rwo master brout up
		link set ha1i master brin up
		link set ha2i master brin up
		link set ai master brin up
	EOF
	ip -n lab-ha1 link add hal type veth peer name hal netns lab-ha2 || return 1
	ip -n "$NS_GW" link add in type veth peer name eth0 netns "$NS_B" || return 1
	for n in ha1 ha2; do
		ip -n "${NS[$n]}" -batch - <<-EOF || return 1
			link set lo up
			addr add ${OUT[$n]}/24 dev out
			addr add ${IN[$n]}/26 dev in
			addr add ${HAL[$n]}/24 dev hal
			link set out up
			link set in up
			link set hal up
			route add 10.250.0.192/26 via $GW_OUT dev out
			route add $POOL via $GW_OUT dev out
		EOF
		nsx "${NS[$n]}" sysctl -qw net.ipv4.ip_forward=1 || return 1
	done
	ip -n "$NS_GW" -batch - <<-EOF || return 1
		link set lo up
		addr add $GW_OUT/24 dev out
		addr add $GW_IN/26 dev in
		link set out up
		link set in up
		route add 10.100.0.64/26 via $VIP_OUT dev out
	EOF
	nsx "$NS_GW" sysctl -qw net.ipv4.ip_forward=1 || return 1
	ip -n "$NS_RW" -batch - <<-EOF || return 1
		link set lo up
		addr add $RW_OUT/24 dev eth0
		link set eth0 up
	EOF
	ip -n "$NS_A" -batch - <<-EOF || return 1
		link set lo up
		addr add $HOST_A/26 dev eth0
		link set eth0 up
		route add default via $VIP_IN
	EOF
	ip -n "$NS_B" -batch - <<-EOF || return 1
		link set lo up
		addr add $HOST_B/26 dev eth0
		link set eth0 up
		route add default via $GW_IN
	EOF
	xha_wait_until 10 nsx "$NS_GW" ping -q -c 1 -W 1 "${OUT[ha2]}" >/dev/null
}

# holder_start NODE: a process in NODE's netns with a private mount
# namespace and a fresh tmpfs on /run (= /var/run): charon's FIFO, vici
# socket and pid file, keepalived's pid files and FIFO and the agent's
# socket and track file are per node.
holder_start() {
	local node=$1 ready=$T/$1/holder.ready keep=''
	rm -f "$ready"
	# A checkout under /run stays visible.
	case $XHA_REPO/ in
	/run/*) keep=$XHA_REPO ;;
	esac
	ip netns exec "${NS[$node]}" unshare -m --propagation private sh -c '
		set -e
		keep=$1 ready=$2 old=$3
		if [ -n "$keep" ]; then mkdir -p "$old"; mount --rbind /run "$old"; fi
		mount -t tmpfs -o mode=0755 tmpfs /run
		if [ -n "$keep" ]; then
			mkdir -p "$keep"
			mount --bind "$old/${keep#/run/}" "$keep"
		fi
		mkdir -p /run/keepalived /run/xfrm-ha
		echo ok >"$ready"
		exec sleep 1000000' holder "$keep" "$ready" "$T/$node/oldrun" \
		>"$T/$node/holder.log" 2>&1 </dev/null &
	HOLDER[$node]=$!
	disown $!
	xha_wait_until 10 test -s "$ready"
}

# ------------------------------------------------------------ configs

# strongswan.conf for NODE; ha nodes include ha.conf (the ha plugin).
# write_strongswan_conf NODE rejoin: the same with resync = no after it
# (a rejoining node asks for its resync itself, see node_rejoin).
write_strongswan_conf() {
	local node=$1 d=$T/$1 routes=no ha=''
	[ "$node" = rw ] && routes=yes
	case $node in ha1 | ha2) ha="include $d/ha.conf" ;; esac
	[ -n "$ha" ] && [ "${2:-}" = rejoin ] &&
		ha+="
# rejoin: no resync request at start (node_rejoin)
charon {
    plugins {
        ha {
            resync = no
        }
    }
}"
	cat >"$d/strongswan.conf" <<-EOF
		# lab node $node (written by ha_ike_lab.sh)
		charon {
		    load = random nonce aes sha1 sha2 hmac kdf gmp curve25519 kernel-netlink socket-default vici updown$([ -n "$ha" ] && echo " ha")
		    install_routes = $routes
		    retransmit_timeout = 2.0
		    retransmit_tries = 4
		    filelog {
		        lab {
		            path = $d/charon.log
		            time_format = %s
		            time_add_ms = yes
		            ike_name = yes
		            flush_line = yes
		            default = 1
		            ike = 1
		            cfg = 1
		        }
		    }
		    syslog {
		        identifier = charon-$node
		    }
		}
		# swanctl: PSKs only, no need for the whole default plugin list
		swanctl {
		    load = pem pkcs1 x509 pubkey random nonce
		}
		$ha
	EOF
}

# The ha plugin of NODE: rendered by the agent in the xfrm-ha run (the
# secret is derived from the HA link key), written by hand in the baseline.
write_ha_conf() {
	local node=$1 d=$T/$1
	if [ "$MODE" = xfrm-ha ]; then
		(umask 077 && "$XHA_AGENT" --render-strongswan --config "$d/agent.json" >"$d/ha.conf") && return 0
		say "ha-ike-agent --render-strongswan failed: writing the ha plugin settings by hand"
	fi
	(umask 077 && cat >"$d/ha.conf") <<-EOF
		charon {
		    plugins {
		        ha {
		            load = yes
		            local = ${HAL[$node]}
		            remote = ${HAL[${OTHER[$node]}]}
		            segment_count = 1
		            monitor = no
		            autobalance = 0
		            resync = yes
		            secret = lab-ha-plugin-secret-0123456789
		            pools {
		                rw = $POOL
		            }
		        }
		    }
		}
	EOF
}

write_agent_conf() {
	local node=$1 d=$T/$1
	cat >"$d/agent.json" <<-EOF
		{
		  "xfrm-ha:vrf": [ { "name": "main", "ike": { "ha": {
		    "listen-ha-group": "vpn",
		    "node-id": ${NODEID[$node]}, "interface": "hal",
		    "local-address": "${HAL[$node]}", "remote-address": "${HAL[${OTHER[$node]}]}",
		    "port": $LAB_AGENT_PORT,
		    "key-file": "$T/ha.key",
		    "control-socket": "/run/xfrm-ha/agent.sock",
		    "track-file": "/run/xfrm-ha/vpn.track",
		    "strongswan": { "control-fifo": "/var/run/charon.ha" },
		    "seqnum-sync": { "oseq-shift": $XHA_OSEQ_SHIFT, "sync-period-time": 1, "sync-period-packets": 2 },
		    "pool": [ { "name": "rw", "address": "$POOL" } ]
		  } } } ],
		  "xfrm-ha:ha": { "group": [
		    { "name": "vpn", "keepalived": { "notify-fifo": "/run/keepalived/notify.fifo",
		      "sync-group": "VPN", "virtual-address": ["$VIP_OUT"] } }
		  ] }
		}
	EOF
}

write_keepalived_conf() {
	local node=$1 d=$T/$1 inst vrid dev vip xha=0
	[ "$MODE" = xfrm-ha ] && xha=1
	{
		echo "# lab node $node, $MODE (written by ha_ike_lab.sh)"
		echo "global_defs {"
		echo "    router_id $node"
		echo "    script_user root"
		echo "    vrrp_garp_master_delay 1"
		echo "    vrrp_garp_master_repeat 3"
		[ "$xha" = 1 ] && echo "    vrrp_notify_fifo /run/keepalived/notify.fifo"
		echo "}"
		if [ "$xha" = 1 ]; then
			# The agent writes 1 while this node's counters are not
			# fresh: 150 - 100 < 100 keeps ha1 from preempting ha2
			# before its bulk sync, alone it still wins. keepalived
			# writes 1 at its start: held until the agent says.
			echo "track_file xha_track {"
			echo "    file /run/xfrm-ha/vpn.track"
			echo "    weight -100"
			echo "    init_file 1 overwrite"
			echo "}"
		fi
		echo "vrrp_sync_group VPN {"
		echo "    group {"
		echo "        VI_IN"
		echo "        VI_OUT"
		echo "    }"
		echo "    notify \"$T/notify.sh $node\""
		if [ "$xha" = 1 ]; then
			echo "    sync_group_tracking_weight"
		else
			# The baseline: VRRP drives the ha plugin directly.
			echo "    notify_master \"$T/charon-ha.sh $node +1\""
			echo "    notify_backup \"$T/charon-ha.sh $node -1\""
			echo "    notify_fault \"$T/charon-ha.sh $node -1\""
			echo "    notify_stop \"$T/charon-ha.sh $node -1\""
		fi
		echo "}"
		for inst in "VI_IN 51 in $VIP_IN/26" "VI_OUT 52 out $VIP_OUT/24"; do
			read -r inst vrid dev vip <<<"$inst"
			echo "vrrp_instance $inst {"
			echo "    state BACKUP"
			echo "    interface $dev"
			echo "    virtual_router_id $vrid"
			echo "    priority ${PRIO[$node]}"
			echo "    advert_int $LAB_ADVERT"
			echo "    virtual_ipaddress {"
			echo "        $vip dev $dev"
			echo "    }"
			if [ "$xha" = 1 ]; then
				echo "    track_file {"
				echo "        xha_track weight -100"
				echo "    }"
			fi
			echo "}"
		done
	} >"$d/keepalived.conf"
}

write_scripts() {
	cat >"$T/notify.sh" <<-EOF
		#!/bin/sh
		# keepalived notify: NODE GROUP|INSTANCE NAME STATE PRIORITY
		echo "\$(date +%s.%N | cut -c1-14) \$1 vrrp \$2 \$3 \$4 \$5" >>$T/timeline
	EOF
	cat >"$T/charon-ha.sh" <<-EOF
		#!/bin/sh
		# baseline: NODE +1|-1 into charon's ha plugin FIFO
		echo "\$(date +%s.%N | cut -c1-14) \$1 fifo \$2" >>$T/timeline
		exec timeout 3 sh -c 'printf "%s" "\$1" >/var/run/charon.ha' sh "\$2"
	EOF
	chmod 755 "$T/notify.sh" "$T/charon-ha.sh"
}

write_swanctl_pair() {	# identical on ha1 and ha2
	cat >"$T/$1/swanctl.conf" <<-EOF
		connections {
		    secgw {
		        version = 2
		        local_addrs = $VIP_OUT
		        remote_addrs = $GW_OUT
		        proposals = aes128-sha256-x25519
		        rekey_time = 0
		        local {
		            auth = psk
		            id = $VIP_OUT
		        }
		        remote {
		            auth = psk
		            id = $GW_OUT
		        }
		        children {
		            site {
		                local_ts = 10.100.0.64/26
		                remote_ts = 10.250.0.192/26
		                esp_proposals = aes128gcm16-esn
		                replay_window = 1024
		                rekey_time = 0
		            }
		        }
		    }
		    rw {
		        version = 2
		        local_addrs = $VIP_OUT
		        pools = rw
		        proposals = aes128-sha256-x25519
		        rekey_time = 0
		        local {
		            auth = psk
		            id = $VIP_OUT
		        }
		        remote {
		            auth = psk
		            id = rw.lab
		        }
		        children {
		            rw {
		                local_ts = 10.100.0.64/26
		                esp_proposals = aes128gcm16-esn
		                replay_window = 1024
		                rekey_time = 0
		            }
		        }
		    }
		}
		secrets {
		    ike-gw {
		        id-a = $GW_OUT
		        id-b = $VIP_OUT
		        secret = $SECRET_GW
		    }
		    ike-rw {
		        id-a = rw.lab
		        id-b = $VIP_OUT
		        secret = $SECRET_RW
		    }
		}
	EOF
}

write_swanctl_gw() {
	cat >"$T/gw/swanctl.conf" <<-EOF
		connections {
		    pair {
		        version = 2
		        local_addrs = $GW_OUT
		        remote_addrs = $VIP_OUT
		        proposals = aes128-sha256-x25519
		        rekey_time = 0
		        # Not 2 s: traffic stops for VRRP's detection time at a
		        # crash, and a DPD the SecGW starts then has been seen to go
		        # unanswered by the new master (the ha plugin's responder
		        # message ID did not match; strongSwan's, not xfrm-ha's), so
		        # the SecGW deleted the IKE_SA. DPD is checked on the road
		        # warrior's IKE_SA instead.
		        dpd_delay = 30s
		        local {
		            auth = psk
		            id = $GW_OUT
		        }
		        remote {
		            auth = psk
		            id = $VIP_OUT
		        }
		        children {
		            site {
		                local_ts = 10.250.0.192/26
		                remote_ts = 10.100.0.64/26
		                esp_proposals = aes128gcm16-esn
		                replay_window = 1024
		                rekey_time = 0
		            }
		        }
		    }
		}
		secrets {
		    ike-gw {
		        id-a = $GW_OUT
		        id-b = $VIP_OUT
		        secret = $SECRET_GW
		    }
		}
	EOF
}

write_swanctl_rw() {
	cat >"$T/rw/swanctl.conf" <<-EOF
		connections {
		    home {
		        version = 2
		        local_addrs = $RW_OUT
		        remote_addrs = $VIP_OUT
		        vips = 0.0.0.0
		        proposals = aes128-sha256-x25519
		        rekey_time = 0
		        dpd_delay = 2s
		        local {
		            auth = psk
		            id = rw.lab
		        }
		        remote {
		            auth = psk
		            id = $VIP_OUT
		        }
		        children {
		            home {
		                remote_ts = 10.100.0.64/26
		                esp_proposals = aes128gcm16-esn
		                replay_window = 1024
		                rekey_time = 0
		            }
		        }
		    }
		}
		secrets {
		    ike-rw {
		        id-a = rw.lab
		        id-b = $VIP_OUT
		        secret = $SECRET_RW
		    }
		}
	EOF
}

# ------------------------------------------------------------ daemons

swan() {	# swan NODE ARGS...: swanctl against NODE's charon
	local node=$1
	shift
	nx "$node" env STRONGSWAN_CONF="$T/$node/strongswan.conf" \
		swanctl "$@"
}

charon_start() {
	local node=$1
	nx "$node" env STRONGSWAN_CONF="$T/$node/strongswan.conf" "$CHARON" \
		>>"$T/$node/charon.out" 2>&1 </dev/null &
	PIDS+=($!)
	disown $!
	if ! xha_wait_until 30 nx "$node" test -S /var/run/charon.vici; then
		say "$node: charon did not open its vici socket"
		say "$(tail -n 20 "$T/$node/charon.log" "$T/$node/charon.out" 2>/dev/null)"
		return 1
	fi
	if ! swan "$node" --load-all --file "$T/$node/swanctl.conf" >"$T/$node/swanctl-load.out" 2>&1; then
		say "$node: swanctl --load-all failed:"
		say "$(cat "$T/$node/swanctl-load.out")"
		return 1
	fi
}

agent_start() {
	local node=$1
	nx "$node" "$XHA_AGENT" --config "$T/$node/agent.json" -v >>"$T/$node/agent.log" 2>&1 </dev/null &
	PIDS+=($!)
	disown $!
	# It creates keepalived's FIFO and the track file.
	xha_wait_until 10 nx "$node" test -S /run/xfrm-ha/agent.sock || {
		say "$node: ha-ike-agent did not open its control socket:"
		say "$(tail -n 20 "$T/$node/agent.log")"
		return 1
	}
}

keepalived_start() {
	local node=$1
	nx "$node" keepalived -n -D -P -f "$T/$node/keepalived.conf" \
		-p /run/keepalived/keepalived.pid -r /run/keepalived/vrrp.pid \
		>>"$T/$node/keepalived.log" 2>&1 </dev/null &
	KA_PID[$node]=$!
	PIDS+=($!)
	disown $!
}
declare -A KA_PID=()
RJ_LOG0=0	# lines of the rejoining node's charon.log before its reboot

# node_boot NODE [rejoin]: fresh /run, then charon (+ agent) + keepalived;
# rejoin: charon gets the active node's IKE_SAs before the others start.
node_boot() {
	local node=$1
	holder_start "$node" || { say "$node: cannot create its mount namespace: $(cat "$T/$node/holder.log")"; return 1; }
	charon_start "$node" || return 1
	if [ "${2:-}" = rejoin ]; then
		node_rejoin "$node" || return 1
	fi
	if [ "$MODE" = xfrm-ha ]; then
		agent_start "$node" || return 1
	fi
	keepalived_start "$node"
}

# node_crash NODE: every process of the node dies at once, links down.
node_crash() {
	local node=$1
	# shellcheck disable=SC2046 # a list of pids
	kill -KILL $(ip netns pids "${NS[$node]}") 2>/dev/null
	ip -n "${NS[$node]}" -batch - <<-EOF
		link set out down
		link set in down
		link set hal down
	EOF
	HOLDER[$node]=''
}

# node_reboot NODE: what a reboot leaves: no SAs, no VIPs, links up.
node_reboot() {
	local node=$1
	ip -n "${NS[$node]}" -batch - <<-EOF
		xfrm state flush
		xfrm policy flush
		addr flush dev out
		addr flush dev in
		addr add ${OUT[$node]}/24 dev out
		addr add ${IN[$node]}/26 dev in
		link set out up
		link set in up
		link set hal up
		route add 10.250.0.192/26 via $GW_OUT dev out
		route add $POOL via $GW_OUT dev out
	EOF
	write_strongswan_conf "$node" rejoin
	RJ_LOG0=$(cat "$T/$node/charon.log" 2>/dev/null | wc -l)
	node_boot "$node" rejoin
}

# The resync of a rejoining node must come after its connections are
# loaded. With resync = yes, charon's ha plugin asks the active node for a
# resync from a scheduler job one second after the plugin is loaded; the
# active node pushes its cached IKE_SAs and rekeys every CHILD_SA. Under
# TCG that often lands before swanctl --load-all has loaded the
# connections: charon then logs "HA is missing nodes peer configuration",
# drops the IKE_SA (and its CHILD_SAs) for good, and the node takes over
# without them. Loading them from charon's own start-scripts does not
# order it either: charon runs them after its threads, and so the
# scheduler, have started. So the rejoining node starts with resync = no
# (write_strongswan_conf NODE rejoin), loads its connections
# (charon_start), and only then asks the active node: "*1" into the
# active node's control FIFO is what charon's HA_RESYNC request makes it
# do (resync segment 1: push the cached IKE_SAs, rekey the CHILD_SAs). An
# operator does the same: write "*1" into the active node's
# /var/run/charon.ha once the rejoining node has loaded its connections.
# node_rejoin NODE: that, until NODE holds passive copies of the IKE_SAs
# and CHILD_SAs of both connections (a lost FIFO write: asked again).
node_rejoin() {
	local node=$1 act=${OTHER[$1]} i t0 log
	for i in 1 2 3; do
		t0=$(now)
		mark "$node: connections loaded; $act's charon asked to resync segment 1 (*1 into its FIFO)"
		nx "$act" timeout 3 sh -c 'printf "%s" "*1" >/var/run/charon.ha' ||
			say "$node: cannot write *1 into $act's charon FIFO"
		if xha_wait_until 10 passive_copies "$node"; then
			log=$(tail -n +$((RJ_LOG0 + 1)) "$T/$node/charon.log")
			say "$node rejoined: passive IKE_SAs + CHILD_SAs $(ms_between "$t0" "$(now)")ms after *1 into $act's FIFO (attempt $i);" \
				"its charon requested a resync itself: $(grep -c 'requesting HA resynchronization' <<<"$log")x," \
				"'HA is missing nodes peer configuration': $(grep -c 'missing nodes peer configuration' <<<"$log")x"
			return 0
		fi
	done
	say "$node: no passive IKE_SAs after 3 resyncs from $act: $(swan "$node" --list-sas --raw 2>&1 | tr '\n' ' ')"
	say "$(grep -E 'HA|resync' "$T/$node/charon.log" | tail -n 10)"
	return 1
}

# passive_copies NODE: NODE holds a PASSIVE IKE_SA with a CHILD_SA for the
# SecGW and for the road warrior (the lab's two).
passive_copies() {
	local c
	for c in secgw rw; do
		swan "$1" --list-sas --ike "$c" --raw 2>/dev/null | grep -q 'state=PASSIVE.*spi-in=' || return 1
	done
}

# has_vip NODE: the outside VIP is on NODE's outside link, and that is up
# (a crashed node keeps its addresses on links that are down).
has_vip() { ip -n "${NS[$1]}" -4 addr show dev out up 2>/dev/null | grep -q " $VIP_OUT/"; }
is_master() { has_vip "$1" && ! has_vip "${OTHER[$1]}"; }

# agent_link_block NODE on|off: drop the agent's HA link port in NODE's
# netns, both ways; charon's ha plugin on the same addresses (UDP 4510)
# and VRRP are untouched. The netns outlives a node reboot.
agent_link_block() {
	local ns=${NS[$1]} p=$LAB_AGENT_PORT
	if [ "$2" = off ]; then
		nsx "$ns" nft delete table inet lab_hold
		return
	fi
	nsx "$ns" nft -f - <<-EOF
		table inet lab_hold {
			chain in {
				type filter hook input priority 0; policy accept;
				udp dport $p counter drop
				udp sport $p counter drop
			}
			chain out {
				type filter hook output priority 0; policy accept;
				udp dport $p counter drop
				udp sport $p counter drop
			}
		}
	EOF
}

# agent_log_ts FILE FROM REGEX: epoch seconds (ms) of the first line of
# the agent's log FILE after line FROM that matches REGEX.
agent_log_ts() {
	local t
	t=$(tail -n +$(($2 + 1)) "$1" | grep -E "$3" | head -n1 | cut -d' ' -f1)
	[ -n "$t" ] && date -d "$(date +%F) $t" +%s.%3N
}

# hold_watch NODE SECONDS: sample every ~200 ms (builtins only, no fork
# but sleep: fast enough under TCG) that NODE stays BACKUP (no VIP, no MASTER
# notify since line TL0 of the timeline), that its track file reads 1 and
# that the other node keeps the VIPs. Sets HW_N (samples) and HW_VIP,
# HW_TRACK, HW_OTHER, HW_MASTER (the first violations); non-zero on any.
hold_watch() {
	local node=$1 other=${OTHER[$1]} end t v a b
	local track=/proc/${HOLDER[$node]}/root/run/xfrm-ha/vpn.track
	# the VIP is a local address of a netns: its /32 host LOCAL route
	local vip=$'-- '"${VIP_OUT//./\\.}"$'\n[[:space:]]*/32 host LOCAL'
	HW_N=0 HW_VIP='' HW_TRACK='' HW_OTHER='' HW_MASTER=''
	t=${EPOCHREALTIME/./}
	end=$((${t:0:13} + $2 * 1000))
	while t=${EPOCHREALTIME/./}; [ "${t:0:13}" -lt "$end" ]; do
		HW_N=$((HW_N + 1))
		t=${EPOCHREALTIME:0:14}
		a='' b='' v=''
		read -r -d '' a <"/proc/${HOLDER[$node]}/net/fib_trie"
		read -r -d '' b <"/proc/${HOLDER[$other]}/net/fib_trie"
		read -r v <"$track" 2>/dev/null
		# keepalived's init_file rewrites it in place: read once more
		[ -n "$v" ] || { sleep 0.05; read -r v <"$track" 2>/dev/null; }
		[[ $a =~ $vip ]] && [ -z "$HW_VIP" ] && HW_VIP=$t
		[ "$v" != 1 ] && [ -z "$HW_TRACK" ] && HW_TRACK="$t (read '$v')"
		[[ $b =~ $vip ]] || { [ -z "$HW_OTHER" ] && HW_OTHER=$t; }
		sleep 0.2
	done
	HW_MASTER=$(tail -n +$((TL0 + 1)) "$T/timeline" | grep -E " $node vrrp [A-Z]+ [A-Z_0-9]+ MASTER" | head -n1 | cut -d' ' -f1)
	[ -z "$HW_VIP$HW_TRACK$HW_OTHER$HW_MASTER" ]
}

# ------------------------------------------------------------ state

# ike_info NODE CONN: "state ispi rspi vip child-spis..." of CONN's IKE_SA.
ike_info() {
	swan "$1" --list-sas --ike "$2" --raw 2>/dev/null | awk '
		{
			s = $0
			st = ""; if (match(s, /state=[A-Z_]+/)) st = substr(s, RSTART + 6, RLENGTH - 6)
			i = ""; if (match(s, /initiator-spi=[0-9a-f]+/)) i = substr(s, RSTART + 14, RLENGTH - 14)
			r = ""; if (match(s, /responder-spi=[0-9a-f]+/)) r = substr(s, RSTART + 14, RLENGTH - 14)
			v = "-"; if (match(s, /local-vips=\[[0-9.]+/)) v = substr(s, RSTART + 12, RLENGTH - 12)
			c = ""
			while (match(s, /spi-in=[0-9a-f]+/)) { c = c " " substr(s, RSTART + 7, RLENGTH - 7); s = substr(s, RSTART + RLENGTH) }
			if (st != "") { print st, i, r, v c; exit }
		}'
}

# gw_drops: "seqerr protoerr nostates invalid perSA" at SecGW: the
# xfrm_stat counters and the sum of the per-SA replay-window + replay +
# integrity failures of its inbound SAs (from the pair).
gw_drops() {
	local st sa
	st=$(xha_xfrm_stats "$NS_GW")
	sa=$(ip -n "$NS_GW" -s xfrm state list 2>/dev/null | awk -v me="$GW_OUT" '
		/^src / { inb = ($4 == me) }
		inb && /replay-window [0-9]+ replay [0-9]+ failed [0-9]+/ { t += $2 + $4 + $6 }
		END { print t + 0 }')
	echo "$(xha_stat_get "$st" XfrmInStateSeqError) $(xha_stat_get "$st" XfrmInStateProtoError)" \
		"$(xha_stat_get "$st" XfrmInNoStates) $(xha_stat_get "$st" XfrmInStateInvalid) $sa"
}

# ------------------------------------------------------------ traffic

traffic_start() {
	: >"$T/a.out"
	: >"$T/b.out"
	ip netns exec "$NS_A" "$UDPSEQ" -b "$HOST_A:5001" -p "$HOST_B:5001" -r "$RATE" -g 100 -n b2a -o "$T/a.out" </dev/null &
	TR_A=$!
	ip netns exec "$NS_B" "$UDPSEQ" -b "$HOST_B:5001" -p "$HOST_A:5001" -r "$RATE" -g 100 -n a2b -o "$T/b.out" </dev/null &
	TR_B=$!
	PIDS+=("$TR_A" "$TR_B")
	# Signals are handled once it says "start".
	xha_wait_until 10 grep -q '^udpseq start' "$T/a.out" &&
		xha_wait_until 10 grep -q '^udpseq start' "$T/b.out"
}

# last_snap FILE KEY: KEY of the last summary line (snap or final).
last_snap() {
	grep -E '^udpseq (snap|final) ' "$1" | tail -n1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# snap: both udpseq print a fresh "snap" summary.
nsnaps() { grep -c '^udpseq snap ' "$1"; }
snapped() { [ "$(nsnaps "$T/a.out")" -gt "$1" ] && [ "$(nsnaps "$T/b.out")" -gt "$2" ]; }
snap() {
	local na nb
	na=$(nsnaps "$T/a.out") nb=$(nsnaps "$T/b.out")
	kill -USR1 "$TR_A" "$TR_B" 2>/dev/null
	xha_wait_until 5 snapped "$na" "$nb"
}

# flowing: both receivers got a packet within the last second.
flowing() {
	local a b
	snap
	a=$(last_snap "$T/a.out" open_gap_ms)
	b=$(last_snap "$T/b.out" open_gap_ms)
	FLOW="open gaps: b->a ${a:-?}ms, a->b ${b:-?}ms"
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt 1000 ] && [ "$b" -lt 1000 ] &&
		[ "$(last_snap "$T/a.out" uniq)" -gt 0 ] && [ "$(last_snap "$T/b.out" uniq)" -gt 0 ]
}

# gaps_between FILE T0 T1: "longest_ms missing count" of the gaps that
# started in [T0, T1], plus an open gap (no packet since before T1).
gaps_between() {
	local open
	snap
	open=$(last_snap "$1" open_gap_ms)
	awk -v t0="$2" -v t1="$3" -v open="${open:-0}" '
		/^udpseq gap / {
			for (i = 3; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
			if (f["start"] + 0 >= t0 - 0.2 && f["start"] + 0 <= t1) {
				n++; miss += f["missing"]; if (f["ms"] + 0 > max) max = f["ms"] + 0
			}
		}
		END { if (open + 0 > 500 && open + 0 > max) max = open; printf "%d %d %d\n", max, miss, n }' "$1"
}

# ------------------------------------------------------------ report

# carried_table FROM TO: the counters of the SAs of the VIP (site and
# road warrior, not the ha plugin's own) on FROM and TO (before a failover).
carried_table() {
	local from=$1 to=$2 k spi o1 s1 o2 s2 line dir
	xha_sa_load "${NS[$from]}" "${NS[$to]}"
	ip -n "${NS[$from]}" xfrm state list 2>/dev/null | awk -v vip="$VIP_OUT" '
		/^src / { s = $2; d = $4 }
		/proto esp spi / && (s == vip || d == vip) { print (s == vip ? "out" : "in"), $4 }' |
	while read -r dir spi; do
		k="${NS[$from]} $((spi))"
		read -r o1 s1 _ <<<"${XHA_SA[$k]:-- - -}"
		read -r o2 s2 _ <<<"${XHA_SA["${NS[$to]} $((spi))"]:-- - -}"
		line=$(printf '  %-3s spi %s  %s oseq %-8s seq %-8s | %s oseq %-8s seq %-8s' \
			"$dir" "$spi" "$from" "$o1" "$s1" "$to" "$o2" "$s2")
		if [ "$o2" != - ] && [ "$o1" != - ]; then
			if [ "$dir" = out ]; then
				line+=$(printf '  oseq %+d' $((o2 - o1)))
			else
				line+=$(printf '  seq %+d' $((s2 - s1)))
			fi
		fi
		echo "$line"
	done | sort
}

timeline() {
	local n f t
	{
		cat "$T/timeline" 2>/dev/null
		for n in ha1 ha2; do
			for f in "$T/$n"/agent.log*; do
				[ -f "$f" ] || continue
				# "HH:MM:SS.mmm ha-ike-agent: info: role: ..." in UTC/local time
				grep -E 'role: |bulk sync #[0-9]+ complete|strongSwan: HA segment|keepalived track file|HA group vpn: ' "$f" |
					while read -r t rest; do
						echo "$(date -d "$(date +%F) $t" +%s.%3N 2>/dev/null || echo 0) $n agent ${rest#ha-ike-agent: info: }"
					done
			done
			for f in "$T/$n"/charon.log*; do
				[ -f "$f" ] || continue
				grep -E 'HA segment [0-9]+ (de)?activated|requesting HA resynchronization|resyncing' "$f" |
					awk -v n="$n" '{ t = $1; $1 = ""; $2 = ""; sub(/^ +/, ""); print t, n, "charon", $0 }'
			done
		done
	} | sort -n -k1,1 | awk -v t0="${R[t0]:-0}" '{ t = $1; $1 = ""; printf "  %+9.3fs %s\n", t - t0, substr($0, 2) }'
}

# ------------------------------------------------------------ run

ev_before() {	# ev_before NAME: counters before an event
	EV=$1
	read -r B_SEQ B_PROTO B_NOST B_INV B_SA <<<"$(gw_drops)"
	B_GW_IKE=$(ike_info gw pair | awk '{ print $2, $3 }')
	B_RW=$(ike_info rw home | awk '{ print $2, $3, $4 }')
	B_RWLOG=$(wc -l <"$T/rw/charon.log")
}

# ev_checks NAME NEWMASTER T_EVENT: the checks after a failover/failback.
ev_checks() {
	local ev=$1 m=$2 t_ev=$3 ok why a b ga gb sa pr nost inv dsa gw rw i new
	# 1. VIPs
	if xha_wait_until 20 is_master "$m"; then
		check "$ev: $m holds the virtual addresses" 0
	else
		check "$ev: $m holds the virtual addresses" 1 "VIP $VIP_OUT on ha1: $(has_vip ha1 && echo yes || echo no), ha2: $(has_vip ha2 && echo yes || echo no)"
	fi
	# 2. traffic resumes
	xha_wait_until 15 flowing
	sleep 2
	read -r ga _ <<<"$(gaps_between "$T/b.out" "$t_ev" "$(now)")"
	read -r gb _ <<<"$(gaps_between "$T/a.out" "$t_ev" "$(now)")"
	R[$MODE.$ev.gap_a2b]=$ga R[$MODE.$ev.gap_b2a]=$gb
	ok=0 why=''
	flowing || { ok=1; why="not flowing now ($FLOW); "; }
	[ "$ga" -le "$LAB_RESUME_MS" ] && [ "$gb" -le "$LAB_RESUME_MS" ] || ok=1
	check "$ev: traffic resumes within ${LAB_RESUME_MS}ms both ways (a->b ${ga}ms, b->a ${gb}ms)" $ok \
		"${why}longest gaps a->b ${ga}ms b->a ${gb}ms"
	# 4. the same IKE_SA; a CHILD_SA rekey on the new master
	ok=0 why=''
	gw=$(ike_info gw pair)
	read -r _ i _ <<<"$gw"
	[ "$(echo "$gw" | awk '{ print $2, $3 }')" = "$B_GW_IKE" ] || { ok=1; why="SecGW's IKE_SA changed: was $B_GW_IKE, now ${gw:-none}; "; }
	if swan "$m" --rekey --child site >"$T/rekey-$ev.out" 2>&1; then
		local old
		old=$(echo "$gw" | cut -d' ' -f5-)
		if xha_wait_until 15 eval '[ "$(ike_info gw pair | cut -d" " -f5-)" != "$old" ] && [ -n "$(ike_info gw pair | cut -d" " -f5-)" ]'; then
			new=$(ike_info gw pair)
			[ "$(echo "$new" | awk '{ print $2, $3 }')" = "$B_GW_IKE" ] || { ok=1; why+="the rekey replaced the IKE_SA; "; }
		else
			ok=1 why+="no new CHILD_SA at SecGW after the rekey; "
		fi
	else
		ok=1 why+="swanctl --rekey on $m failed: $(tail -n 2 "$T/rekey-$ev.out" | tr '\n' ' '); "
	fi
	check "$ev: same IKE_SA at SecGW, CHILD_SA rekey initiated by $m succeeds on it" $ok "$why"
	# 5. road warrior: same IKE_SA and VIP, DPD answered, ping through
	ok=0 why=''
	xha_wait_until 12 eval '[ "$(tail -n +$((B_RWLOG + 1)) "$T/rw/charon.log" | grep -c "parsed INFORMATIONAL response")" -ge 1 ]' ||
		{ ok=1; why+="no DPD answered since the event; "; }
	rw=$(ike_info rw home)
	[ "$(echo "$rw" | awk '{ print $2, $3, $4 }')" = "$B_RW" ] || { ok=1; why+="road warrior IKE_SA/VIP was '$B_RW', now '${rw:-none}'; "; }
	nsx "$NS_RW" ping -q -c 3 -i 0.2 -W 2 -I "${B_RW##* }" "$HOST_A" >/dev/null 2>&1 || { ok=1; why+="ping from ${B_RW##* } to $HOST_A failed; "; }
	check "$ev: road warrior keeps its IKE_SA and virtual IP ${B_RW##* }, DPD answered by $m" $ok "$why"
	# 3. SecGW drops, over the whole event including the rekey
	sleep 1
	read -r sa pr nost inv dsa <<<"$(gw_drops)"
	R[$MODE.$ev.seqerr]=$((sa - B_SEQ)) R[$MODE.$ev.protoerr]=$((pr - B_PROTO))
	R[$MODE.$ev.nostates]=$((nost - B_NOST)) R[$MODE.$ev.sa_drops]=$((dsa - B_SA))
	ok=0
	[ $((sa - B_SEQ)) = 0 ] && [ $((pr - B_PROTO)) = 0 ] && [ $((dsa - B_SA)) -le 0 ] || ok=1
	check "$ev: SecGW dropped nothing as replay or ICV failure" $ok \
		"XfrmInStateSeqError +$((sa - B_SEQ)), XfrmInStateProtoError +$((pr - B_PROTO)), per-SA replay/integrity failures +$((dsa - B_SA))"
}

# scenario xfrm-ha|baseline
scenario() {
	MODE=$1
	local n t_ev t_boot ok why t_master t_bulk t_track t_ka t_unblock ga gb plan
	if [ "$MODE" = xfrm-ha ]; then plan=21; else plan=5; fi
	local start_n=$ktap_n
	T=$(mktemp -d "/tmp/lab-$MODE.XXXXXX")
	mkdir -p "$T"/{ha1,ha2,gw,rw}
	R[$MODE.dir]=$T
	if [ "$MODE" = xfrm-ha ]; then
		vbanner "Run 1: WITH xfrm-ha (ha-ike-agent on ha1 and ha2, driven by keepalived)"
	else
		vbanner "Run 2: BASELINE, strongSwan's ha plugin alone (keepalived notify scripts drive it): must fail"
	fi
	R[t0]=$(now)

	ok=0 why=''
	write_scripts
	if [ "$MODE" = xfrm-ha ]; then
		(umask 077 && "$XHA_AGENT" --genkey >"$T/ha.key") || { ok=1; why+="ha-ike-agent --genkey failed; "; }
	fi
	for n in ha1 ha2; do
		[ "$MODE" = xfrm-ha ] && write_agent_conf "$n"
		if [ "$MODE" = xfrm-ha ] && ! out=$("$XHA_AGENT" --check --config "$T/$n/agent.json" 2>&1); then
			ok=1 why+="agent config of $n refused: $out; "
		fi
		write_ha_conf "$n"
		write_strongswan_conf "$n"
		write_swanctl_pair "$n"
		write_keepalived_conf "$n"
	done
	for n in gw rw; do
		write_strongswan_conf "$n"
	done
	write_swanctl_gw
	write_swanctl_rw
	if [ "$ok" = 0 ]; then
		topo_up || { ok=1; why+="topology; "; }
	fi
	if [ "$ok" = 0 ]; then
		mark "boot ha1, ha2, SecGW, road warrior"
		for n in gw rw ha1 ha2; do
			if [ "$n" = gw ] || [ "$n" = rw ]; then
				holder_start "$n" && charon_start "$n" || { ok=1; why+="$n: charon; "; }
			else
				node_boot "$n" || { ok=1; why+="$n: boot; "; }
			fi
		done
	fi
	if [ "$ok" = 0 ] && ! xha_wait_until 30 is_master ha1; then
		ok=1 why+="ha1 is not MASTER after 30s; "
	fi
	check "topology, charon on 4 nodes, keepalived on ha1/ha2, ha1 MASTER" $ok "$why"
	if [ "$ok" != 0 ]; then
		scenario_end "$start_n" "$plan"
		return
	fi
	vsay "ha1 holds $VIP_OUT and $VIP_IN; charon runs on ha1, ha2 (ha plugin over ${HAL[ha1]} <-> ${HAL[ha2]}), SecGW and the road warrior"
	vrun cat "$T/ha1/keepalived.conf"
	[ "$MODE" = xfrm-ha ] && vrun cat "$T/ha1/agent.json"
	vrun sed 's/secret = .*/secret = <derived from the HA link key>/' "$T/ha1/ha.conf"

	# IKE: SecGW initiates to the VIP, the road warrior too.
	ok=0 why=''
	xha_wait_until 10 eval 'grep -q "HA segment 1 activated" "$T/ha1/charon.log"' || why+="ha1's charon did not activate segment 1; "
	swan gw --initiate --ike pair --child site >"$T/gw/initiate.out" 2>&1 || { ok=1; why+="SecGW initiate failed; "; }
	swan rw --initiate --ike home --child home >"$T/rw/initiate.out" 2>&1 || { ok=1; why+="road warrior initiate failed; "; }
	R[gw_ike]=$(ike_info gw pair)
	R[rw_ike]=$(ike_info rw home)
	case ${R[rw_ike]} in ESTABLISHED*" 10.99.0."*) ;; *) ok=1; why+="road warrior: '${R[rw_ike]}'; " ;; esac
	case ${R[gw_ike]} in ESTABLISHED*) ;; *) ok=1; why+="SecGW: '${R[gw_ike]}'; " ;; esac
	# ha2 learnt the IKE_SA and the CHILD_SA (passive)
	xha_wait_until 10 eval 'swan ha2 --list-sas --ike secgw --raw | grep -q "state=PASSIVE"' || { ok=1; why+="ha2 has no passive copy of the IKE_SA; "; }
	check "IKE_SA + CHILD_SA SecGW <-> $VIP_OUT (ESN, window 1024), road warrior with a virtual IP from the HA pool, passive copies on ha2" $ok "$why"
	if [ "$ok" != 0 ]; then
		say "$(tail -n 30 "$T/gw/charon.log")"
		scenario_end "$start_n" "$plan"
		return
	fi
	vsay "SecGW: IKE_SA ${R[gw_ike]}"
	vsay "road warrior: IKE_SA ${R[rw_ike]}"
	vrun ip -n "$NS_GW" xfrm state

	traffic_start
	mark "udpseq: $RATE packets/s each way between $HOST_A and $HOST_B"
	xha_wait_until 10 flowing
	sleep 2
	if flowing; then ok=0; else ok=1; fi
	check "UDP stream both ways through ha1 ($RATE packets/s each way)" $ok "$FLOW"

	if [ "$MODE" = xfrm-ha ]; then
		ok=0
		xha_wait_until 20 eval '[ "$(nx ha2 cat /run/xfrm-ha/vpn.track 2>/dev/null)" = 0 ] && grep -q "bulk sync #[0-9]* complete" "$T/ha2/agent.log"' || ok=1
		check "ha-ike-agent on ha1 and ha2, ha2 bulk-synced (track file 0)" $ok \
			"ha2 track file: $(nx ha2 cat /run/xfrm-ha/vpn.track 2>&1); $(tail -n 5 "$T/ha2/agent.log" | tr '\n' ' ')"
	fi
	sleep "$LAB_STEADY"

	# ---- failover: ha1 crashes
	ev_before failover
	R[$MODE.carried1]=$(carried_table ha1 ha2)
	vsay "counters before the failover (ha1 active, ha2 backup):"
	[ "$XHA_VERBOSE" = 1 ] && say "${R[$MODE.carried1]}"
	t_ev=$(now)
	mark "FAILOVER: ha1 crashes (all processes killed, links down)"
	node_crash ha1
	R[$MODE.failover.t]=$t_ev
	if [ "$MODE" = baseline ]; then
		local ga gb sa pr dsa
		if xha_wait_until 20 is_master ha2; then
			check "failover: ha2 holds the virtual addresses" 0
		else
			check "failover: ha2 holds the virtual addresses" 1 "no VIP on ha2"
		fi
		sleep 8
		read -r ga _ <<<"$(gaps_between "$T/b.out" "$t_ev" "$(now)")"
		read -r gb _ <<<"$(gaps_between "$T/a.out" "$t_ev" "$(now)")"
		read -r sa pr _ _ dsa <<<"$(gw_drops)"
		R[$MODE.failover.gap_a2b]=$ga R[$MODE.failover.gap_b2a]=$gb
		R[$MODE.failover.seqerr]=$((sa - B_SEQ)) R[$MODE.failover.protoerr]=$((pr - B_PROTO))
		R[$MODE.failover.sa_drops]=$((dsa - B_SA))
		if [ $((sa - B_SEQ + pr - B_PROTO)) -gt 0 ] || [ "$ga" -gt "$LAB_RESUME_MS" ] || [ "$gb" -gt "$LAB_RESUME_MS" ]; then
			check "failover without xfrm-ha fails: SecGW drops ha2's ESP (SeqError +$((sa - B_SEQ)), ProtoError +$((pr - B_PROTO))) or the stream stalls (a->b ${ga}ms, b->a ${gb}ms)" 0
		else
			check "failover without xfrm-ha fails: SecGW drops ha2's ESP or the stream stalls" 1 \
				"no drops at SecGW and the stream resumed (a->b ${ga}ms, b->a ${gb}ms): the test cannot tell"
		fi
		scenario_end "$start_n" "$plan"
		return
	fi
	ev_checks failover ha2 "$t_ev"
	sleep "$LAB_STEADY"

	# ---- failback: ha1 reboots, is held off while its agent cannot
	# sync, then syncs and preempts
	ev_before failback
	B_AGLOG=$(wc -l <"$T/ha1/agent.log")
	TL0=$(wc -l <"$T/timeline")
	ok=0 why=''
	agent_link_block ha1 on || { ok=1; why+="nft: cannot block UDP $LAB_AGENT_PORT on ha1; "; }
	t_boot=$(now)
	R[$MODE.failback.t]=$t_boot
	mark "FAILBACK: ha1 reboots (charon, agent, keepalived), its agent's UDP $LAB_AGENT_PORT blocked for ${LAB_HOLD}s: ha1 must stay BACKUP"
	node_reboot ha1 || { ok=1; why+="ha1: reboot failed; "; }
	t_ka=$(now)	# keepalived started: it could preempt from here on
	hold_watch ha1 "$LAB_HOLD" || ok=1
	[ -n "$HW_VIP" ] && why+="ha1 took the VIPs $(ms_between "$t_ka" "$HW_VIP")ms after keepalived started; "
	[ -n "$HW_MASTER" ] && why+="ha1 MASTER notify $(ms_between "$t_ka" "$HW_MASTER")ms after keepalived started; "
	[ -n "$HW_TRACK" ] && why+="ha1's track file not 1 at ${HW_TRACK}; "
	[ -n "$HW_OTHER" ] && why+="ha2 lost the VIPs $(ms_between "$t_ka" "$HW_OTHER")ms after keepalived started; "
	tail -n +$((TL0 + 1)) "$T/timeline" | grep -qE " ha1 vrrp GROUP VPN BACKUP" ||
		{ ok=1; why+="ha1's keepalived never reported BACKUP; "; }
	if [ -n "$(agent_log_ts "$T/ha1/agent.log" "$B_AGLOG" 'bulk sync #[0-9]+ complete')" ]; then
		ok=1 why+="ha1's agent bulk-synced although its port was blocked; "
	fi
	read -r ga _ <<<"$(gaps_between "$T/b.out" "$t_boot" "$(now)")"
	read -r gb _ <<<"$(gaps_between "$T/a.out" "$t_boot" "$(now)")"
	flowing || { ok=1; why+="not flowing at the end of the window ($FLOW); "; }
	[ "$ga" -lt 1000 ] && [ "$gb" -lt 1000 ] || { ok=1; why+="gaps during the window: a->b ${ga}ms, b->a ${gb}ms; "; }
	# ... and still BACKUP after these checks, up to the unblock
	has_vip ha1 && { ok=1; why+="ha1 has the VIPs at the end of the window; "; }
	if [ -z "$HW_MASTER" ]; then
		HW_MASTER=$(tail -n +$((TL0 + 1)) "$T/timeline" | grep -E " ha1 vrrp [A-Z]+ [A-Z_0-9]+ MASTER" | head -n1 | cut -d' ' -f1)
		[ -n "$HW_MASTER" ] && { ok=1; why+="ha1 MASTER notify $(ms_between "$t_ka" "$HW_MASTER")ms after keepalived started; "; }
	fi
	t_unblock=$(now)
	R[$MODE.failback.held_ms]=$(ms_between "$t_ka" "$t_unblock")
	check "failback: ha1 held BACKUP ${R[$MODE.failback.held_ms]}ms after keepalived started while its agent cannot sync (UDP $LAB_AGENT_PORT blocked; $HW_N samples: no VIP, track file 1), ha2 MASTER and forwarding (longest gaps ${ga}/${gb}ms)" $ok "$why"

	# Unblocked: the agent bulk-syncs, the track file goes to 0, ha1 preempts.
	mark "ha1: UDP $LAB_AGENT_PORT unblocked"
	agent_link_block ha1 off || say "nft: cannot unblock UDP $LAB_AGENT_PORT on ha1"
	t_master=''
	if xha_wait_until "$LAB_PREEMPT" is_master ha1; then
		t_master=$(tail -n +$((TL0 + 1)) "$T/timeline" | grep -E ' ha1 vrrp GROUP VPN MASTER' | head -n1 | cut -d' ' -f1)
	fi
	t_bulk=$(agent_log_ts "$T/ha1/agent.log" "$B_AGLOG" 'bulk sync #[0-9]+ complete')
	t_track=$(agent_log_ts "$T/ha1/agent.log" "$B_AGLOG" 'keepalived track file .* = 0')
	R[$MODE.failback.bulk_ms]=$([ -n "$t_bulk" ] && ms_between "$t_unblock" "$t_bulk")
	R[$MODE.failback.track0_ms]=$([ -n "$t_track" ] && ms_between "$t_unblock" "$t_track")
	R[$MODE.failback.master_ms]=$([ -n "$t_master" ] && ms_between "$t_unblock" "$t_master")
	ok=1
	if [ -n "$t_master" ] && [ -n "$t_bulk" ] && [ -n "$t_track" ] &&
		awk -v m="$t_master" -v b="$t_bulk" -v k="$t_track" 'BEGIN { exit !(m >= b && m >= k) }'; then
		ok=0
	fi
	check "failback: unblocked, ha1's agent bulk-syncs (+${R[$MODE.failback.bulk_ms]:-?}ms), track file 0 (+${R[$MODE.failback.track0_ms]:-?}ms), then ha1 preempts (MASTER +${R[$MODE.failback.master_ms]:-?}ms, limit ${LAB_PREEMPT}s)" $ok \
		"MASTER at ${t_master:-never}, bulk sync received at ${t_bulk:-never}, track file 0 at ${t_track:-never}; track file now: $(nx ha1 cat /run/xfrm-ha/vpn.track 2>&1)"
	ev_checks failback ha1 "$t_boot"
	sleep "$LAB_STEADY"

	# ---- failover 2: keepalived stopped on ha1
	ev_before failover2
	R[$MODE.carried2]=$(carried_table ha1 ha2)
	t_ev=$(now)
	mark "FAILOVER 2: keepalived stopped on ha1 (maintenance)"
	kill -TERM "$(nx ha1 cat /run/keepalived/keepalived.pid 2>/dev/null || echo "${KA_PID[ha1]}")" 2>/dev/null ||
		say "cannot signal keepalived on ha1"
	R[$MODE.failover2.t]=$t_ev
	ev_checks failover2 ha2 "$t_ev"
	scenario_end "$start_n" "$plan"
}

# scenario_end START_N PLAN: final figures, pad the plan, stop everything.
scenario_end() {
	local start_n=$1 plan=$2 f
	if [ -n "${TR_A:-}" ]; then
		kill -USR2 "$TR_A" "$TR_B" 2>/dev/null
		sleep 1
		kill -TERM "$TR_A" "$TR_B" 2>/dev/null
		wait "$TR_A" "$TR_B" 2>/dev/null
		for f in a b; do
			R[$MODE.final.$f]=$(grep '^udpseq final' "$T/$f.out" | tail -n1)
		done
		R[$MODE.tx_a]=$(grep '^udpseq final' "$T/a.out" | tail -n1 | tr ' ' '\n' | sed -n 's/^tx=//p')
		R[$MODE.tx_b]=$(grep '^udpseq final' "$T/b.out" | tail -n1 | tr ' ' '\n' | sed -n 's/^tx=//p')
		TR_A='' TR_B=''
	fi
	R[$MODE.timeline]=$(timeline)
	while [ $((ktap_n - start_n)) -lt "$plan" ]; do
		ktap_fail "$MODE: not run" "an earlier step failed"
	done
	if [ "$ktap_failed" -gt 0 ] || [ "$XHA_VERBOSE" = 1 ]; then
		for f in ha1/agent.log ha2/agent.log ha1/charon.log ha2/charon.log gw/charon.log rw/charon.log; do
			[ -s "$T/$f" ] || continue
			[ "$ktap_failed" -gt 0 ] || [ "${f#*/}" = agent.log ] || continue
			say "---- $MODE: $f (tail)"
			say "$(tail -n 25 "$T/$f")"
		done
	fi
	lab_cleanup
	[ "${XHA_KEEP_TMP:-0}" = 1 ] || rm -rf "$T"
}

# print_report: the failover report (always as diagnostics with --verbose,
# and into --report FILE).
print_report() {
	local m ev f
	{
		echo "==== failover report ===="
		for m in xfrm-ha baseline; do
			[ -n "${R[$m.dir]:-}" ] || continue
			echo "---- $m"
			echo "timeline (seconds since the start of the run):"
			echo "${R[$m.timeline]:-  (none)}"
			for ev in failover failback failover2; do
				[ -n "${R[$m.$ev.t]:-}" ] || continue
				echo "$ev: longest gap a->b ${R[$m.$ev.gap_a2b]:-?}ms, b->a ${R[$m.$ev.gap_b2a]:-?}ms;" \
					"SecGW XfrmInStateSeqError +${R[$m.$ev.seqerr]:-?}, XfrmInStateProtoError +${R[$m.$ev.protoerr]:-?}," \
					"per-SA replay/ICV +${R[$m.$ev.sa_drops]:-?}, XfrmInNoStates +${R[$m.$ev.nostates]:-?}" \
					"${R[$m.$ev.held_ms]:+; ha1 held BACKUP ${R[$m.$ev.held_ms]}ms (agent blocked), then bulk sync +${R[$m.$ev.bulk_ms]:-?}ms, MASTER +${R[$m.$ev.master_ms]:-?}ms after the unblock}"
			done
			for f in a b; do
				[ -n "${R[$m.final.$f]:-}" ] || continue
				# a.out: what host A received (b->a), b.out: a->b
				echo "stream $([ $f = a ] && echo b-\>a || echo a-\>b): ${R[$m.final.$f]#udpseq final }" |
					sed 's/ longest_gap_start=[^ ]*//; s/ longest_gap_end=[^ ]*//; s/ first_rx=[^ ]*//; s/ last_rx=[^ ]*//'
			done
			echo "counters ha1 -> ha2 before the failover (oseq shift and seq carried per SA):"
			echo "${R[$m.carried1]:-  (none)}"
			[ -n "${R[$m.carried2]:-}" ] && echo "before failover 2:" && echo "${R[$m.carried2]}"
		done
	} >"$REPORT"
	if [ "$XHA_VERBOSE" = 1 ] || [ "$ktap_failed" -gt 0 ]; then
		say "$(cat "$REPORT")"
	fi
}

main() {
	local plan=0 miss=''
	for f in "$UDPSEQ" "$CHARON" "$(command -v keepalived)" "$(command -v swanctl)" /usr/lib/ipsec/plugins/libstrongswan-ha.so; do
		[ -x "$f" ] || [ -f "$f" ] || miss+=" ${f:-keepalived/swanctl}"
	done
	[ "$RUN_XHA" = 1 ] && { [ -x "$XHA_AGENT" ] || miss+=" $XHA_AGENT"; }
	[ "$RUN_XHA" = 1 ] && plan=$((plan + 21))
	[ "$RUN_BASE" = 1 ] && plan=$((plan + 5))
	ktap_header
	ktap_plan "$plan"
	say "ha_ike_lab: $(uname -r), $RATE packets/s each way, VRRP advert ${LAB_ADVERT}s, resume limit ${LAB_RESUME_MS}ms, oseq-shift $XHA_OSEQ_SHIFT"
	if [ -n "$miss" ]; then
		say "missing:$miss (make deps; make)"
		while [ "$ktap_n" -lt "$plan" ]; do ktap_fail "not run" "missing:$miss"; done
		ktap_finish
		exit 1
	fi
	[ -n "$REPORT" ] || REPORT=$(mktemp /tmp/lab-report.XXXXXX)
	[ "$RUN_XHA" = 1 ] && scenario xfrm-ha
	[ "$RUN_BASE" = 1 ] && scenario baseline
	print_report
	if ktap_finish; then
		say "VERDICT: PASS: with xfrm-ha: gaps failover ${R[xfrm-ha.failover.gap_a2b]:-?}/${R[xfrm-ha.failover.gap_b2a]:-?}ms, failback ${R[xfrm-ha.failback.gap_a2b]:-?}/${R[xfrm-ha.failback.gap_b2a]:-?}ms, failover2 ${R[xfrm-ha.failover2.gap_a2b]:-?}/${R[xfrm-ha.failover2.gap_b2a]:-?}ms (a->b/b->a), SecGW drops 0; baseline: SecGW SeqError +${R[baseline.failover.seqerr]:-?} ProtoError +${R[baseline.failover.protoerr]:-?}, gap a->b ${R[baseline.failover.gap_a2b]:-?}ms"
		exit 0
	fi
	say "VERDICT: FAIL: $ktap_failed of $ktap_n checks failed (see 'not ok' above)"
	exit 1
}

trap 'lab_cleanup' EXIT
trap 'exit 130' INT TERM
main
