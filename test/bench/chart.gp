# The benchmark chart: one bar chart per workload, a bar per variant (medians).
# test/bench/run.sh calls
#   gnuplot -e "dir='<out/chart>'; outfile='<png>'; rows='N'; deleted='N'; pgbench_seconds='N'" chart.gp
# Each <dir>/<panel>.dat holds tab-separated lines: label, value, colour index.

set terminal pngcairo size 1800,1100 font "DejaVu Sans,11"
set output outfile
set datafile separator "\t"

set style fill solid 0.85 border -1
set boxwidth 0.7
set grid ytics
set xtics rotate by -35 nomirror
set ytics nomirror
set border 3
set yrange [0:*]
set offsets 0.5, 0.5, 0, 0
set key off
set bmargin 5

# a colour per variant, the same in every panel (native in blues, polyref in
# greens, the rest in greys and oranges)
set linetype 1 lc rgb "#9e9e9e"
set linetype 2 lc rgb "#bdbdbd"
set linetype 3 lc rgb "#2c7fb8"
set linetype 4 lc rgb "#7fcdbb"
set linetype 5 lc rgb "#fdae61"
set linetype 6 lc rgb "#d7191c"
set linetype 7 lc rgb "#1a9641"
set linetype 8 lc rgb "#a6d96a"
set linetype 9 lc rgb "#e0e0e0"
set linetype 10 lc rgb "#08519c"
set linetype 11 lc rgb "#006d2c"


set multiplot layout 2,3 title sprintf("polyref vs native foreign keys: %s comments, medians (lower is better unless said)", rows) font ",14"

set title sprintf("bulk INSERT ... SELECT of %s rows, COMMIT included (s)", rows)
plot dir.'/insert_s.dat' using 0:2:3:xtic(1) with boxes lc variable, \
     '' using 0:2:(sprintf("%.2f", $2)) with labels offset 0,0.7 font ",10"

set title sprintf("COPY of %s rows, COMMIT included (s)", rows)
plot dir.'/copy_s.dat' using 0:2:3:xtic(1) with boxes lc variable, \
     '' using 0:2:(sprintf("%.2f", $2)) with labels offset 0,0.7 font ",10"

set title sprintf("single-row INSERT, pgbench 2 clients, %s s (TPS, higher is better)", pgbench_seconds)
plot dir.'/pgbench_tps.dat' using 0:2:3:xtic(1) with boxes lc variable, \
     '' using 0:2:(sprintf("%.0f", $2)) with labels offset 0,0.7 font ",10"

set title "peak private memory (RssAnon) of the bulk INSERT backend (MB)"
plot dir.'/insert_mb.dat' using 0:2:3:xtic(1) with boxes lc variable, \
     '' using 0:2:(sprintf("%.1f", $2)) with labels offset 0,0.7 font ",10"

set title sprintf("DELETE of %s posts with ON DELETE CASCADE (s)", deleted)
plot dir.'/cascade_s.dat' using 0:2:3:xtic(1) with boxes lc variable, \
     '' using 0:2:(sprintf("%.3f", $2)) with labels offset 0,0.7 font ",10"

set title sprintf("validating %s existing rows (s)", rows)
plot dir.'/validate_s.dat' using 0:2:3:xtic(1) with boxes lc variable, \
     '' using 0:2:(sprintf("%.3f", $2)) with labels offset 0,0.7 font ",10"

unset multiplot
