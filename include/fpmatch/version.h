/* fpmatch: compile-time version. fpm_version() / fpm::version() give the
 * version of the library actually loaded at run time. */
#ifndef FPMATCH_VERSION_H
#define FPMATCH_VERSION_H

#define FPM_VERSION_MAJOR 0
#define FPM_VERSION_MINOR 1
#define FPM_VERSION_PATCH 0
#define FPM_VERSION_STRING "0.1.0"
/* Single number for comparisons: major * 10000 + minor * 100 + patch. */
#define FPM_VERSION_NUMBER (FPM_VERSION_MAJOR * 10000 + FPM_VERSION_MINOR * 100 + FPM_VERSION_PATCH)

#endif
