// Every distribution of the runtime once, by name, in the order of tests/src/test/python/distributions.py:
// a test simulator. Under --self-draw the C++ and the Python clients draw the same values from one
// seed (SelfDrawTest compares them, and checks that they follow each distribution).
#include <cmath>
#include <probe/probe.hpp>

int main(int argc, char** argv) {
  return probe::serve("distributions", "1.0", [] {
    probe::sample(probe::Normal(0.5, 2), "normal");
    probe::sample(probe::Normal(std::vector<double>(6, 0.0), {1, 2, 3, 4, 5, 6}), "normals");
    probe::sample(probe::Uniform(-1, 3), "uniform");
    probe::sample(probe::Uniform({0, 1}, {3, 3}), "uniforms");
    probe::sample(probe::TruncatedNormal(0, 1, -0.5, 2), "truncated");
    probe::sample(probe::LogNormal(0.1, 0.5), "lognormal");
    probe::sample(probe::Exponential(2), "exponential");
    probe::sample(probe::Gamma(2, 3), "gamma");
    probe::sample(probe::Beta(2, 5), "beta");
    probe::sample(probe::Bernoulli(0.3), "bernoulli");
    probe::sample(probe::Bernoulli(std::vector<double>(4, 0.5)), "bernoullis");
    probe::sample(probe::Binomial(10, 0.4), "binomial");
    probe::sample(probe::Poisson(3.5), "poisson");
    probe::sample(probe::Poisson(std::vector<double>{1, 2, 3}), "poissons");
    probe::sample(probe::Categorical({0.2, 0.3, 0.5}), "categorical");
    probe::sample(probe::Dirichlet({1, 2, 3}), "dirichlet");
    probe::sample(probe::MultivariateNormal({0, 1}, {2, 0.5, 0.5, 1}), "mvn");
    probe::sample(probe::Mixture({0.3, 0.7}, {probe::Normal(-2, 1), probe::Normal(2, 0.5)}), "mixture");
    probe::observe(probe::Normal(std::vector<double>(6, 0.0), std::vector<double>(6, 1.0)), "image");
    return probe::Value(0.25);
  }, argc, argv);
}
