// Issue 3, session 7: is a 16-bit integer screen for inference's max-pool worth building? The float pair
// kernel's pattern (6 positions x 8 terms x 2 SIMD8 groups per pass, 16 channels) against a 16-bit one (4 positions
// x 8 terms x 2 SIMD16 halves, 32 channels; with the running maximum, its position and the runner-up tracked per
// channel, or with -DMAXONLY the maximum only) over 2,048 random packed sequences, L=101 (78 positions), from
// 32 KiB tables each. Prints ns per sequence and the integer kernel's time per channel relative to the float one's.
//   clang -O2 -march=native -o /tmp/screen_microbench bench/speed/screen_microbench.c && /tmp/screen_microbench
//   (variants: -DNPOS=6, -DNPOS=3, "-DMAXONLY -DNPOS=6")
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
#define NS 2048
#define L 101
#define P 78
static inline uint64_t win(const uint8_t*pk,int q){uint64_t x;memcpy(&x,pk+(q>>2),8);return x>>((q&3)*2);}
#define ROW(w,k) ((((w)>>(2*(k)))&63)<<6)
// float pair kernel, 6 positions per pass
static void fpair(const char*t,const uint8_t*pk,float*out){
  __m256 m0=_mm256_set1_ps(-1e30f),m1=m0; int p=0;
  for(;;){ if(p+6>P)p=P-6; uint64_t w=win(pk,p); __m256 a[6],c[6];
    for(int k=0;k<6;k++){const char*r=t+ROW(w,k);a[k]=_mm256_load_ps((const float*)r);c[k]=_mm256_load_ps((const float*)(r+32));}
    #pragma GCC unroll 8
    for(int j=1;j<8;j++){uint64_t wj=w>>(6*j);
      #pragma GCC unroll 6
      for(int k=0;k<6;k++){const char*r=t+j*4096+ROW(wj,k);a[k]=_mm256_add_ps(a[k],_mm256_load_ps((const float*)r));c[k]=_mm256_add_ps(c[k],_mm256_load_ps((const float*)(r+32)));}}
    m0=_mm256_max_ps(m0,_mm256_max_ps(_mm256_max_ps(_mm256_max_ps(a[0],a[1]),_mm256_max_ps(a[2],a[3])),_mm256_max_ps(a[4],a[5])));
    m1=_mm256_max_ps(m1,_mm256_max_ps(_mm256_max_ps(_mm256_max_ps(c[0],c[1]),_mm256_max_ps(c[2],c[3])),_mm256_max_ps(c[4],c[5])));
    p+=6; if(p>=P)break;}
  _mm256_storeu_ps(out,m0);_mm256_storeu_ps(out+8,m1);
}
// int16 pair kernel (32 lanes): NPOS positions per pass, tracking max, second, argmax
#ifndef NPOS
#define NPOS 4
#endif
static void ipair(const char*t,const uint8_t*pk,int16_t*out){
  __m256i M1a=_mm256_set1_epi16(-32768),M1c=M1a,M2a=M1a,M2c=M1a,Ia=_mm256_setzero_si256(),Ic=Ia; int p=0;
  for(;;){ if(p+NPOS>P)p=P-NPOS; uint64_t w=win(pk,p); __m256i a[NPOS],c[NPOS];
    for(int k=0;k<NPOS;k++){const char*r=t+ROW(w,k);a[k]=_mm256_load_si256((const __m256i*)r);c[k]=_mm256_load_si256((const __m256i*)(r+32));}
    #pragma GCC unroll 8
    for(int j=1;j<8;j++){uint64_t wj=w>>(6*j);
      #pragma GCC unroll 6
      for(int k=0;k<NPOS;k++){const char*r=t+j*4096+ROW(wj,k);a[k]=_mm256_add_epi16(a[k],_mm256_load_si256((const __m256i*)r));c[k]=_mm256_add_epi16(c[k],_mm256_load_si256((const __m256i*)(r+32)));}}
    for(int k=0;k<NPOS;k++){ __m256i pos=_mm256_set1_epi16(p+k);
#ifndef MAXONLY
      __m256i g=_mm256_cmpgt_epi16(a[k],M1a); Ia=_mm256_blendv_epi8(Ia,pos,g); M2a=_mm256_max_epi16(M2a,_mm256_min_epi16(M1a,a[k]));
      __m256i h=_mm256_cmpgt_epi16(c[k],M1c); Ic=_mm256_blendv_epi8(Ic,pos,h); M2c=_mm256_max_epi16(M2c,_mm256_min_epi16(M1c,c[k]));
#endif
      M1a=_mm256_max_epi16(M1a,a[k]); M1c=_mm256_max_epi16(M1c,c[k]);}
    p+=NPOS; if(p>=P)break;}
  _mm256_storeu_si256((__m256i*)out,M1a);_mm256_storeu_si256((__m256i*)(out+16),M1c);
  _mm256_storeu_si256((__m256i*)(out+32),M2a);_mm256_storeu_si256((__m256i*)(out+48),M2c);
  _mm256_storeu_si256((__m256i*)(out+64),Ia);_mm256_storeu_si256((__m256i*)(out+80),Ic);
}
int main(int argc,char**argv){
  char*tf=aligned_alloc(64,32768),*ti=aligned_alloc(64,32768);
  for(int i=0;i<8192;i++)((float*)tf)[i]=(rand()%1000)*0.001f;
  for(int i=0;i<16384;i++)((int16_t*)ti)[i]=rand()%4000-2000;
  uint8_t*pk=aligned_alloc(64,NS*40); for(int i=0;i<NS*40;i++)pk[i]=rand();
  float fo[16]; int16_t io[96]; double s=0;
  for(int round=0;round<3;round++){
  double t0=now(); for(int rep=0;rep<200;rep++)for(int i=0;i<NS;i++){fpair(tf,pk+i*40,fo); s+=fo[rep&15];} double tfl=now()-t0;
  t0=now(); for(int rep=0;rep<200;rep++)for(int i=0;i<NS;i++){ipair(ti,pk+i*40,io); s+=io[rep&63];} double tin=now()-t0;
  printf("float pair (16 filters): %.1f ns/seq ; int16 pair (32 filters): %.1f ns/seq ; per-filter ratio %.3f\n",tfl/(200.0*NS)*1e9,tin/(200.0*NS)*1e9,(tin/32)/(tfl/16));}
  printf("%g\n",s);
}
