#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0
#
# bench/summarize.pl RAW: turn the "BENCH kind clock=MODE key=value ..."
# lines of bench/guest.sh and bench/bulk_sync.sh (collected by bench/run.sh
# into build/KVER/bench/raw.txt) into the markdown tables of
# docs/benchmarks.md: issue 8's table first (today's figures beside the
# targets, both clocks), then one table per figure. Core Perl only.
use strict;
use warnings;

my @recs;
while (<>) {
	chomp;
	next unless s/^BENCH (\S+)\s*//;
	my %r = (kind => $1);
	for my $kv (split /\s+/) {
		my ($k, $v) = split /=/, $kv, 2;
		$r{$k} //= $v if defined $v;	# the first wins (xhabench repeats none that matter)
	}
	push @recs, \%r;
}
sub recs { my ($kind, %m) = @_; grep { my $r = $_; $r->{kind} eq $kind && !grep { ($r->{$_} // '') ne $m{$_} } keys %m } @recs }
sub first { my @r = recs(@_); $r[0] }
sub median { my @v = sort { $a <=> $b } grep { defined && /^-?[\d.]+$/ } @_; return undef unless @v; @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2 }
sub f { my ($fmt, $v) = @_; defined $v && $v =~ /^-?[\d.e+]+$/ ? sprintf($fmt, $v) : 'n/a' }
sub kn { my $n = shift; $n >= 1e6 ? ($n / 1e6) . 'M' : $n >= 1e3 ? ($n / 1e3) . 'k' : $n }
sub uniq { my %s; grep { !$s{$_}++ } @_ }

my @clocks = grep { my $c = $_; grep { ($_->{clock} // '') eq $c } @recs } qw(icount wall);
my %env = map { $_ => first('env', clock => $_) // {} } @clocks;
my %run = map { $_ => first('run', clock => $_) // {} } @clocks;
my $hz = $env{icount}{user_hz} // $env{wall}{user_hz} // 100;
my $shift = $run{icount}{shift} // 2;
my $ips = 1e9 / 2**$shift;
my $total = first('total');
my @missing;

print "### Runs\n\n";
for my $c (@clocks) {
	printf "- **%s**: kernel %s, %s vCPUs, %d MiB, QEMU TCG%s; %s s of host time, verdict %s, host load %s -> %s on %s CPUs, %s\n",
		$c, $env{$c}{kernel} // '?', $env{$c}{cpus} // '?', ($env{$c}{mem_kb} // 0) / 1024,
		$c eq 'icount' ? sprintf(' `-icount shift=%d,sleep=off` (guest time = instructions: %d ns each, a %.0f M instructions/s CPU)', $shift, 2**$shift, $ips / 1e6)
			: ' (single-threaded TCG: guest time = host wall-clock time)',
		$run{$c}{wall_secs} // '?', $run{$c}{verdict} // '?', $run{$c}{host_load_start} // '?',
		$run{$c}{host_load_end} // '?', $run{$c}{host_cpus} // '?', $run{$c}{date} // '?';
}
printf "- `make -C bench` total: %s s of host time\n", $total->{wall_secs} if $total;
print "\n";

# ------------------------------------------------------------ (a) throughput
my %tput;	# clock -> variant -> median rx_pps
my %tput_sas;
for my $c (@clocks) {
	for my $v (uniq(map { $_->{variant} } recs('tput', clock => $c))) {
		$tput{$c}{$v} = median(map { $_->{rx_pps} } recs('tput', clock => $c, variant => $v));
	}
	$tput_sas{$c} = (first('tput', clock => $c) // {})->{sas};
}
sub ratio { my ($c, $v) = @_; my $b = $tput{$c}{base}; my $x = $tput{$c}{$v}; defined $b && defined $x && $b > 0 ? $x / $b : undef }

# ------------------------------------------------------------ (b) freshness
sub fresh { my ($c, $sas, $iv) = @_; first('fresh', clock => $c, sas => $sas, interval => $iv) }

# ------------------------------------------------------------ (c) cpu
# % of one CPU the kworkers spent, listener on minus off, in the same state.
sub cpu_pct {
	my ($sas, $state) = @_;
	my ($on) = grep { $_->{what} eq "$state-listener" } recs('cpu', clock => 'icount', sas => $sas);
	my ($off) = grep { $_->{what} eq "$state-nolistener" } recs('cpu', clock => 'icount', sas => $sas);
	return unless $on && $off && $on->{secs} > 0 && $off->{secs} > 0;
	my $kw = ($on->{kworker_ticks} / $on->{secs} - $off->{kworker_ticks} / $off->{secs}) / $hz * 100;
	my $busy = ($on->{busy_jiffies} / $on->{secs} - $off->{busy_jiffies} / $off->{secs}) / $hz * 100;
	return ($kw, $busy, $on);
}

# ------------------------------------------------------------ (d) memory
sub mem_per_sa {
	my ($c, $sas) = @_;
	my $m = first('mem', clock => $c, sas => $sas, what => 'module') or return;
	my $k = first('mem', clock => $c, sas => $sas, what => 'kernel');
	# Per entry the module created: tracked - tracked0 (a module that
	# holds nothing while nobody listens creates one for every SA).
	my $new = defined $m->{tracked0} && $m->{tracked} > $m->{tracked0} ? $m->{tracked} - $m->{tracked0} : $m->{added};
	return ($m->{slab_objs_kb} * 1024 / $new, $m->{sunreclaim_kb} * 1024 / $new,
		$m->{entry_bytes}, $k ? $k->{slab_objs_kb} * 1024 / $k->{added} : undef, $m,
		defined $m->{entry_cache_bytes} ? $m->{entry_cache_bytes} / $new : undef);
}

# ------------------------------------------------------------ (g) wire
sub wire {
	my ($c) = @_;
	my $t = first('wire', clock => $c, what => 'traffic') or return;
	my $i = first('wire', clock => $c, what => 'idle');
	my ($ib, $ip) = $i && $i->{ms} ? ($i->{link_bytes} / $i->{ms}, $i->{link_pkts} / $i->{ms}) : (0, 0);
	my $bytes = $t->{link_bytes} - $ib * $t->{ms};
	my $pkts = $t->{link_pkts} - $ip * $t->{ms};
	my $secs = $t->{ms} / 1000;
	return {
		per_update => $t->{records} ? $bytes / $t->{records} : undef,
		dgrams_s => $pkts / $secs, updates_s => $t->{records} / $secs,
		ae_per_msg => $t->{ae_msgs} ? $t->{ae_bytes} / $t->{ae_msgs} : undef,
		ae_s => ($t->{ae_newae} // 0) / $secs, pps => $t->{tx} / ($t->{spray_secs} || 1), t => $t,
	};
}

# ------------------------------------------------------------ issue 8's table
print "### Issue 8's table: today's figures beside the targets\n\n";
print "| figure | target | icount (instructions as the clock) | wall clock (plain TCG) |\n|---|---|---|---|\n";
{
	my @cell;
	for my $c (qw(icount wall)) {
		my @p;
		for my $v (qw(xha xha10 aev)) {
			my $r = ratio($c, $v);
			push @p, sprintf('%s %s', { xha => 'xfrm_ha (100 ms)', xha10 => 'xfrm_ha (10 ms)', aev => 'aevents' }->{$v}, f('%.3f', $r)) if defined $r;
		}
		push @cell, @p ? join(', ', @p) : 'n/a';
	}
	push @missing, 'throughput' if !grep { $_ ne 'n/a' } @cell;
	printf "| (a) ESP rate with sync-packets 2, %s SAs, / rate without the module; the same for aevents with a listener | ≥ 0.99, and above aevents | %s | %s |\n",
		$tput_sas{icount} // $tput_sas{wall} // '?', @cell;
}
{
	my @cell;
	for my $c (qw(icount wall)) {
		my @p;
		for my $sas (sort { $a <=> $b } uniq(map { $_->{sas} } grep { $_->{mode} eq 'ha' } recs('fresh', clock => $c))) {
			my @iv;
			for my $iv (sort { $b <=> $a } uniq(map { $_->{interval} } grep { $_->{mode} eq 'ha' } recs('fresh', clock => $c, sas => $sas))) {
				my $r = fresh($c, $sas, $iv);
				push @iv, sprintf('%s ms: %s / %s / %s ms, %s / %s / %s pkts', $iv, f('%.1f', $r->{delay_p50}), f('%.1f', $r->{delay_p99}), f('%.1f', $r->{delay_max}),
					$r->{gap_p50}, $r->{gap_p99}, $r->{gap_max});
			}
			push @p, sprintf('%s: %s', kn($sas), join('; ', @iv));
		}
		my ($ae) = grep { $_->{mode} eq 'ae' } recs('fresh', clock => $c);
		push @p, sprintf('aevents: %s / %s / %s ms', f('%.2f', $ae->{delay_p50}), f('%.1f', $ae->{delay_p99}), f('%.1f', $ae->{delay_max})) if $ae;
		push @cell, @p ? join('<br>', @p) : 'n/a';
	}
	print "| (b) freshness, kernel part: packet to the record that carries it, p50 / p99 / max, at scan-interval-ms 100 and 10 | p99 ≤ 10 ms | $cell[0] | $cell[1] |\n";
}
{
	my @p;
	for my $sas (sort { $a <=> $b } uniq(map { $_->{sas} } recs('cpu', clock => 'icount'))) {
		my ($ik) = cpu_pct($sas, 'idle');
		my ($ak, undef, $on) = cpu_pct($sas, 'active');
		push @p, sprintf('%s: idle %s %%, active %s %%', kn($sas), f('%.1f', $ik), f('%.1f', $ak));
	}
	push @missing, 'cpu' unless @p;
	my @skip = map { kn($_->{sas}) . " skipped ($_->{why})" } recs('skip', clock => 'icount');
	printf "| (c) CPU for change detection, %% of one CPU (kworkers, listener on minus off) | at 100k with 10%% active: ≤ 5%% of one CPU | %s | not taken (host load) |\n",
		join('<br>', @p, @skip) || 'n/a';
}
{
	my @cell;
	for my $c (qw(icount wall)) {
		my @p;
		for my $sas (sort { $a <=> $b } uniq(map { $_->{sas} } recs('mem', clock => $c, what => 'module'))) {
			my ($slab, $sun, $eb, undef, undef, $ec) = mem_per_sa($c, $sas);
			push @p, sprintf('%s: %s B (SUnreclaim %s B, ENTRY_BYTES %s%s)', kn($sas), f('%.0f', $slab), f('%.0f', $sun), $eb // '?',
				defined $ec ? sprintf(', entry cache %.0f B', $ec) : '');
		}
		push @cell, @p ? join('<br>', @p) : 'n/a';
	}
	print "| (d) kernel memory per tracked SA (slab objects) | ≤ 128 B | $cell[0] | $cell[1] |\n";
}
{
	my @cell;
	for my $c (qw(icount wall)) {
		my @p;
		push @p, sprintf('link %s: %s ms', kn($_->{sas}), $_->{bulk_ms}) for recs('bulk', clock => $c);
		push @p, sprintf('kernel write %s: %s ms', kn($_->{step}), f('%.0f', $_->{write_ms})) for recs('bulkw', clock => $c);
		push @cell, @p ? join('<br>', @p) : 'n/a';
	}
	print "| (e) bulk sync over the HA link (bulk request to verified end), bulk write of every SA's counters into the kernel | 100k in ≤ 1 s | $cell[0] | $cell[1] |\n";
}
{
	my @cell;
	for my $c (qw(icount wall)) {
		my $t = first('takeover', clock => $c);
		push @cell, $t ? sprintf('%s: %s ms in the agent (%s ms from `ha-ike group`), %s of %s SAs', kn($t->{sas}), $t->{agent_ms}, $t->{cmd_to_final_ms}, $t->{written}, $t->{tracked}) : 'n/a';
	}
	print "| (f) takeover: HA group active to every SA holding its final counters | ≤ 10 ms at 100k | $cell[0] | $cell[1] |\n";
}
{
	my @cell;
	for my $c (qw(icount wall)) {
		my $w = wire($c);
		push @cell, $w ? sprintf('%s B per update, %s datagrams/s for %s updates/s (%s SAs, %s pkt/s); aevents: %s B per message, %s messages/s',
			f('%.1f', $w->{per_update}), f('%.0f', $w->{dgrams_s}), f('%.0f', $w->{updates_s}), $w->{t}{sas}, f('%.0f', $w->{pps}),
			f('%.0f', $w->{ae_per_msg}), f('%.0f', $w->{ae_s})) : 'n/a';
	}
	print "| (g) HA link bytes per SA update (frames, keepalives subtracted) and datagrams/s, 1k active SAs, against one netlink aevent per update | ≤ 32 B per update | $cell[0] | $cell[1] |\n";
}
print "\n";

# ------------------------------------------------------------ details
for my $c (@clocks) {
	print "### Throughput ($c): received datagrams/s (first to last), median of rounds\n\n| variant | rounds | rx pps | ratio to base | sent/s (tx / send time) | ratio | records / NEWAE per round (a+b) |\n|---|---|---|---|---|---|---|\n";
	for my $v (uniq(map { $_->{variant} } recs('tput', clock => $c))) {
		my @r = recs('tput', clock => $c, variant => $v);
		my $tx = median(map { $_->{tx_pps} } @r);
		my $txb = median(map { $_->{tx_pps} } recs('tput', clock => $c, variant => 'base'));
		printf "| %s | %d | %s | %s | %s | %s | %s |\n", $v, scalar @r, f('%.0f', $tput{$c}{$v}), f('%.3f', ratio($c, $v)),
			f('%.0f', $tx), defined $tx && $txb ? f('%.3f', $tx / $txb) : 'n/a',
			join(' ', map { defined $_->{records_a} ? "$_->{records_a}+$_->{records_b}" : defined $_->{newae_a} ? "$_->{newae_a}+$_->{newae_b}" : '-' } @r);
	}
	print "\n";
}
for my $c (@clocks) {
	my @f = recs('fresh', clock => $c) or next;
	print "### Freshness ($c): probe SA at a steady rate, other SAs active\n\n| SAs | mode | scan interval ms | pps | records | delay p50 / p99 / max ms | gap p50 / p99 / max pkts | age of the oldest unpublished p50 / p99 / max ms |\n|---|---|---|---|---|---|---|---|\n";
	printf "| %s | %s | %s | %s | %s | %s / %s / %s | %s / %s / %s | %s / %s / %s |\n", kn($_->{sas}), $_->{mode}, $_->{interval} || '-', $_->{pps}, $_->{records},
		f('%.2f', $_->{delay_p50}), f('%.2f', $_->{delay_p99}), f('%.2f', $_->{delay_max}), $_->{gap_p50}, $_->{gap_p99}, $_->{gap_max},
		f('%.2f', $_->{age_p50}), f('%.2f', $_->{age_p99}), f('%.2f', $_->{age_max}) for @f;
	print "\n";
}
if (my @c = recs('cpu', clock => 'icount')) {
	print "### CPU (icount): windows of guest time\n\n| SAs | state | secs | kworker ticks | busy jiffies | passes | records | changed SAs per pass |\n|---|---|---|---|---|---|---|---|\n";
	printf "| %s | %s%s | %s | %s | %s | %s | %s | %s |\n", kn($_->{sas}), $_->{what}, defined $_->{active} ? " ($_->{active})" : '', $_->{secs}, $_->{kworker_ticks},
		$_->{busy_jiffies}, $_->{scans}, $_->{records}, $_->{scans} ? f('%.0f', $_->{records} / $_->{scans}) : '-' for @c;
	print "\nListener on minus off, as a share of one CPU and in instructions (icount: a CPU is ", f('%.0f', $ips / 1e6), " M instructions/s):\n\n| SAs | state | kworkers % | all CPUs busy % | M instructions/s | instructions per SA per pass |\n|---|---|---|---|---|---|\n";
	for my $sas (uniq(map { $_->{sas} } @c)) {
		for my $st (qw(idle active)) {
			my ($kw, $busy, $on) = cpu_pct($sas, $st) or next;
			printf "| %s | %s | %s | %s | %s | %s |\n", kn($sas), $st, f('%.2f', $kw), f('%.2f', $busy), f('%.1f', $kw / 100 * $ips / 1e6),
				$on->{scans} ? f('%.0f', $kw / 100 * $ips * $on->{secs} / $on->{scans} / $sas) : '-';
		}
	}
	print "\n";
}
for my $c (@clocks) {
	my @m = recs('mem', clock => $c, what => 'module') or next;
	print "### Memory ($c): per entry created (tracked after minus before the listener; SAs added where not known)\n\n| SAs | module slab objects B/SA | module entry cache B/SA | module SUnreclaim B/SA | ENTRY_BYTES | tracked | kernel's own slab objects B/SA |\n|---|---|---|---|---|---|---|\n";
	for my $m (@m) {
		my ($slab, $sun, $eb, $k, undef, $ec) = mem_per_sa($c, $m->{sas});
		printf "| %s | %s | %s | %s | %s | %s | %s |\n", kn($m->{sas}), f('%.0f', $slab), f('%.0f', $ec), f('%.0f', $sun), $eb // '?', $m->{tracked} // '?', f('%.0f', $k);
	}
	print "\n";
}
for my $c (@clocks) {
	my @b = (recs('bulkw', clock => $c), recs('bulk', clock => $c), recs('create', clock => $c)) or next;
	print "### Bulk ($c)\n\n| what | SAs | ms |\n|---|---|---|\n";
	printf "| kernel dump (xha_nl_sa_dump) | %s | %s |\n| kernel write, %d per sendmsg (xha_nl_sa_set_batch): %s ok, %s already higher, %s errors | %s | %s |\n",
		$_->{sas}, f('%.0f', $_->{dump_ms}), $_->{batch} // 64, $_->{ok}, $_->{erange}, $_->{errors}, $_->{sas}, f('%.0f', $_->{write_ms}) for recs('bulkw', clock => $c);
	printf "| HA link bulk sync, request to verified end (backup agent start to synced: %s ms) | %s | %s |\n", $_->{start_to_synced_ms}, $_->{sas}, $_->{bulk_ms} for recs('bulk', clock => $c);
	printf "| creating SAs with ip -batch (%s added) | %s | %.0f |\n", $_->{added}, $_->{sas}, $_->{secs} * 1000 for recs('create', clock => $c);
	printf "| `ha-ike %sshow sync` on the %s (%s bytes, %s lines), command to last byte | %s | %s |\n",
		$_->{json} ? '-j ' : '', $_->{role}, $_->{bytes}, $_->{lines}, $_->{sas}, $_->{ms} for recs('showsync', clock => $c);
	print "\n";
}
for my $c (@clocks) {
	my $w = wire($c) or next;
	my $t = $w->{t};
	printf "### Wire (%s)\n\n%s SAs, %s datagrams sent in %s s (%s pkt/s): %s SA updates published (%s/s), the HA link carried %s bytes in %s frames during %s ms (idle rate subtracted: %s B per update, %s datagrams/s); an aevent listener got %s NEWAE (%s/s) of %s B each.\n\n",
		$c, $t->{sas}, $t->{tx}, $t->{spray_secs}, f('%.0f', $w->{pps}), $t->{records}, f('%.0f', $w->{updates_s}), $t->{link_bytes}, $t->{link_pkts}, $t->{ms},
		f('%.1f', $w->{per_update}), f('%.0f', $w->{dgrams_s}), $t->{ae_newae} // '?', f('%.0f', $w->{ae_s}), f('%.0f', $w->{ae_per_msg});
}
