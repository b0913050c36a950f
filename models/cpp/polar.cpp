// The Gaussian model with mu drawn by Marsaglia's polar method, the twin of builtin:polar: (u1, u2)
// uniform on the square until inside the unit disk, marked with probe::rejection so that inference
// compilation proposes every iteration alike (docs/inference-compilation.md).
#include <array>
#include <cmath>

#include "probe/probe.hpp"

int main(int argc, char** argv) {
  return probe::serve("polar", "1.0", [] {
    std::array<double, 2> u = probe::rejection(
        "polar",
        [] {
          return std::array<double, 2>{probe::sample(probe::Uniform(-1, 1), "u1").as_double(),
                                       probe::sample(probe::Uniform(-1, 1), "u2").as_double()};
        },
        [](const std::array<double, 2>& v) {
          double s = v[0] * v[0] + v[1] * v[1];
          return s < 1 && s > 0;
        });
    double s = u[0] * u[0] + u[1] * u[1];
    double mu = 1 + std::sqrt(5.0) * u[0] * std::sqrt(-2 * std::log(s) / s);
    probe::tag("mu", probe::Value(mu));
    probe::observe(probe::Normal(mu, std::sqrt(2.0)), "obs0");
    probe::observe(probe::Normal(mu, std::sqrt(2.0)), "obs1");
    return probe::Value(mu);
  }, argc, argv);
}
