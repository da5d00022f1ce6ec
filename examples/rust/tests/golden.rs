//! The conformance suite's golden vectors (`conformance/vectors/*.txt`, the
//! format of `conformance/README.md`) through the safe bindings.
//!
//! Every case of every file is read here (hex floats parsed by this file:
//! no crates), run through the contiguous functions, in place, and, where two
//! strides describe the layout, through the strided ones, and checked:
//!
//! - the edge cases (`edge_*`: the edge-case table `pysoftmax/edge_cases.json`,
//!   as the generator wrote it into the vectors) bit for bit, the sign of a
//!   zero included, except that any NaN meets any NaN;
//! - every other case by the suite's passing rule: within 2 ULP of the
//!   correctly rounded `expected` (logsumexp: 2 ULP of `scale` where given).
//!
//! `PSM_VECTORS` names another directory of vector files.

use std::collections::BTreeSet;
use std::env;
use std::fs;
use std::path::{Path, PathBuf};

use pysoftmax::{Float, Layout};

const BOUND_ULP: f64 = 2.0;

fn repository_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(relative)
}

fn vectors_dir() -> PathBuf {
    env::var_os("PSM_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repository_file("conformance/vectors"))
}

// ------------------------------------------------------------------ numbers

/// A number as the format writes it: a C99 hexadecimal float
/// (`[-]0x1.8p+1`, the exponent optional, as strtod allows), `inf`, `-inf`
/// or `nan`, rounded to the nearest f64 (ties to even, subnormals included).
pub fn parse_number(token: &str) -> Option<f64> {
    let (negative, unsigned) = match token.as_bytes().first() {
        Some(b'-') => (true, &token[1..]),
        Some(b'+') => (false, &token[1..]),
        _ => (false, token),
    };
    let sign = |v: f64| if negative { -v } else { v };
    match unsigned.to_ascii_lowercase().as_str() {
        "inf" | "infinity" => return Some(sign(f64::INFINITY)),
        "nan" => return Some(f64::NAN),
        _ => {}
    }
    let hex = unsigned.strip_prefix("0x").or_else(|| unsigned.strip_prefix("0X"))?;
    let (digits, exponent_text) = match hex.find(['p', 'P']) {
        Some(p) => (&hex[..p], Some(&hex[p + 1..])),
        None => (hex, None),
    };
    let (integer, fraction) = match digits.find('.') {
        Some(dot) => (&digits[..dot], &digits[dot + 1..]),
        None => (digits, ""),
    };
    if integer.is_empty() && fraction.is_empty() {
        return None;
    }
    // The value is mantissa * 2^exponent, plus less than one unit of the
    // mantissa's last bit when `sticky` (digits beyond 60 bits).
    let mut exponent: i64 = match exponent_text {
        None => 0,
        Some(text) => {
            let body = text.strip_prefix(['+', '-']).unwrap_or(text);
            if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            // Beyond any double's range either way; saturate instead of overflowing.
            let magnitude = body.parse::<i64>().unwrap_or(1 << 40).min(1 << 40);
            if text.starts_with('-') {
                -magnitude
            } else {
                magnitude
            }
        }
    };
    let (mut mantissa, mut sticky) = (0u64, false);
    for (in_fraction, part) in [(false, integer), (true, fraction)] {
        for c in part.chars() {
            let digit = c.to_digit(16)? as u64;
            if mantissa < 1 << 60 {
                mantissa = mantissa * 16 + digit;
                if in_fraction {
                    exponent -= 4;
                }
            } else {
                sticky |= digit != 0;
                if !in_fraction {
                    exponent += 4;
                }
            }
        }
    }
    Some(sign(round_to_f64(mantissa, exponent, sticky)))
}

/// mantissa * 2^exponent (+ a sticky fraction of its last bit) rounded to f64.
fn round_to_f64(mantissa: u64, exponent: i64, sticky: bool) -> f64 {
    if mantissa == 0 {
        return 0.0;
    }
    let bits = 64 - i64::from(mantissa.leading_zeros());
    let top = bits - 1 + exponent; // the exponent of the leading bit
    if top > 1023 {
        return f64::INFINITY;
    }
    let mut lsb = (top - 52).max(-1074); // the exponent of the result's last bit
    let shift = lsb - exponent; // low bits of the mantissa that do not fit
    let mut q: u64 = if shift <= 0 {
        mantissa << -shift
    } else if shift > 64 {
        0 // below half of the smallest subnormal
    } else {
        let m = u128::from(mantissa);
        let kept = m >> shift;
        let dropped = m & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        let up = dropped > half || (dropped == half && (sticky || kept & 1 == 1));
        (kept + u128::from(up)) as u64
    };
    if q >= 1 << 53 {
        q >>= 1; // the rounding carried into a new bit: q was 2^53
        lsb += 1;
    }
    if q < 1 << 52 {
        return f64::from_bits(q); // subnormal (or 2^52: the smallest normal)
    }
    let leading = lsb + 52;
    if leading > 1023 {
        return f64::INFINITY;
    }
    f64::from_bits((((leading + 1023) as u64) << 52) | (q & ((1 << 52) - 1)))
}

// ------------------------------------------------------------------ cases

#[derive(Debug, Default)]
struct Case {
    file: String,
    line: usize,
    name: String,
    function: String,
    dtype: String,
    shape: Vec<usize>,
    axes: Option<Vec<i64>>, // None: all axes
    temperature: Option<f64>,
    input: Vec<f64>,
    expected: Vec<(usize, f64)>, // (flat index, value)
    scale: Option<Vec<f64>>,
}

fn numbers(values: &[&str], file: &str, line: usize) -> Vec<f64> {
    values
        .iter()
        .map(|v| parse_number(v).unwrap_or_else(|| panic!("{file}:{line}: not a number: {v:?}")))
        .collect()
}

/// The `uniform SEED LOW HIGH` recipe of the README: splitmix64 and IEEE
/// double arithmetic, then rounded to the dtype.
fn uniform(seed: u64, low: f64, high: f64, count: usize, float32: bool) -> Vec<f64> {
    let mut state = seed;
    (0..count)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            let u = (z >> 11) as f64 * 2f64.powi(-53);
            let value = low + (high - low) * u;
            if float32 {
                f64::from(value as f32)
            } else {
                value
            }
        })
        .collect()
}

