# Plot of bench/attention_speed's data files (bench/run-speed):
#   gnuplot -e "data='...'; out='...'" speed.gp
# Columns: threads n d causal facc openblas onednn naive peak (GFLOP/s).
set terminal pngcairo size 1400,900 font ",10"
set output out
set datafile missing "?"
set multiplot layout 2,2 title "Attention, fp32, GFLOP/s against n (bench/run-speed); dashed: causal"
set logscale x 2
set xlabel "n (tokens)"
set ylabel "GFLOP/s"
set grid
set key top left font ",8"
set yrange [0:*]
at(tt, dd, cc, col) = (column(1) == tt && column(3) == dd && column(4) == cc) ? column(col) : 1/0
do for [tt in "1 2"] {
  do for [dd in "64 128"] {
    set title sprintf("%s core(s), d = %s", tt, dd)
    plot data using 2:(at(tt+0, dd+0, 0, 9)) with lines dt 3 lc rgb "black" title "FMA peak (measured)", \
         data using 2:(at(tt+0, dd+0, 0, 5)) with linespoints lw 2 lc 1 title "facc", \
         data using 2:(at(tt+0, dd+0, 1, 5)) with linespoints lw 2 dt 2 lc 1 title "facc causal", \
         data using 2:(at(tt+0, dd+0, 0, 6)) with linespoints lc 2 title "OpenBLAS + vectorised softmax", \
         data using 2:(at(tt+0, dd+0, 1, 6)) with linespoints dt 2 lc 2 title "OpenBLAS causal", \
         data using 2:(at(tt+0, dd+0, 0, 7)) with linespoints lc 3 title "oneDNN matmul + softmax", \
         data using 2:(at(tt+0, dd+0, 1, 7)) with linespoints dt 2 lc 3 title "oneDNN causal", \
         data using 2:(at(tt+0, dd+0, 0, 8)) with linespoints lc 4 title "naive C++"
  }
}
unset multiplot
