# kernels.pyx compiled with -march=x86-64-v3 (setup.py); one source, identical bits.
include "kernels.pyx"
