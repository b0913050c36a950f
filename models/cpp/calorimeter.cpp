// A small physics simulator: a particle of unknown mass decays into two photons whose energies
// are deposited in an 8 x 8 calorimeter with Gaussian noise; the whole image is one observation.
//
// Latents: the parent's mass (named "mass"), its momentum direction, and the decay angle; the
// detector's response per cell is a Gaussian blob around each photon's impact point. Observing
// the image ("image", 64 values) constrains the mass through the photons' opening angle and energies.
#include <cmath>
#include <vector>

#include <probe/probe.hpp>

namespace {

constexpr int kCells = 8;
constexpr double kPi = 3.14159265358979323846;

void deposit(std::vector<double>& image, double x, double y, double energy) {
  // A photon's shower spreads over neighbouring cells with a width of 0.6 cells.
  for (int i = 0; i < kCells; ++i) {
    for (int j = 0; j < kCells; ++j) {
      double dx = (i + 0.5) - x;
      double dy = (j + 0.5) - y;
      image[i * kCells + j] += energy * std::exp(-(dx * dx + dy * dy) / (2 * 0.36)) / (2 * kPi * 0.36);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  return probe::serve("calorimeter", "1.0", [] {
    double mass = probe::sample(probe::Uniform(0.5, 3.0), "mass");
    double momentum = probe::sample(probe::Gamma(4, 1), "momentum");
    double cx = probe::sample(probe::Uniform(2, 6), "x");
    double cy = probe::sample(probe::Uniform(2, 6), "y");
    double angle = probe::sample(probe::Uniform(0, kPi));
    // Two-body decay in the transverse plane: the opening grows as the mass grows relative to the momentum.
    double energy = std::sqrt(mass * mass + momentum * momentum);
    double opening = 2 * std::atan(mass / std::max(momentum, 1e-6));
    double fraction = probe::sample(probe::Beta(4, 4));
    double e1 = energy * fraction;
    double e2 = energy - e1;
    std::vector<double> image(kCells * kCells, 0.0);
    deposit(image, cx + std::cos(angle) * opening, cy + std::sin(angle) * opening, e1);
    deposit(image, cx - std::cos(angle) * opening, cy - std::sin(angle) * opening, e2);
    probe::tag("energy", probe::Value(energy));
    // The mean is sent as an 8 x 8 grid: Probe's compiler then embeds the image with a CNN.
    probe::Distribution seen = probe::Normal(image, std::vector<double>{0.05});
    seen.params[0].shape = {kCells, kCells};
    probe::observe(seen, "image");
    return probe::Value(mass);
  }, argc, argv);
}
