#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0
#
# bench/summarize.pl RAW: turn the "BENCH kind key=value ..." lines of
# bench/guest.sh (collected by bench/run.sh into build/KVER/bench/raw.txt)
# into the markdown tables of docs/benchmarks.md. Core Perl only.
use strict;
use warnings;

my @recs;
while (<>) {
	chomp;
	next unless s/^BENCH (\S+)\s*//;
	my %r = (kind => $1);
	for my $kv (split /\s+/) {
		my ($k, $v) = split /=/, $kv, 2;
		$r{$k} = $v if defined $v;
	}
	push @recs, \%r;
}
sub recs { my ($kind, %m) = @_; grep { my $r = $_; $r->{kind} eq $kind && !grep { ($r->{$_} // '') ne $m{$_} } keys %m } @recs }
sub first { my @r = recs(@_); $r[0] }
sub median { my @v = sort { $a <=> $b } grep { defined } @_; return undef unless @v; @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2 }
sub min { my @v = sort { $a <=> $b } grep { defined } @_; $v[0] }
sub max { my @v = sort { $a <=> $b } grep { defined } @_; $v[-1] }
sub f { my ($fmt, $v) = @_; defined $v ? sprintf($fmt, $v) : 'n/a' }
sub spread { my ($fmt, @v) = @_; @v ? f($fmt, min(@v)) . '–' . f($fmt, max(@v)) : 'n/a' }
sub si { my $v = shift; return 'n/a' unless defined $v; $v >= 1e6 ? sprintf('%.2f M', $v / 1e6) : $v >= 1e4 ? sprintf('%.0f k', $v / 1e3) : sprintf('%.0f', $v) }

my $env = first('env') // {};
my $run = first('run') // {};
my $icount = ($run->{icount} // 0) eq '1';
my $shift = $run->{shift} // 0;
my $ips = $icount ? 1e9 / 2**$shift : undef;	# guest instructions per guest second

print "### Run\n\n";
printf "- kernel %s, %s vCPUs, %d MiB, QEMU TCG%s\n", $env->{kernel} // '?', $env->{cpus} // '?',
	($env->{mem_kb} // 0) / 1024,
	$icount ? sprintf(' with `-icount shift=%d,sleep=off`: one guest instruction = %d ns of guest time, a virtual CPU of %.0f M instructions/s; every time below is guest time', $shift, 2**$shift, $ips / 1e6) : ' (MTTCG, wall-clock guest time)';
printf "- date %s, run took %s s of host time, host load average %s at the start and %s at the end on %s CPUs\n",
	$run->{date} // '?', $run->{wall_secs} // '?', $run->{host_load_start} // '?', $run->{host_load_end} // '?', $run->{host_cpus} // '?';
printf "- net.core.xfrm_aevent_rseqth=%s, xfrm_aevent_etime=%s\n", $env->{rseqth} // '?', $env->{etime} // '?';
if (my $m = first('monitor')) {
	my $g = hex($m->{groups} =~ s/^0x//r || 0);
	printf "- `ip xfrm monitor` (no arguments) joins netlink groups 0x%x: XFRMNLGRP_AEVENTS (bit 0x10) is %s\n", $g,
		$g & 0x10 ? 'among them, so a bare `ip xfrm monitor` turns replay aevents on for every namespace' : 'not among them';
}
print "\n";

# ------------------------------------------------------------ throughput
my %what = (
	base => 'nothing listening (xfrm_ha loaded)',
	xha100 => 'xfrm_ha, a "seqnum" listener in each netns, scan-interval-ms 100',
	xha10 => 'xfrm_ha, a "seqnum" listener in each netns, scan-interval-ms 10',
	aev => 'an XFRMNLGRP_AEVENTS listener in each netns, draining',
	nft => 'nftables: `rt ipsec exists counter` (postrouting, a), `meta secpath exists counter` (prerouting, b)',
);
for my $set ('2sa', '10k') {
	my @t = recs('tput', set => $set);
	next unless @t;
	my @variants = grep { my $v = $_; grep { $_->{variant} eq $v } @t } qw(base xha100 xha10 aev nft);
	my %bybase = map { $_->{rep} => $_->{rx_pps} } grep { $_->{variant} eq 'base' } @t;
	my $base = median(values %bybase);
	my $reps = max(map { $_->{rep} } @t);
	printf "### Packet path%s: ESP a -> b, %s rounds\n\n", $set eq '10k' ? ' with 10k idle SAs in netns a' : '', $reps;
	print "| variant | what runs | received pps, median | spread | ratio to baseline (spread) |",
		$icount ? " guest instructions per packet | added per packet |" : '', " per packet |\n";
	print "|---|---|---:|---|---|", $icount ? "---:|---:|" : '', "---|\n";
	for my $v (@variants) {
		my @r = grep { $_->{variant} eq $v } @t;
		my @pps = map { $_->{rx_pps} } @r;
		my $m = median(@pps);
		my @ratios = map { $bybase{$_->{rep}} ? $_->{rx_pps} / $bybase{$_->{rep}} : () } @r;
		my $extra = '';
		if ($v eq 'aev') {
			$extra = sprintf('%.2f NEWAE messages received (%.2f per packet per SA)',
				median(map { ($_->{newae_a} + $_->{newae_b}) / $_->{received} } @r),
				median(map { $_->{newae_a} / $_->{sent} } @r));
			my $eb = max(map { $_->{enobufs} } @r);
			$extra .= ", ENOBUFS $eb" if $eb;
		} elsif ($v =~ /^xha/) {
			$extra = sprintf('%.4f records', median(map { $_->{records} / $_->{received} } @r));
		} elsif ($v eq 'nft') {
			$extra = sprintf('%.2f rule matches', median(map { ($_->{nft_a} + $_->{nft_b}) / $_->{received} } @r));
		}
		printf "| %s | %s | %s | %s | **%.3f** (%s) |", $v, $what{$v}, si($m), spread('%.0f', @pps),
			$base ? $m / $base : 0, spread('%.3f', @ratios);
		printf " %s | %s |", si($ips / $m), $v eq 'base' ? '' : sprintf('%+.0f', $ips / $m - $ips / $base) if $icount;
		print " $extra |\n";
	}
	print "\n";
}

# ------------------------------------------------------------ latency
my @lat = recs('lat');
if (@lat) {
	print "### Notification latency: end of a 4-packet burst on an idle SA to the record\n\n";
	print "| source | SAs in the netns | scan interval (ms) | samples | median (ms) | p90 (ms) | min–max (ms) | median / interval | scan period seen (ms) |\n";
	print "|---|---|---:|---:|---:|---:|---|---:|---:|\n";
	for my $r (@lat) {
		my $sas = $r->{set} eq '10k' ? '10k + 2' : '2';
		printf "| %s | %s | %s | %s | %.3f | %.3f | %.3f–%.3f | %s | %s |\n",
			$r->{mode} eq 'ae' ? 'XFRM_MSG_NEWAE (aevents)' : 'xfrm_ha "seqnum"', $sas,
			$r->{mode} eq 'ae' ? '–' : $r->{interval}, $r->{n}, $r->{median}, $r->{p90}, $r->{min}, $r->{max},
			$r->{mode} eq 'ae' ? '–' : sprintf('%.2f', $r->{median} / $r->{interval}), $r->{scan_period_ms} // '–';
	}
	print "\n";
}

# ------------------------------------------------------------ scan
my @steps = sort { $a <=> $b } map { $_->{sas} } recs('create');
if (@steps) {
	print "### Scan cost (scan-interval-ms 10, one \"seqnum\" listener in netns a, the SAs idle)\n\n";
	print "| SAs | pass (ms), median | spread | per SA per pass | pass from /proc/stat (ms) |",
		" `ip xfrm state list` CPU (ms) | **pass / ip list** | ip list, sys part (ms) | pass / sys part |",
		$icount ? " scan instructions/s at the default 100 ms |" : '', "\n";
	print "|---:|---:|---|---:|---:|---:|---:|---:|---:|", $icount ? "---:|" : '', "\n";
	for my $n (@steps) {
		my @s = recs('scan', sas => $n);
		next unless @s;
		my @pass = map { $_->{passes} ? $_->{total_ms} / $_->{passes} : () } @s;
		my $p = median(@pass);
		my @stat = map { $_->{scans} ? ($_->{busy_jiffies} - $_->{idle_jiffies_per_s} * $_->{secs}) * 10 / $_->{scans} : () } @s;
		my @l = recs('iplist', sas => $n);
		my $list = median(map { $_->{user_ms} + $_->{sys_ms} } @l);
		my $sys = median(map { $_->{sys_ms} } @l);
		my $per = $icount ? sprintf('%.0f instructions', $p * 1e-3 * $ips / $n) : sprintf('%.2f µs', $p * 1e3 / $n);
		printf "| %s | %.2f | %s | %s | %.1f | %.0f | **%.3f** | %.0f | %.2f |", si($n), $p, spread('%.2f', @pass), $per,
			median(@stat) // 0, $list, $list ? $p / $list : 0, $sys, $sys ? $p / $sys : 0;
		printf " %s |", si($p * 1e-3 * $ips * 10) if $icount;
		print "\n";
	}
	my $c = median(map { $_->{user_ms} + $_->{sys_ms} } recs('ipcount'));
	printf "\n`ip xfrm state count` (starting ip, no walk) takes %.0f ms of CPU: process start-up is negligible next to the list.\n", $c if defined $c;
	print "\n";
	my @other = map { $_->{scans_b} + $_->{scans_init} } recs('scan');
	my @own = map { $_->{scans} } recs('scan');
	printf "While only netns a had a listener, netns b and the initial namespace (no listener, 2 and 0 SAs) completed %s and %s scans per window against %s in a: ",
		median(map { $_->{scans_b} } recs('scan')), median(map { $_->{scans_init} } recs('scan')), median(@own);
	print median(@other) > 0 ? "**a listener in any namespace makes every namespace scan** (genl_has_listeners() tests a per-protocol bitmap, not a per-namespace one).\n"
		: "namespaces without a listener do not scan.\n";
	if (my $i = first('idle', sas => $steps[0])) {
		printf "With no listener at all, xha_scan_work() still ran %.1f times per second (3 namespaces: one timer per namespace and scan interval, whether or not anyone listens).\n",
			$i->{work} / ($i->{secs} || 1) if $i->{secs};
	}
	print "\n";

	print "### Memory per SA (deltas of /proc/meminfo SUnreclaim and of /proc/slabinfo active objects)\n\n";
	print "| SAs after the step | SAs added | kernel SUnreclaim per SA (B) | xfrm_ha SUnreclaim per SA (B) | **xfrm_ha / kernel** | kernel slab objects per SA (B) | xfrm_ha slab objects per SA (B) | objects ratio | kernel MemFree drop per SA (B) | SA creation rate (SAs/s) |\n";
	print "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
	for my $n (@steps) {
		my $k = first('mem', sas => $n, what => 'kernel') or next;
		my $m = first('mem', sas => $n, what => 'module') or next;
		my $c = first('create', sas => $n);
		my $a = $k->{added};
		my ($ko, $mo) = ($k->{slab_objs_kb}, $m->{slab_objs_kb});
		printf "| %s | %s | %.0f | %.0f | **%.3f** | %s | %s | %s | %.0f | %.0f |\n", si($n), si($a),
			$k->{sunreclaim_kb} * 1024 / $a, $m->{sunreclaim_kb} * 1024 / $a,
			$k->{sunreclaim_kb} ? $m->{sunreclaim_kb} / $k->{sunreclaim_kb} : 0,
			defined $ko ? sprintf('%.0f', $ko * 1024 / $a) : 'n/a', defined $mo ? sprintf('%.0f', $mo * 1024 / $a) : 'n/a',
			$ko ? sprintf('%.3f', $mo / $ko) : 'n/a',
			$k->{memfree_kb} * 1024 / $a, $c->{secs} ? $a / $c->{secs} : 0;
	}
	print "\n";
	for my $s (recs('skip')) {
		printf "Skipped the %s-SA step: %s.\n", si($s->{sas}),
			$s->{predicted_secs} ? "creating the SAs would have taken ~$s->{predicted_secs} s of guest time" : 'not enough memory';
	}
}
