#ifndef SIGTFB_CPREFETCH_SHIM_H
#define SIGTFB_CPREFETCH_SHIM_H

/* Swift has no prefetch intrinsic and C's _mm_prefetch is a macro (not imported), so this
   inline function exposes the compiler builtin: a hint on any architecture, never a fault. */
static inline void sigtfb_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/* A spin-wait hint (x86 `pause`, arm64 `yield`): a waiting loop frees the core's resources for
   a sibling thread and leaves the loop without a memory-order mis-speculation penalty. A no-op
   elsewhere. */
static inline void sigtfb_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

#endif
