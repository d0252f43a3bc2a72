// Nothing: the library exists to carry the kernels.
int badSpecExample() { return 0; }
