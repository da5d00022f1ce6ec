//! The seed tutorial's examples, each checked against a value computed here
//! from the formula (in f64, with the max shift; for f32 results that is
//! exact to far below an f32 ULP) or from an identity, and against the
//! tutorial's printed digits -- never against an earlier output of the
//! library.

use pysoftmax::{log_softmax_vec, logsumexp_row, softmax_vec};

/// The spacing of f64 values at |v| (the subnormal spacing below the normal range).
fn ulp64(v: f64) -> f64 {
    let exponent = ((v.abs().to_bits() >> 52) as i32).max(1) - 1023;
    2f64.powi(exponent - 52)
}

/// The spacing of f32 values at |v|, v given in f64.
fn ulp32(v: f64) -> f64 {
    let exponent = ((v.abs().to_bits() >> 52) as i32) - 1023;
    2f64.powi(exponent.max(-126) - 23)
}

/// softmax of x / T from the formula: exp((x - max) / T) / sum, in f64.
fn softmax_formula(x: &[f64], temperature: f64) -> Vec<f64> {
    let max = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = x.iter().map(|v| ((v - max) / temperature).exp()).collect();
    let sum: f64 = e.iter().sum();
    e.iter().map(|v| v / sum).collect()
}

/// |got - want| within `ulps` f64 ULP of want (the formula's own error is a
/// few ULP, so f64 results are compared with a few ULP of slack).
fn assert_close64(got: &[f64], want: &[f64], ulps: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= ulps * ulp64(*w),
            "{what}[{i}]: {g:e} vs {w:e} (ulp {:e})",
            ulp64(*w)
        );
    }
}

/// The seed's printed digits: |got - printed| <= half a unit of the last digit.
fn assert_digits(got: &[f64], printed: &[f64], half_unit: f64, what: &str) {
    for (i, (g, p)) in got.iter().zip(printed).enumerate() {
        assert!((g - p).abs() <= half_unit, "{what}[{i}] = {g} but the seed prints {p}");
    }
}

#[test]
fn overflow_softmax_of_10_2_10000_4_is_one_hot() {
    // exp(10000) overflows; exp(x - max) does not: exactly [0, 0, 1, 0].
    let y = softmax_vec(&[10.0_f64, 2.0, 10000.0, 4.0], 1.0).unwrap();
    assert_eq!(y, [0.0, 0.0, 1.0, 0.0]);
    assert_eq!(y, softmax_formula(&[10.0, 2.0, 10000.0, 4.0], 1.0));
    let y32 = softmax_vec(&[10.0_f32, 2.0, 10000.0, 4.0], 1.0).unwrap();
    assert_eq!(y32, [0.0, 0.0, 1.0, 0.0]);
}

#[test]
fn max_shift_softmax_is_shift_invariant() {
    let x = [10.0_f64, 2.0, 40.0, 4.0];
    let shifted: Vec<f64> = x.iter().map(|v| v + 1e6).collect();
    let y = softmax_vec(&x, 1.0).unwrap();
    // x + 1e6 is exact, so the exact softmax is the same: so is the result, bit for bit.
    assert_eq!(y, softmax_vec(&shifted, 1.0).unwrap());
    assert_close64(&y, &softmax_formula(&x, 1.0), 4.0, "softmax([10, 2, 40, 4])");
    // The seed prints 9.3576e-14 3.1391e-17 1.0000e+00 2.3195e-16: five significant digits.
    for (g, p) in y.iter().zip([9.3576e-14_f64, 3.1391e-17, 1.0, 2.3195e-16]) {
        let half_unit = 0.5e-4 * 10f64.powi(p.log10().floor() as i32);
        assert!((g - p).abs() <= half_unit, "{g:e} but the seed prints {p:e}");
    }
}

#[test]
fn log_softmax_float32_keeps_the_largest_entrys_digits() {
    let y = log_softmax_vec(&[0.0_f32, -30.0, -40.0], 1.0).unwrap();
    // Exact: -log1p(e^-30 + e^-40) for the first entry, -30 and -40 minus that for the others.
    let first = -((-30.0_f64).exp() + (-40.0_f64).exp()).ln_1p();
    let want = [first, -30.0 + first, -40.0 + first];
    for (i, (g, w)) in y.iter().zip(&want).enumerate() {
        let g = f64::from(*g);
        assert!((g - w).abs() <= 2.0 * ulp32(*w), "log_softmax[{i}]: {g:e} vs {w:e}");
    }
    assert!(y[0] != 0.0, "log(softmax(x)) would give 0 here; the exact value is -9.358e-14");
    assert!((f64::from(y[0]) - -9.358e-14).abs() <= 0.5e-17, "the seed prints -9.358e-14");
}