fn read_cases(path: &Path) -> Vec<Case> {
    let file = path.file_name().unwrap().to_string_lossy().to_string();
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end()));
    assert_eq!(lines.next().map(|(_, l)| l), Some("pysoftmax-vectors 1"), "{file}: not version 1");
    let mut cases = Vec::new();
    let mut case: Option<Case> = None;
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut recipe: Option<(u64, f64, f64)> = None;
    for (number, line) in lines {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words: Vec<&str> = line.split_whitespace().collect();
        let key = words.remove(0);
        let current = case.get_or_insert_with(|| Case {
            file: file.clone(),
            line: number,
            ..Case::default()
        });
        assert!(seen.insert(key.to_string()), "{file}:{number}: repeated key {key}");
        let one = |words: &[&str]| -> String {
            assert_eq!(words.len(), 1, "{file}:{number}: {key} takes one value");
            words[0].to_string()
        };
        match key {
            "case" => current.name = one(&words),
            "function" => current.function = one(&words),
            "dtype" => current.dtype = one(&words),
            "shape" => {
                current.shape = words
                    .iter()
                    .map(|w| {
                        w.parse().unwrap_or_else(|_| panic!("{file}:{number}: bad dimension {w}"))
                    })
                    .collect()
            }
            "axis" => {
                current.axes = if words == ["none"] {
                    None
                } else {
                    Some(words.iter().map(|w| w.parse().expect("an axis")).collect())
                }
            }
            "temperature" => {
                current.temperature = Some(numbers(&[one(&words).as_str()], &file, number)[0])
            }
            "input" => current.input = numbers(&words, &file, number),
            "input_recipe" => {
                assert!(
                    words.len() == 4 && words[0] == "uniform",
                    "{file}:{number}: unknown recipe"
                );
                let bounds = numbers(&words[2..], &file, number);
                recipe = Some((words[1].parse().expect("a 64-bit seed"), bounds[0], bounds[1]));
            }
            "expected" => {
                current.expected = numbers(&words, &file, number).into_iter().enumerate().collect()
            }
            "expected_at" => {
                current.expected = words
                    .iter()
                    .map(|pair| {
                        let (index, value) = pair.split_once(':').expect("INDEX:VALUE");
                        (index.parse().expect("an index"), numbers(&[value], &file, number)[0])
                    })
                    .collect()
            }
            "scale" => current.scale = Some(numbers(&words, &file, number)),
            "end" => {
                let mut done = case.take().unwrap();
                let count: usize = done.shape.iter().product();
                if let Some((seed, low, high)) = recipe.take() {
                    done.input = uniform(seed, low, high, count, done.dtype == "float32");
                }
                assert_eq!(
                    done.input.len(),
                    count,
                    "{file}:{}: {}: input count",
                    done.line,
                    done.name
                );
                for key in ["case", "function", "dtype", "shape", "axis"] {
                    assert!(seen.contains(key), "{file}:{}: {}: no {key}", done.line, done.name);
                }
                if done.dtype == "float32" {
                    for v in done.input.iter().chain(done.expected.iter().map(|(_, v)| v)) {
                        assert!(
                            v.is_nan() || f64::from(*v as f32) == *v,
                            "{}: {v} is not a float32",
                            done.name
                        );
                    }
                }
                seen.clear();
                cases.push(done);
            }
            other => panic!("{file}:{number}: unknown key {other:?}"),
        }
    }
    assert!(case.is_none(), "{file}: the last case has no `end`");
    cases
}

