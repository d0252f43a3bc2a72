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
set key bottom left font ",8"
set yrange [0:*]
# One series: the rows of a core count, a head size and a mask.
rows(tt, dd, cc) = sprintf("< awk '$1 == %s && $3 == %s && $4 == %d' %s", tt, dd, cc, data)
do for [tt in "1 2"] {
  do for [dd in "64 128"] {
    set title sprintf("%s core(s), d = %s", tt, dd)
    plot rows(tt, dd, 0) using 2:9 with lines dt 3 lc rgb "black" title "FMA peak (measured)", \
         rows(tt, dd, 0) using 2:5 with linespoints lw 2 lc 1 title "facc", \
         rows(tt, dd, 1) using 2:5 with linespoints lw 2 dt 2 lc 1 title "facc causal", \
         rows(tt, dd, 0) using 2:6 with linespoints lc 2 title "OpenBLAS + vectorised softmax", \
         rows(tt, dd, 1) using 2:6 with linespoints dt 2 lc 2 title "OpenBLAS causal", \
         rows(tt, dd, 0) using 2:7 with linespoints lc 3 title "oneDNN matmul + softmax", \
         rows(tt, dd, 1) using 2:7 with linespoints dt 2 lc 3 title "oneDNN causal", \
         rows(tt, dd, 0) using 2:8 with linespoints lc 4 title "naive C++"
  }
}
unset multiplot
