#include <fpmatch/fpmatch.hpp>
#include <cstdio>
#include <cstring>

int main() {
  fpm::SyntheticFingers sf;
  const float self = fpm::match(fpm::encode(sf.impression(1, 1, 0)), fpm::encode(sf.impression(1, 1, 0)));
  std::printf("fpmatch %s, self score %.3f\n", fpm::version(), self);
  return std::strcmp(fpm::version(), FPM_VERSION_STRING) == 0 && self > 0.9f ? 0 : 1;
}
