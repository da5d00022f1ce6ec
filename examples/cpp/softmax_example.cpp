// softmax_example.cpp -- the pysoftmax C API from C++17, the header used as
// it is (it declares its functions extern "C" for C++).
//
// Build it with CMake against the installed library (see CMakeLists.txt):
//
//   cmake -S examples/cpp -B build-example -DCMAKE_PREFIX_PATH=PREFIX
//   cmake --build build-example && ./build-example/softmax_example
//
// or with pkg-config:
//
//   export PKG_CONFIG_PATH=PREFIX/lib/pkgconfig
//   c++ -std=c++17 softmax_example.cpp -o softmax_example
//       $(pkg-config --cflags --libs pysoftmax) -Wl,-rpath,PREFIX/lib
//
// (one command line).
//
// It prints the same `label = [values]` lines as examples/c (every value with
// enough digits to read it back exactly), checks its claims, and exits with
// status 1 if a call fails or a claim does not hold.
#include <array>
#include <cstddef>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <pysoftmax.h>

namespace {

// A failed call: the PSM_E_* status and psm_strerror's message.
class psm_error : public std::runtime_error {
public:
    explicit psm_error(int status)
        : std::runtime_error(psm_strerror(status)), status_(status) {}
    int status() const noexcept { return status_; }

private:
    int status_;
};

void check(int status)
{
    if (status != PSM_OK)
        throw psm_error(status);
}

// softmax / log_softmax of `rows` rows of n = x.size() / rows, for float or
// double, as a new vector.
template <class T>
std::vector<T> softmax(const std::vector<T> &x, T temperature = 1, std::size_t rows = 1)
{
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
    std::vector<T> y(x.size());
    const std::size_t n = rows == 0 ? 0 : x.size() / rows;
    if constexpr (std::is_same_v<T, float>)
        check(psm_softmax_f32(x.data(), y.data(), rows, n, temperature));
    else
        check(psm_softmax_f64(x.data(), y.data(), rows, n, temperature));
    return y;
}

template <class T>
void log_softmax_in_place(std::vector<T> &x, T temperature = 1)
{
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
    if constexpr (std::is_same_v<T, float>)
        check(psm_log_softmax_f32(x.data(), x.data(), 1, x.size(), temperature));
    else
        check(psm_log_softmax_f64(x.data(), x.data(), 1, x.size(), temperature));
}

template <class T>
T logsumexp(const std::vector<T> &x)
{
    T out{};
    if constexpr (std::is_same_v<T, float>)
        check(psm_logsumexp_f32(x.data(), &out, 1, x.size()));
    else
        check(psm_logsumexp_f64(x.data(), &out, 1, x.size()));
    return out;
}

template <class T>
void print(const std::string &label, const std::vector<T> &y)
{
    std::ostringstream line;
    line << std::setprecision(std::numeric_limits<T>::max_digits10) << label << " = [";
    for (std::size_t i = 0; i < y.size(); i++)
        line << (i ? ", " : "") << y[i];
    line << "]";
    std::cout << line.str() << "\n";
}

int failures = 0;

void claim(bool holds, const char *what)
{
    if (!holds) {
        std::cout << "CLAIM DOES NOT HOLD: " << what << "\n";
        failures++;
    }
}

void examples()
{
    const double inf = std::numeric_limits<double>::infinity();

    // The version: header (compile time) and library (run time).
    const std::string header = std::to_string(PSM_VERSION_MAJOR) + "." +
                               std::to_string(PSM_VERSION_MINOR) + "." +
                               std::to_string(PSM_VERSION_PATCH);
    std::cout << "pysoftmax " << psm_version() << " (header " << header
              << "), kernels: " << psm_isa() << "\n";
    claim(header == psm_version(), "the library is the header's version");
    claim(psm_version_number() == PSM_VERSION_NUMBER, "psm_version_number() == PSM_VERSION_NUMBER");

    // 1. Overflow: exp(10000) is inf, yet softmax is [0, 0, 1, 0].
    const auto overflow = softmax<double>({10, 2, 10000, 4});
    print("softmax([10, 2, 10000, 4])", overflow);
    claim(overflow == std::vector<double>{0, 0, 1, 0}, "softmax is [0, 0, 1, 0]");

    // 2. The max shift: softmax(x) == softmax(x + 1e6), bit for bit.
    std::vector<double> x{10, 2, 40, 4};
    const auto y = softmax(x);
    for (double &value : x)
        value += 1e6;
    const auto y_shifted = softmax(x);
    print("softmax([10, 2, 40, 4])", y);
    print("softmax([10, 2, 40, 4] + 1e6)", y_shifted);
    claim(y == y_shifted, "the shift changes nothing");

    // 3. log-softmax keeps the digits of the largest entry (float32, in place).
    std::vector<float> small{0, -30, -40};
    log_softmax_in_place(small);
    print("log_softmax(float32 [0, -30, -40])", small);
    claim(small[0] < 0 && small[0] > -1e-13f, "the first entry is about -9.358e-14, not 0");

    // 4. logsumexp of [1000, 1000] is 1000 + log(2).
    const double lse = logsumexp<double>({1000, 1000});
    const double ln2 = 0.693147180559945309417;
    std::cout << std::setprecision(17) << "logsumexp([1000, 1000]) = " << lse
              << "   (1000 + log(2) = " << 1000 + ln2 << ")\n";
    claim(lse - (1000 + ln2) <= 0x1p-42 && (1000 + ln2) - lse <= 0x1p-42,
          "it is 1000 + log(2), within 2 ULP");

    // 5. Temperature: softmax(x / T) for "The boy ___ to the market".
    const std::array<const char *, 4> words{"goes", "go", "went", "comes"};
    const std::vector<double> logits{38, 20, 40, 39};
    const std::array<std::pair<const char *, double>, 5> temperatures{
        {{"0.001", 0.001}, {"1", 1}, {"100", 100}, {"0", 0}, {"inf", inf}}};
    for (const auto &[label, temperature] : temperatures) {
        const auto p = softmax(logits, temperature);
        print(std::string("softmax([38, 20, 40, 39], T=") + label + ")", p);
        std::cout << "   " << std::fixed << std::setprecision(4);
        for (std::size_t i = 0; i < words.size(); i++)
            std::cout << " " << words[i] << "=" << p[i];
        std::cout << std::defaultfloat << "\n";
    }
    claim(softmax(logits, 0.0) == std::vector<double>{0, 0, 1, 0}, "T = 0 gives [0, 0, 1, 0]");
    claim(softmax(logits, inf) == std::vector<double>(4, 0.25), "T = inf gives [0.25] * 4");

    // 6. Another axis: softmax down the columns of a 2 x 3 matrix, no copy.
    // Row r of the call is column r: entry i of it is m[r * 1 + i * 3].
    const std::array<double, 6> m{1, 2, 3, 4, 5, 6};
    std::vector<double> columns(6);
    check(psm_softmax_strided_f64(m.data(), 1, 3, columns.data(), 1, 3, 3, 2, 1.0));
    print("softmax([[1, 2, 3], [4, 5, 6]], axis=0)", columns);
    claim(columns[0] == columns[1] && columns[1] == columns[2] && columns[3] == columns[5],
          "every column has the same softmax");

    // 7. Errors: a status, a message, and nothing written.
    try {
        softmax<double>({1, 2, 3}, -1);
        claim(false, "a negative temperature is an error");
    } catch (const psm_error &error) {
        std::cout << "softmax(temperature -1) threw: " << error.what() << " (status "
                  << error.status() << ")\n";
        claim(error.status() == PSM_E_TEMPERATURE, "it is PSM_E_TEMPERATURE");
    }
    std::vector<double> z{1, 2, 3};
    const int status = psm_softmax_f64(z.data(), z.data() + 1, 1, 2, 1.0);
    std::cout << "psm_softmax_f64(y = x + 1) = " << status << ": " << psm_strerror(status) << "\n";
    claim(status == PSM_E_OVERLAP, "an output that overlaps the input is PSM_E_OVERLAP");
    claim(z == std::vector<double>{1, 2, 3}, "nothing is written on error");
}

}  // namespace

int main()
{
    try {
        examples();
    } catch (const std::exception &error) {
        std::cout << "example failed: " << error.what() << "\n";
        return 1;
    }
    if (failures != 0) {
        std::cout << "example: " << failures << " FAILURES\n";
        return 1;
    }
    std::cout << "example: OK\n";
    return 0;
}