#[test]
fn logsumexp_of_1000_1000_is_1000_plus_ln_2() {
    let exact = 1000.0 + std::f64::consts::LN_2; // within half an ULP of 1000 + ln 2
    let got = logsumexp_row(&[1000.0_f64, 1000.0]).unwrap();
    assert!((got - exact).abs() <= 2.0 * ulp64(exact), "{got} vs {exact}");
    let got32 = logsumexp_row(&[1000.0_f32, 1000.0]).unwrap();
    let exact32 = 1000.0 + std::f64::consts::LN_2;
    assert!((f64::from(got32) - exact32).abs() <= 2.0 * ulp32(exact32), "{got32} vs {exact32}");
    // The naive log(sum(exp(x))) overflows here.
    assert!(((1000.0_f64).exp() * 2.0).ln().is_infinite());
}

const LOGITS: [f64; 4] = [38.0, 20.0, 40.0, 39.0]; // goes, go, went, comes

#[test]
fn temperature_one_thousandth_picks_went() {
    let p = softmax_vec(&LOGITS, 0.001).unwrap();
    // (39 - 40) / 0.001 = -1000: e^-1000 is below the smallest subnormal.
    assert_eq!(p, [0.0, 0.0, 1.0, 0.0]);
    assert_eq!(p, softmax_formula(&LOGITS, 0.001));
}

#[test]
fn temperature_one_is_the_seeds_table() {
    let p = softmax_vec(&LOGITS, 1.0).unwrap();
    assert_close64(&p, &softmax_formula(&LOGITS, 1.0), 4.0, "T = 1");
    assert_digits(&p, &[0.0900, 0.0000, 0.6652, 0.2447], 0.5e-4, "T = 1");
    let sum: f64 = p.iter().sum();
    assert!((sum - 1.0).abs() <= 4.0 * f64::EPSILON);
}

#[test]
fn temperature_one_hundred_is_nearly_uniform() {
    let p = softmax_vec(&LOGITS, 100.0).unwrap();
    assert_close64(&p, &softmax_formula(&LOGITS, 100.0), 4.0, "T = 100");
    assert_digits(&p, &[0.2587, 0.2161, 0.2639, 0.2613], 0.5e-4, "T = 100");
}

#[test]
fn temperature_limits_zero_and_infinity() {
    assert_eq!(softmax_vec(&LOGITS, 0.0).unwrap(), [0.0, 0.0, 1.0, 0.0]);
    assert_eq!(softmax_vec(&LOGITS, f64::INFINITY).unwrap(), [0.25; 4]);
    let logits32: Vec<f32> = LOGITS.iter().map(|&v| v as f32).collect();
    assert_eq!(softmax_vec(&logits32, 0.0).unwrap(), [0.0, 0.0, 1.0, 0.0]);
    assert_eq!(softmax_vec(&logits32, f32::INFINITY).unwrap(), [0.25; 4]);
    // log_softmax at the limits: log 1 = 0 and log 0 = -inf; log(1/4) = -2 ln 2.
    let l = log_softmax_vec(&LOGITS, 0.0).unwrap();
    assert_eq!(l, [f64::NEG_INFINITY, f64::NEG_INFINITY, 0.0, f64::NEG_INFINITY]);
    let l = log_softmax_vec(&LOGITS, f64::INFINITY).unwrap();
    assert_close64(&l, &[-2.0 * std::f64::consts::LN_2; 4], 1.0, "log_softmax, T = inf");
}

#[test]
fn temperature_is_the_softmax_of_x_over_t() {
    // softmax(x, T) is softmax(x / T): for T = 4 the division is exact.
    let divided: Vec<f64> = LOGITS.iter().map(|v| v / 4.0).collect();
    let want = softmax_formula(&divided, 1.0);
    assert_close64(&softmax_vec(&LOGITS, 4.0).unwrap(), &want, 4.0, "T = 4");
    assert_close64(&softmax_vec(&divided, 1.0).unwrap(), &want, 4.0, "x / 4");
}
