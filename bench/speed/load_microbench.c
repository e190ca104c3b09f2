// Issue 3: how fast this CPU serves the stage-1 kernel's loads, without the kernel around them.
// Each "pass" adds TERMS x 6 positions x 2 groups = TERMS*12 random 256-bit rows of a table of
// TERMS terms x 2^ROWBITS rows x 64 bytes into 12 accumulators, row offsets taken by shift and
// mask from a 64-bit word as the real kernels do.
//   clang -O2 -march=native -funroll-loops -o /tmp/load_microbench bench/speed/load_microbench.c
//   /tmp/load_microbench 8 6 3    # trinucleotide pair layout: 8 terms, 64 rows, 32 KiB (96 loads)
//   /tmp/load_microbench 6 8 4    # tetranucleotide: 6 terms, 256 rows, 96 KiB (72 loads)
// Caveat (BENCHMARKS.md): its 8-term figure is slower than the real kernel's pass, so it flattered
// the tetranucleotide layout, which lost in the real kernel.
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
#define N 4096
/* TERMS terms of ROWS rows (64-byte pair rows), BITS bits per term start step */
int main(int argc,char**argv){
  int terms=atoi(argv[1]), rowbits=atoi(argv[2]), step=atoi(argv[3]);
  size_t tb=(size_t)terms<<(rowbits+6);
  float*tab=aligned_alloc(64,tb); for(size_t i=0;i<tb/4;i++)tab[i]=(i%7)*0.001f;
  uint64_t*ws=aligned_alloc(64,N*16); srand(1); for(int i=0;i<2*N;i++)ws[i]=((uint64_t)rand()<<33)^((uint64_t)rand()<<11)^rand();
  __m256 acc[12]; for(int k=0;k<12;k++)acc[k]=_mm256_setzero_ps();
  uint64_t mask=(1ull<<rowbits)-1;
  double t0=now(); long iters=0;
  const char*t=(const char*)tab;
  for(int rep=0;rep<3000;rep++){
    for(int i=0;i<N;i++){
      uint64_t w=ws[2*i], w2=ws[2*i+1];
      for(int j=0;j<terms;j++){
        uint64_t ww = j<4? w : w2;
        #pragma GCC unroll 6
        for(int k=0;k<6;k++){
          uint64_t o=((ww>>(2*(k+step*(j&3))))&mask)<<6;
          const char*r=t+((size_t)j<<(rowbits+6))+o;
          acc[k]=_mm256_add_ps(acc[k],_mm256_load_ps((const float*)r));
          acc[6+k]=_mm256_add_ps(acc[6+k],_mm256_load_ps((const float*)(r+32)));
        }
      }
    }
    iters+=N;
  }
  double el=now()-t0; float s=0; for(int k=0;k<12;k++){float b[8];_mm256_storeu_ps(b,acc[k]);s+=b[0];}
  printf("terms %d rows 2^%d (table %zu KiB): %.2f ns per pass (%d loads)  %.3f ns/load %f\n",terms,rowbits,tb>>10,el/iters*1e9,terms*12,el/iters*1e9/(terms*12),s);
}
