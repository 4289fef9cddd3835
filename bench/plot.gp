# plot.gp: bench/run's chart: throughput (wall and CPU time) and peak RSS against corpus size, one line per tool (gnuplot -e "resdir='...'").
if (!exists("resdir")) resdir = "bench/results"
files = system("ls " . resdir . "/plot/*.dat 2>/dev/null")
set terminal pngcairo size 1800,600 font ",11"
set output resdir . "/bench.png"
set multiplot layout 1,3 title "misport benchmark (median of the runs; x: copies of the base capture)"
set logscale x 2
set xrange [0.8:64]
set grid
set key bottom left box opaque font ",10"
set xlabel "corpus size (copies)"
set logscale y 10
set ylabel "Mpackets/s"
set title "throughput on wall time (net of start-up)"
plot for [f in files] f using 1:3 with linespoints lw 2 pt 7 title system("basename " . f . " .dat")
set title "throughput on CPU time (user + system)"
plot for [f in files] f using 1:5 with linespoints lw 2 pt 7 title system("basename " . f . " .dat")
set ylabel "peak RSS (MiB)"
set title "peak memory"
set key top left
plot for [f in files] f using 1:4 with linespoints lw 2 pt 7 title system("basename " . f . " .dat")
unset multiplot
