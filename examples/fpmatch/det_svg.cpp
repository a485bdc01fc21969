#include "det_svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace cli {

namespace {
constexpr double kW = 640, kH = 520, kLeft = 70, kRight = 20, kTop = 30, kBottom = 60;
constexpr double kMinFmr = 1e-5, kMinFnmr = 1e-3;

double px(double fmr) {
  const double v = std::log10(std::max(fmr, kMinFmr));
  return kLeft + (v - std::log10(kMinFmr)) / -std::log10(kMinFmr) * (kW - kLeft - kRight);
}
double py(double fnmr) {
  const double v = std::log10(std::max(fnmr, kMinFnmr));
  return kTop + (0.0 - v) / -std::log10(kMinFnmr) * (kH - kTop - kBottom);
}
std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}
}  // namespace

std::string det_svg(const std::vector<std::pair<std::string, std::vector<fpm::DetPoint>>>& curves) {
  static const char* colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(kW) + "\" height=\"" + num(kH) +
                  "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s += "<text x=\"" + num(kW / 2) + "\" y=\"18\" text-anchor=\"middle\">DET curve (fpmatch eval)</text>\n";
  for (int e = 0; e >= -5; --e) {  // FMR decades
    const double x = px(std::pow(10.0, e));
    s += "<line x1=\"" + num(x) + "\" y1=\"" + num(kTop) + "\" x2=\"" + num(x) + "\" y2=\"" + num(kH - kBottom) +
         "\" stroke=\"#ddd\"/>\n<text x=\"" + num(x) + "\" y=\"" + num(kH - kBottom + 16) +
         "\" text-anchor=\"middle\">1e" + std::to_string(e) + "</text>\n";
  }
  for (int e = 0; e >= -3; --e) {  // FNMR decades
    const double y = py(std::pow(10.0, e));
    s += "<line x1=\"" + num(kLeft) + "\" y1=\"" + num(y) + "\" x2=\"" + num(kW - kRight) + "\" y2=\"" + num(y) +
         "\" stroke=\"#ddd\"/>\n<text x=\"" + num(kLeft - 6) + "\" y=\"" + num(y + 4) +
         "\" text-anchor=\"end\">1e" + std::to_string(e) + "</text>\n";
  }
  s += "<text x=\"" + num(kW / 2) + "\" y=\"" + num(kH - 18) + "\" text-anchor=\"middle\">false match rate</text>\n";
  s += "<text x=\"16\" y=\"" + num(kH / 2) + "\" text-anchor=\"middle\" transform=\"rotate(-90 16 " + num(kH / 2) +
       ")\">false non-match rate</text>\n";
  for (std::size_t c = 0; c < curves.size(); ++c) {
    const char* colour = colours[c % 6];
    std::string pts;
    for (const fpm::DetPoint& p : curves[c].second) pts += num(px(p.fmr)) + "," + num(py(p.fnmr)) + " ";
    s += "<polyline fill=\"none\" stroke=\"" + std::string(colour) + "\" stroke-width=\"1.5\" points=\"" + pts + "\"/>\n";
    s += "<text x=\"" + num(kLeft + 10) + "\" y=\"" + num(kH - kBottom - 10 - 16.0 * c) + "\" fill=\"" + colour + "\">" +
         curves[c].first + "</text>\n";
  }
  return s + "</svg>\n";
}

}  // namespace cli
