#ifndef SIGTFB_CHDF5_SHIM_H
#define SIGTFB_CHDF5_SHIM_H
#include <hdf5.h>

// HDF5's predefined type and property-list identifiers are macros that expand to
// global variables behind H5open(); Swift cannot import them, so expose them as functions.
static inline hid_t sigtfb_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t sigtfb_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t sigtfb_h5t_native_int8(void) { return H5T_NATIVE_SCHAR; }
static inline hid_t sigtfb_h5t_native_uint8(void) { return H5T_NATIVE_UCHAR; }
static inline hid_t sigtfb_h5t_native_int32(void) { return H5T_NATIVE_INT; }
static inline hid_t sigtfb_h5t_native_int64(void) { return H5T_NATIVE_LLONG; }
static inline hid_t sigtfb_h5t_ieee_f16le(void) {
#ifdef H5T_IEEE_F16LE
    return H5T_IEEE_F16LE;
#else
    return -1;
#endif
}
static inline hid_t sigtfb_h5t_c_s1(void) { return H5T_C_S1; }
static inline hid_t sigtfb_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t sigtfb_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t sigtfb_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t sigtfb_h5s_all(void) { return H5S_ALL; }
static inline unsigned sigtfb_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned sigtfb_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline hsize_t sigtfb_h5s_unlimited(void) { return H5S_UNLIMITED; }
static inline size_t sigtfb_h5t_variable(void) { return H5T_VARIABLE; }
static inline herr_t sigtfb_h5_silence_errors(void) { return H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
static inline hid_t sigtfb_h5t_std_u8le(void) { return H5T_STD_U8LE; }
static inline hid_t sigtfb_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline H5S_seloper_t sigtfb_h5s_select_set(void) { return H5S_SELECT_SET; }
#endif
