#ifndef SIGTFB_CZLIB_SHIM_H
#define SIGTFB_CZLIB_SHIM_H
#include <zlib.h>
// inflateInit2 is a macro; expose it as a function for Swift.
static inline int sigtfb_inflate_init2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
static inline int sigtfb_deflate_init2(z_streamp strm, int level, int windowBits) {
    return deflateInit2(strm, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}
#endif
