/* The smallest complete C program with fpmatch: load a gallery, search one
 * probe file, print the candidates.
 *   c_search GALLERY.fpg PROBE_FILE */
#include <fpmatch/fpmatch.h>
#include <stdio.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s GALLERY.fpg PROBE_FILE\n", argv[0]);
    return 2;
  }
  fpm_engine* engine = NULL;
  fpm_template* probe = NULL;
  int status = 1;
  if (fpm_engine_load(argv[1], NULL, &engine) != FPM_OK || fpm_template_load(argv[2], NULL, 0, &probe) != FPM_OK) {
    fprintf(stderr, "c_search: %s\n", fpm_last_error());
    goto done;
  }
  fpm_search_options options;
  fpm_search_options_init(&options);
  options.top_k = 5;
  fpm_candidate found[5];
  size_t count = 0;
  const fpm_template* probes[1] = {probe};
  if (fpm_engine_search(engine, probes, 1, &options, found, 5, &count) != FPM_OK) {
    fprintf(stderr, "c_search: %s\n", fpm_last_error());
    goto done;
  }
  for (size_t i = 0; i < count; ++i) {
    /* Above every calibration impostor score the FMR is only known to be
     * below 1/impostors: print it as "< 5.02e-06", never as 0. */
    double fmr = 0;
    int upper_bound = 0;
    fpm_fmr_estimate(found[i].score, &fmr, &upper_bound);
    printf("%zu. %s finger %d score %.6f fmr %s%.2e\n", i + 1, found[i].subject, found[i].position, found[i].score,
           upper_bound ? "< " : "", fmr);
  }
  status = 0;
done:
  fpm_template_destroy(probe);
  fpm_engine_destroy(engine);
  return status;
}
