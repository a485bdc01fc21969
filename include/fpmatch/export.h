/* fpmatch: symbol visibility. The library is built with hidden visibility;
 * only declarations marked FPM_API are exported from libfpmatch. */
#ifndef FPMATCH_EXPORT_H
#define FPMATCH_EXPORT_H

#if defined(_WIN32)
#  if defined(FPM_BUILDING_LIBRARY)
#    define FPM_API __declspec(dllexport)
#  else
#    define FPM_API __declspec(dllimport)
#  endif
#else
#  define FPM_API __attribute__((visibility("default")))
#endif

#endif