// ------------------------------------------------------------------ the element types

trait TestFloat: Float {
    const NAME: &'static str;
    fn from_f64(v: f64) -> Self;
    fn to_f64(self) -> f64;
    /// The bit pattern as an integer ordered like the values (-0 and +0 both 0).
    fn ordered(self) -> i64;
    fn same_bits(self, other: Self) -> bool;
    /// The spacing of this type's values at |v|.
    fn ulp(v: f64) -> f64;
}

impl TestFloat for f32 {
    const NAME: &'static str = "float32";
    fn from_f64(v: f64) -> f32 {
        v as f32 // exact: every float32 case value is a float32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    fn ordered(self) -> i64 {
        let bits = self.to_bits();
        let magnitude = i64::from(bits & 0x7fff_ffff);
        if bits >> 31 == 1 {
            -magnitude
        } else {
            magnitude
        }
    }
    fn same_bits(self, other: f32) -> bool {
        (self.is_nan() && other.is_nan()) || self.to_bits() == other.to_bits()
    }
    fn ulp(v: f64) -> f64 {
        let exponent = ((v.abs().to_bits() >> 52) as i32) - 1023;
        2f64.powi(exponent.max(-126) - 23)
    }
}

impl TestFloat for f64 {
    const NAME: &'static str = "float64";
    fn from_f64(v: f64) -> f64 {
        v
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn ordered(self) -> i64 {
        let bits = self.to_bits();
        let magnitude = (bits & 0x7fff_ffff_ffff_ffff) as i64;
        if bits >> 63 == 1 {
            -magnitude
        } else {
            magnitude
        }
    }
    fn same_bits(self, other: f64) -> bool {
        (self.is_nan() && other.is_nan()) || self.to_bits() == other.to_bits()
    }
    fn ulp(v: f64) -> f64 {
        let exponent = ((v.abs().to_bits() >> 52) as i32).max(1) - 1023;
        2f64.powi(exponent - 52)
    }
}

// ------------------------------------------------------------------ running a case

/// The case's reduction as `rows` contiguous rows of `n`: positions of the
/// input in that order (numpy.moveaxis(x, axes, trailing): kept axes first,
/// in order, then the reduced axes in the order listed).
fn row_order(case: &Case) -> (usize, usize, Vec<usize>) {
    let dims = case.shape.len();
    let reduced: Vec<usize> = match &case.axes {
        None => (0..dims).collect(),
        Some(axes) => axes
            .iter()
            .map(|&a| {
                let a = if a < 0 { a + dims as i64 } else { a };
                assert!(a >= 0 && (a as usize) < dims, "{}: axis out of range", case.name);
                a as usize
            })
            .collect(),
    };
    let mut order: Vec<usize> = (0..dims).filter(|d| !reduced.contains(d)).collect();
    let rows: usize = order.iter().map(|&d| case.shape[d]).product();
    order.extend(&reduced);
    let n: usize = reduced.iter().map(|&d| case.shape[d]).product();
    let mut strides = vec![1usize; dims];
    for d in (0..dims.saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * case.shape[d + 1];
    }
    let total: usize = case.shape.iter().product();
    let mut positions = Vec::with_capacity(total);
    let mut index = vec![0usize; dims];
    for _ in 0..total {
        positions.push(order.iter().zip(&index).map(|(&d, &i)| i * strides[d]).sum());
        for k in (0..dims).rev() {
            index[k] += 1;
            if index[k] < case.shape[order[k]] {
                break;
            }
            index[k] = 0;
        }
    }
    (rows, n, positions)
}

/// Two strides that describe the case's rows in the input as it is, if any.
fn two_strides(case: &Case, rows: usize, n: usize) -> Option<Layout> {
    let trailing = match &case.axes {
        None => true,
        Some(axes) => {
            let dims = case.shape.len() as i64;
            let normalized: Vec<i64> =
                axes.iter().map(|&a| if a < 0 { a + dims } else { a }).collect();
            normalized
                .iter()
                .enumerate()
                .all(|(k, &a)| a == dims - normalized.len() as i64 + k as i64)
        }
    };
    if trailing {
        return Some(Layout::contiguous(n));
    }
    match (case.shape.as_slice(), case.axes.as_deref()) {
        ([r, c], Some([0])) if *c == rows && *r == n => {
            Some(Layout { offset: 0, row_stride: 1, stride: *c as isize })
        }
        _ => None,
    }
}

#[derive(Default)]
struct Summary {
    cases: usize,
    edge_cases: usize,
    strided_runs: usize,
    worst_ulp: f64,
    failures: Vec<String>,
}

fn check_outputs<T: TestFloat>(case: &Case, how: &str, output: &[T], summary: &mut Summary) {
    let edge = case.name.starts_with("edge_");
    for &(index, expected) in &case.expected {
        let got = output[index];
        let want = T::from_f64(expected);
        let fail = |summary: &mut Summary, why: String| {
            if summary.failures.len() < 50 {
                summary.failures.push(format!(
                    "{}:{}: {} ({how}) [{index}]: got {:e}, expected {:e}: {why}",
                    case.file,
                    case.line,
                    case.name,
                    got.to_f64(),
                    expected
                ));
            }
        };
        if edge {
            // Bit for bit, the sign of a zero included.
            if !got.same_bits(want) {
                fail(summary, "an edge case must match bit for bit".to_string());
            }
            continue;
        }
        if want.to_f64().is_nan()
            || want.to_f64().is_infinite()
            || got.to_f64().is_nan()
            || got.to_f64().is_infinite()
        {
            if !got.same_bits(want) {
                fail(summary, "infinities and NaN must match exactly".to_string());
            }
            continue;
        }
        let error = match (&case.function[..], &case.scale) {
            ("logsumexp", Some(scale)) => (got.to_f64() - expected).abs() / T::ulp(scale[index]),
            _ => (got.ordered() - want.ordered()).unsigned_abs() as f64,
        };
        summary.worst_ulp = summary.worst_ulp.max(error);
        if error > BOUND_ULP {
            fail(summary, format!("{error} ULP > {BOUND_ULP}"));
        }
    }
}

fn run_case<T: TestFloat>(case: &Case, summary: &mut Summary) {
    assert_eq!(case.dtype, T::NAME);
    let x: Vec<T> = case.input.iter().map(|&v| T::from_f64(v)).collect();
    let temperature = T::from_f64(case.temperature.unwrap_or(1.0));
    let (rows, n, positions) = row_order(case);
    let x_rows: Vec<T> = positions.iter().map(|&p| x[p]).collect();
    let logsumexp = case.function == "logsumexp";

    // Out of place, then in place on a copy: the same bits.
    let mut y = vec![T::ZERO; if logsumexp { rows } else { rows * n }];
    let mut in_place = x_rows.clone();
    let (status, status_in_place) = match &case.function[..] {
        "softmax" => (
            pysoftmax::softmax(&x_rows, &mut y, rows, n, temperature),
            pysoftmax::softmax_in_place(&mut in_place, rows, n, temperature),
        ),
        "log_softmax" => (
            pysoftmax::log_softmax(&x_rows, &mut y, rows, n, temperature),
            pysoftmax::log_softmax_in_place(&mut in_place, rows, n, temperature),
        ),
        "logsumexp" => (pysoftmax::logsumexp(&x_rows, &mut y, rows, n), Ok(())),
        other => panic!("{}: unknown function {other}", case.name),
    };
    status.unwrap_or_else(|e| panic!("{}: {e}", case.name));
    status_in_place.unwrap_or_else(|e| panic!("{}: in place: {e}", case.name));
    if !logsumexp {
        assert!(
            y.iter().zip(&in_place).all(|(a, b)| a.same_bits(*b)),
            "{}: in place differs from out of place",
            case.name
        );
    }

    // Back to the input's order (logsumexp: one value per row, already in order).
    let output: Vec<T> = if logsumexp {
        y
    } else {
        let mut output = vec![T::ZERO; y.len()];
        for (k, &p) in positions.iter().enumerate() {
            output[p] = y[k];
        }
        output
    };
    check_outputs(case, "contiguous", &output, summary);

    // Strided, on the input as it is, where two strides describe it.
    if let Some(layout) = two_strides(case, rows, n) {
        let mut strided = vec![T::ZERO; output.len()];
        let result = if logsumexp {
            pysoftmax::logsumexp_strided(&x, layout, &mut strided, 0, 1, rows, n)
        } else if case.function == "softmax" {
            pysoftmax::softmax_strided(&x, layout, &mut strided, layout, rows, n, temperature)
        } else {
            pysoftmax::log_softmax_strided(&x, layout, &mut strided, layout, rows, n, temperature)
        };
        result.unwrap_or_else(|e| panic!("{}: strided: {e}", case.name));
        check_outputs(case, "strided", &strided, summary);
        summary.strided_runs += 1;
    }
    summary.cases += 1;
    if case.name.starts_with("edge_") {
        summary.edge_cases += 1;
    }
}

fn run_file(name: &str) {
    let path = vectors_dir().join(name);
    let cases = read_cases(&path);
    let mut summary = Summary::default();
    for case in &cases {
        match &case.dtype[..] {
            "float32" => run_case::<f32>(case, &mut summary),
            "float64" => run_case::<f64>(case, &mut summary),
            other => panic!("{}: unknown dtype {other}", case.name),
        }
    }
    println!(
        "{name}: {} cases ({} edge cases, bit for bit; {} also strided), worst {} ULP",
        summary.cases, summary.edge_cases, summary.strided_runs, summary.worst_ulp
    );
    assert!(summary.failures.is_empty(), "{name}:\n{}", summary.failures.join("\n"));
    assert!(
        summary.cases > summary.edge_cases && summary.edge_cases > 0,
        "{name}: too few cases read"
    );
}

#[test]
fn softmax_float32() {
    run_file("softmax_float32.txt");
}

#[test]
fn softmax_float64() {
    run_file("softmax_float64.txt");
}

#[test]
fn log_softmax_float32() {
    run_file("log_softmax_float32.txt");
}

#[test]
fn log_softmax_float64() {
    run_file("log_softmax_float64.txt");
}

#[test]
fn logsumexp_float32() {
    run_file("logsumexp_float32.txt");
}

#[test]
fn logsumexp_float64() {
    run_file("logsumexp_float64.txt");
}

/// The vectors' edge cases are the table's rules: every rule of
/// pysoftmax/edge_cases.json (its `"id"`s, read without a JSON parser) has
/// cases in the vectors, and every edge case names a rule of the table.
#[test]
fn the_edge_cases_are_the_tables_rules() {
    let table = fs::read_to_string(repository_file("pysoftmax/edge_cases.json"))
        .expect("the edge-case table");
    let mut rules = BTreeSet::new();
    for piece in table.split("\"id\"").skip(1) {
        let value = piece.trim_start().strip_prefix(':').expect("\"id\": value").trim_start();
        let value = value.strip_prefix('"').expect("a string id");
        rules.insert(value[..value.find('"').expect("a closing quote")].to_string());
    }
    assert!(rules.len() >= 5, "too few rules read: {rules:?}");
    for file in ["softmax_float64.txt", "log_softmax_float32.txt", "logsumexp_float64.txt"] {
        let cases = read_cases(&vectors_dir().join(file));
        let named: BTreeSet<String> = cases
            .iter()
            .filter_map(|c| c.name.strip_prefix("edge_"))
            .map(|rest| rest[..rest.rfind('_').expect("edge_RULE_INDEX")].to_string())
            .collect();
        assert!(
            named.is_subset(&rules),
            "{file}: edge cases of no rule: {:?}",
            named.difference(&rules)
        );
        // logsumexp has no temperature, so no temperature rule.
        let applies = |rule: &str| !(file.starts_with("logsumexp") && rule.contains("temperature"));
        let missing: Vec<&String> =
            rules.iter().filter(|r| applies(r) && !named.contains(*r)).collect();
        assert!(missing.is_empty(), "{file}: rules without cases: {missing:?}");
    }
}

#[test]
fn hex_floats_parse_exactly() {
    let cases: [(&str, f64); 20] = [
        ("0x1.8p+1", 3.0),
        ("-0x1.4000000000000p+3", -10.0),
        ("0x0.0p+0", 0.0),
        ("0x1p-1", 0.5),
        ("0x.8p1", 1.0),
        ("0X1P+0", 1.0),
        ("0x1.fffffffffffffp+1023", f64::MAX),
        ("0x1p-1022", f64::MIN_POSITIVE),
        ("0x1p-1074", 5e-324),
        ("0x0.0000000000001p-1022", 5e-324),
        ("0x1.0000000000001p+0", 1.0 + f64::EPSILON),
        ("0x1.00000000000008p+0", 1.0), // a tie: to even
        ("0x1.00000000000018p+0", 1.0 + 2.0 * f64::EPSILON), // a tie: to even
        ("0x1.000000000000080000000000000001p+0", 1.0 + f64::EPSILON), // just above the tie
        ("0x1p+1024", f64::INFINITY),
        ("0x1p-1075", 0.0),      // half the smallest subnormal: a tie, to even (0)
        ("0x1.1p-1075", 5e-324), // above it
        ("0x1.fffffffffffff8p+1023", f64::INFINITY),
        ("0x1.a56e0c2ac7cbdp-44", 9.357622968839296e-14),
        ("0x10p-4", 1.0),
    ];
    for (text, value) in cases {
        let parsed = parse_number(text).unwrap_or_else(|| panic!("{text} did not parse"));
        assert_eq!(parsed.to_bits(), value.to_bits(), "{text}: {parsed:e} != {value:e}");
    }
    assert!(parse_number("nan").unwrap().is_nan());
    assert_eq!(parse_number("-inf"), Some(f64::NEG_INFINITY));
    assert_eq!(parse_number("-0x0p+0").map(f64::to_bits), Some((-0.0f64).to_bits()));
    for bad in ["", "0x", "0xg", "1.5", "0x1p", "0x1p+", "0x1.8q1", "--0x1p0"] {
        assert_eq!(parse_number(bad), None, "{bad:?} should not parse");
    }
    // Every subnormal exponent and the normal range boundary round-trip.
    for k in 0..=52 {
        let v = f64::from_bits(1 << k);
        assert_eq!(parse_number(&format!("0x1p-{}", 1074 - k)), Some(v));
    }
}
