# Plot of bench/quality's data file: gnuplot -e "data='...'; out='...'" quality.gp
set terminal pngcairo size 1200,480 font ",10"
set output out
set multiplot layout 1,2 title "stories260K: what each variant costs (bench/run-quality)"
set key bottom right
set grid
set xlabel "keys scored per query / dense"
set ylabel "next-token agreement with dense"
set xrange [0:1.05]
set yrange [0:1.05]
sel(v, c, col) = (strcol(1) eq v && strcol(3) eq c) ? column(col) : 1/0
plot data using (sel("V1","Moby Dick",4)):(sel("V1","Moby Dick",6)) with points title "V1 cut, Moby Dick", \
     data using (sel("V1","own story",4)):(sel("V1","own story",6)) with points title "V1 cut, own story", \
     data using (sel("V2","Moby Dick",4)):(sel("V2","Moby Dick",6)) with points title "V2 hierarchical, Moby Dick", \
     data using (sel("V2","own story",4)):(sel("V2","own story",6)) with points title "V2 hierarchical, own story"
set xlabel "bits per weight (wq, wk, wv, wo)"
set ylabel "perplexity / dense perplexity"
set logscale y
set xrange [0:9]
set yrange [0.9:300]
set key top right
code(prefix, c, col) = (strcol(1) eq "V3" && strstrt(strcol(2), prefix) == 1 && strcol(3) eq c) ? column(col) : 1/0
plot data using (code("fractal","Moby Dick",4)):(code("fractal","Moby Dick",7)/column(8)) with points pt 7 ps 1.5 title "fractal (PIFS), Moby Dick", \
     data using (code("fractal","own story",4)):(code("fractal","own story",7)/column(8)) with points pt 5 ps 1.5 title "fractal (PIFS), own story", \
     data using (code("int","Moby Dick",4)):(code("int","Moby Dick",7)/column(8)) with points pt 7 title "round-to-nearest, Moby Dick", \
     data using (code("int","own story",4)):(code("int","own story",7)/column(8)) with points pt 5 title "round-to-nearest, own story"
unset multiplot
