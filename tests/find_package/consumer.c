#include <fpmatch/fpmatch.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  printf("fpmatch %s via C\n", fpm_version());
  return strcmp(fpm_version(), FPM_VERSION_STRING) == 0 ? 0 : 1;
}
