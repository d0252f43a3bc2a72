# Plot of bench/attention_speed's data file:
#   gnuplot -e "data='...'; out='...'" speed.gp
set terminal pngcairo size 1200,480 font ",10"
set output out
set datafile missing "?"
set multiplot layout 1,2 title "Dense attention, one core, 8 heads, fp32 (bench/run-speed)"
set logscale x 2
set xlabel "n (tokens)"
set ylabel "GFLOP/s"
set grid
set key top left
set yrange [0:*]
at(dd, col) = (column(2) == dd) ? column(col) : 1/0
do for [dd in "64 128"] {
  set title sprintf("d = %s", dd)
  plot data using 1:(at(dd+0, 7)) with lines dt 2 lc rgb "black" title "FMA peak (measured)", \
       data using 1:(at(dd+0, 3)) with linespoints lw 2 title "facc kernel", \
       data using 1:(at(dd+0, 4)) with linespoints title "OpenBLAS + vectorised softmax", \
       data using 1:(at(dd+0, 5)) with linespoints title "oneDNN matmul + softmax", \
       data using 1:(at(dd+0, 6)) with linespoints title "naive C++"
}
unset multiplot
