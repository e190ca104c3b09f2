// Issue 3: the inference pair kernel's load pattern, fully unrolled (8 terms x 6 positions x 2
// groups = 96 random 256-bit loads per pass from a 32 KiB table, offsets by shift and mask), with
// the second group's adds as ordinary adds (mode 0) or as exact fma(x, 1, y) on the FMA pipes (mode 1).
//   clang -O2 -march=native -o /tmp/load_microbench_fma bench/speed/load_microbench_fma.c
//   /tmp/load_microbench_fma 0; /tmp/load_microbench_fma 1
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
#define N 4096
int main(int argc,char**argv){
  int mode=atoi(argv[1]);
  float*tab=aligned_alloc(64,32768); for(int i=0;i<8192;i++)tab[i]=(i%7)*0.001f;
  uint64_t*ws=aligned_alloc(64,N*8); srand(1); for(int i=0;i<N;i++)ws[i]=((uint64_t)rand()<<33)^((uint64_t)rand()<<11)^rand();
  volatile float onev=1.0f; __m256 one=_mm256_set1_ps(onev);
  __m256 acc[12]; for(int k=0;k<12;k++)acc[k]=_mm256_setzero_ps();
  double t0=now(); long iters=0;
  const char*t=(const char*)tab;
  for(int rep=0;rep<3000;rep++){
    for(int i=0;i<N;i++){
      uint64_t w=ws[i];
      #pragma GCC unroll 8
      for(int j=0;j<8;j++){
        #pragma GCC unroll 6
        for(int k=0;k<6;k++){
          uint64_t o=((w>>(2*(k+3*j)))&63)<<6;
          const char*r=t+j*4096+o;
          __m256 x=_mm256_load_ps((const float*)r);
          __m256 y=_mm256_load_ps((const float*)(r+32));
          acc[k]=_mm256_add_ps(acc[k],x);
          if(mode==1) acc[6+k]=_mm256_fmadd_ps(y,one,acc[6+k]); else acc[6+k]=_mm256_add_ps(acc[6+k],y);
        }
      }
      if(mode==2){ /* reset like kernel passes: no */ }
    }
    iters+=N;
  }
  double el=now()-t0; float s=0; for(int k=0;k<12;k++){float b[8];_mm256_storeu_ps(b,acc[k]);s+=b[0];}
  printf("mode %d: %.2f ns per pass (96 loads) sum %f\n",mode,el/iters*1e9,s);
}
