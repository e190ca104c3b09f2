#ifndef SIGTFB_CPREFETCH_SHIM_H
#define SIGTFB_CPREFETCH_SHIM_H

/* Swift has no prefetch intrinsic and C's _mm_prefetch is a macro (not imported), so this
   inline function exposes the compiler builtin: a hint on any architecture, never a fault. */
static inline void sigtfb_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
