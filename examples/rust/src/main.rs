//! The seed tutorial's examples through the safe bindings: the same
//! `label = [values]` lines as examples/c and examples/cpp (every value in
//! its shortest form that reads back exactly).  `cargo run` runs it; it
//! exits with status 1 if a call fails or a claim does not hold.

use std::process::ExitCode;

use pysoftmax::{Error, Layout};

fn show<T: std::fmt::Debug>(label: &str, values: &[T]) {
    let values: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    println!("{label} = [{}]", values.join(", "));
}

struct Claims(u32);

impl Claims {
    fn claim(&mut self, holds: bool, what: &str) {
        if !holds {
            println!("CLAIM DOES NOT HOLD: {what}");
            self.0 += 1;
        }
    }
}

fn examples(claims: &mut Claims) -> Result<(), Error> {
    use pysoftmax::header;
    let header_version =
        format!("{}.{}.{}", header::VERSION_MAJOR, header::VERSION_MINOR, header::VERSION_PATCH);
    println!(
        "pysoftmax {} (header {header_version}), kernels: {}",
        pysoftmax::version(),
        pysoftmax::isa()
    );
    claims.claim(pysoftmax::version() == header_version, "the library is the header's version");

    // 1. Overflow: exp(10000) is inf, yet softmax is [0, 0, 1, 0].
    let y = pysoftmax::softmax_vec(&[10.0_f64, 2.0, 10000.0, 4.0], 1.0)?;
    show("softmax([10, 2, 10000, 4])", &y);
    claims.claim(y == [0.0, 0.0, 1.0, 0.0], "softmax is [0, 0, 1, 0]");

    // 2. The max shift: softmax(x) == softmax(x + 1e6), bit for bit.
    let x = [10.0_f64, 2.0, 40.0, 4.0];
    let shifted: Vec<f64> = x.iter().map(|v| v + 1e6).collect();
    let (y, y_shifted) = (pysoftmax::softmax_vec(&x, 1.0)?, pysoftmax::softmax_vec(&shifted, 1.0)?);
    show("softmax([10, 2, 40, 4])", &y);
    show("softmax([10, 2, 40, 4] + 1e6)", &y_shifted);
    claims.claim(y == y_shifted, "the shift changes nothing");

    // 3. log-softmax keeps the digits of the largest entry (f32, in place).
    let mut small = [0.0_f32, -30.0, -40.0];
    pysoftmax::log_softmax_in_place(&mut small, 1, 3, 1.0)?;
    show("log_softmax(float32 [0, -30, -40])", &small);
    claims.claim(small[0] < 0.0 && small[0] > -1e-13, "the first entry is about -9.358e-14, not 0");

    // 4. logsumexp of [1000, 1000] is 1000 + ln 2.
    let lse = pysoftmax::logsumexp_row(&[1000.0_f64, 1000.0])?;
    let expected = 1000.0 + std::f64::consts::LN_2;
    println!("logsumexp([1000, 1000]) = {lse:?}   (1000 + log(2) = {expected:?})");
    claims
        .claim((lse - expected).abs() <= 2.0 * 2f64.powi(-43), "it is 1000 + log(2), within 2 ULP");

    // 5. Temperature: softmax(x / T) for "The boy ___ to the market".
    let words = ["goes", "go", "went", "comes"];
    let logits = [38.0_f64, 20.0, 40.0, 39.0];
    for (label, temperature) in
        [("0.001", 0.001), ("1", 1.0), ("100", 100.0), ("0", 0.0), ("inf", f64::INFINITY)]
    {
        let p = pysoftmax::softmax_vec(&logits, temperature)?;
        show(&format!("softmax([38, 20, 40, 39], T={label})"), &p);
        let line: Vec<String> = words.iter().zip(&p).map(|(w, p)| format!(" {w}={p:.4}")).collect();
        println!("   {}", line.concat());
    }
    claims.claim(
        pysoftmax::softmax_vec(&logits, 0.0)? == [0.0, 0.0, 1.0, 0.0],
        "T = 0 is the argmax",
    );
    claims
        .claim(pysoftmax::softmax_vec(&logits, f64::INFINITY)? == [0.25; 4], "T = inf is uniform");

    // 6. Another axis: softmax down the columns of a 2 x 3 matrix, no copy.
    let m = [1.0_f64, 2.0, 3.0, 4.0, 5.0, 6.0];
    let mut columns = [0.0; 6];
    let layout = Layout { offset: 0, row_stride: 1, stride: 3 };
    pysoftmax::softmax_strided(&m, layout, &mut columns, layout, 3, 2, 1.0)?;
    show("softmax([[1, 2, 3], [4, 5, 6]], axis=0)", &columns);
    claims.claim(columns[0] == columns[1] && columns[3] == columns[5], "every column is alike");

    // 7. Errors: an Error from the PSM_E_* status, with psm_strerror's message.
    match pysoftmax::softmax_vec(&[1.0_f64, 2.0, 3.0], -1.0) {
        Err(error) => {
            println!(
                "softmax(temperature -1) = Err({error:?}): {error} (status {:?})",
                error.status()
            );
            claims.claim(error == Error::Temperature, "it is Error::Temperature");
        }
        Ok(_) => claims.claim(false, "a negative temperature is an error"),
    }
    let mut y = [0.0_f64; 3];
    let error = pysoftmax::softmax(&[1.0_f64, 2.0], &mut y, 1, 2, 1.0).unwrap_err();
    println!("softmax(x of 2, y of 3) = Err({error:?}): {error}");
    Ok(())
}

fn main() -> ExitCode {
    let mut claims = Claims(0);
    if let Err(error) = examples(&mut claims) {
        println!("example failed: {error}");
        return ExitCode::FAILURE;
    }
    if claims.0 != 0 {
        println!("example: {} FAILURES", claims.0);
        return ExitCode::FAILURE;
    }
    println!("example: OK");
    ExitCode::SUCCESS
}
