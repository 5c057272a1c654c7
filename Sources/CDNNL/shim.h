#include <oneapi/dnnl/dnnl.h>

#if DNNL_VERSION_MAJOR != 2
#error "the native runtime's oneDNN backend is written for the oneDNN 2.x C API (Debian 12: libdnnl-dev 2.6)"
#endif

/* oneDNN's CPU runtime is OpenMP: thread count is set through libgomp. */
extern void omp_set_num_threads(int);

/* DNNL_MEMORY_ALLOCATE is a casted pointer macro, which Swift cannot import. */
static inline void *kenning_dnnl_memory_allocate(void) { return DNNL_MEMORY_ALLOCATE; }
