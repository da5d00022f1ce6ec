//! The bindings against the header they were built with (`build.rs` read
//! it) and the library they run with: declarations, status codes, the error
//! enum and its messages, the checks made before a call, the versions.

use pysoftmax::{ffi, header, Error, Layout};

#[test]
fn every_function_of_the_header_is_declared_here() {
    let source = include_str!("../src/lib.rs");
    for name in header::FUNCTIONS {
        assert!(
            source.contains(&format!("pub fn {name}(")),
            "{name} is in pysoftmax.h but not in ffi"
        );
    }
    // And nothing is declared that the header does not have.
    let declared: Vec<&str> =
        source.split("pub fn psm_").skip(1).map(|rest| &rest[..rest.find('(').unwrap()]).collect();
    for name in declared {
        assert!(
            header::FUNCTIONS.contains(&format!("psm_{name}").as_str()),
            "psm_{name} is not in the header"
        );
    }
}

#[test]
fn the_status_codes_are_the_headers() {
    let ours = [
        ("PSM_OK", ffi::PSM_OK),
        ("PSM_E_NULL_POINTER", ffi::PSM_E_NULL_POINTER),
        ("PSM_E_TEMPERATURE", ffi::PSM_E_TEMPERATURE),
        ("PSM_E_SIZE_OVERFLOW", ffi::PSM_E_SIZE_OVERFLOW),
        ("PSM_E_OVERLAP", ffi::PSM_E_OVERLAP),
        ("PSM_E_STRIDE", ffi::PSM_E_STRIDE),
        ("PSM_E_NO_DISTRIBUTION", ffi::PSM_E_NO_DISTRIBUTION),
    ];
    let theirs: Vec<(&str, i32)> = header::STATUS_CODES.to_vec();
    assert_eq!(theirs, ours, "ffi's PSM_* constants differ from enum psm_status");
}

#[test]
fn each_error_is_its_status_with_the_librarys_message() {
    let errors = [
        Error::NullPointer,
        Error::Temperature,
        Error::SizeOverflow,
        Error::Overlap,
        Error::Stride,
        Error::NoDistribution,
    ];
    for (error, (name, code)) in errors.iter().zip(&header::STATUS_CODES[1..]) {
        assert_eq!(error.status(), Some(*code), "{name}");
        assert_eq!(Error::from_status(*code), Some(*error), "{name}");
        assert_eq!(error.to_string(), pysoftmax::strerror(*code), "{name}");
        assert_ne!(error.to_string(), "unknown status");
    }
    assert_eq!(Error::from_status(0), None);
    assert_eq!(Error::from_status(-77), Some(Error::Unknown(-77)));
    assert_eq!(Error::Unknown(-77).to_string(), "unknown status");
    assert_eq!(pysoftmax::strerror(0), "success");
    let messages: std::collections::BTreeSet<String> =
        errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(messages.len(), errors.len(), "every status has its own message");
    let boxed: Box<dyn std::error::Error> = Box::new(Error::Temperature);
    assert!(boxed.to_string().contains("temperature"));
}

#[test]
fn the_versions_agree() {
    let macros =
        format!("{}.{}.{}", header::VERSION_MAJOR, header::VERSION_MINOR, header::VERSION_PATCH);
    assert_eq!(pysoftmax::version(), macros, "library and header");
    assert_eq!(header::PKG_CONFIG_VERSION, macros, "pkg-config and header");
    assert_eq!(
        pysoftmax::version_number(),
        header::VERSION_MAJOR * 10000 + header::VERSION_MINOR * 100 + header::VERSION_PATCH
    );
}

#[test]
fn the_isa_is_one_of_the_documented_ones() {
    let isa = pysoftmax::isa();
    assert!(["baseline", "avx2", "avx512"].contains(&isa), "{isa}");
    if let Ok(forced) = std::env::var("PSM_ISA") {
        if forced == "baseline" {
            assert_eq!(isa, "baseline");
        }
    }
}

#[test]
fn temperature_errors_write_nothing() {
    let x = [1.0_f64, 2.0, 3.0];
    for t in [-1.0, -0.5e-300, f64::NAN, f64::NEG_INFINITY] {
        let mut y = [7.0; 3];
        assert_eq!(pysoftmax::softmax(&x, &mut y, 1, 3, t), Err(Error::Temperature), "T = {t}");
        assert_eq!(pysoftmax::log_softmax(&x, &mut y, 1, 3, t), Err(Error::Temperature), "T = {t}");
        assert_eq!(y, [7.0; 3], "nothing written");
        let mut z = x;
        assert_eq!(pysoftmax::softmax_in_place(&mut z, 1, 3, t), Err(Error::Temperature));
        assert_eq!(z, x, "nothing written in place either");
    }
    assert_eq!(pysoftmax::softmax_vec(&[1.0_f32], -1.0), Err(Error::Temperature));
    // -0.0 is a temperature of 0: the limit, not an error.
    assert_eq!(pysoftmax::softmax_vec(&[1.0_f64, 3.0], -0.0), Ok(vec![0.0, 1.0]));
}

#[test]
fn lengths_are_checked_before_the_call() {
    let x = [1.0_f64; 6];
    let mut y = [0.0; 6];
    assert_eq!(
        pysoftmax::softmax(&x[..5], &mut y, 2, 3, 1.0),
        Err(Error::Length { argument: "x", expected: 6, actual: 5 })
    );
    assert_eq!(
        pysoftmax::softmax(&x, &mut y[..4], 2, 3, 1.0),
        Err(Error::Length { argument: "y", expected: 6, actual: 4 })
    );
    let mut out = [0.0; 3];
    assert_eq!(
        pysoftmax::logsumexp(&x, &mut out, 2, 3),
        Err(Error::Length { argument: "out", expected: 2, actual: 3 })
    );
    assert!(Error::Length { argument: "x", expected: 6, actual: 5 }.status().is_none());
    pysoftmax::logsumexp(&x, &mut out[..2], 2, 3).unwrap();
    // logsumexp of [1, 1, 1] is 1 + ln 3 (within 2 ULP; the ULP of 2.1 is 2^-51).
    assert!((out[0] - (1.0 + 3f64.ln())).abs() <= 2.0 * 2f64.powi(-51), "{}", out[0]);
    // rows * n beyond isize::MAX bytes: the library's own status, found before any call.
    assert_eq!(pysoftmax::softmax(&x, &mut y, usize::MAX, 2, 1.0), Err(Error::SizeOverflow));
    assert_eq!(pysoftmax::logsumexp(&x, &mut out, 1 << 62, 1 << 62), Err(Error::SizeOverflow));
}

#[test]
fn the_c_library_reports_what_safe_code_cannot_reach() {
    let x = [1.0_f64, 2.0, 3.0];
    let mut y = [0.0_f64; 4];
    // SAFETY: the library checks its arguments before it reads or writes.
    unsafe {
        assert_eq!(
            ffi::psm_softmax_f64(std::ptr::null(), y.as_mut_ptr(), 1, 3, 1.0),
            ffi::PSM_E_NULL_POINTER
        );
        assert_eq!(
            ffi::psm_softmax_f64(std::ptr::null(), std::ptr::null_mut(), 0, 3, 1.0),
            ffi::PSM_OK
        );
        let p = y.as_mut_ptr();
        assert_eq!(ffi::psm_softmax_f64(p, p.add(1), 1, 3, 1.0), ffi::PSM_E_OVERLAP);
        assert_eq!(
            ffi::psm_softmax_f64(x.as_ptr(), y.as_mut_ptr(), usize::MAX, 2, 1.0),
            ffi::PSM_E_SIZE_OVERFLOW
        );
        assert_eq!(
            ffi::psm_logsumexp_f32(std::ptr::null(), std::ptr::null_mut(), 1, 0),
            ffi::PSM_E_NULL_POINTER
        );
    }
    assert_eq!(y, [0.0; 4], "nothing written on error");
}

#[test]
fn strided_layouts_are_bounds_checked_and_the_library_checks_strides() {
    let m = [1.0_f64, 2.0, 3.0, 4.0, 5.0, 6.0];
    let mut y = [0.0; 6];
    let columns = Layout { offset: 0, row_stride: 1, stride: 3 };
    assert_eq!(
        pysoftmax::softmax_strided(&m, columns, &mut y[..5], columns, 3, 2, 1.0),
        Err(Error::OutOfBounds { argument: "y" })
    );
    let past_the_start = Layout { offset: 0, row_stride: -1, stride: 3 };
    assert_eq!(
        pysoftmax::softmax_strided(&m, past_the_start, &mut y, columns, 3, 2, 1.0),
        Err(Error::OutOfBounds { argument: "x" })
    );
    // Two outputs in one element: the library's PSM_E_STRIDE.
    let shared = Layout { offset: 0, row_stride: 1, stride: 0 };
    assert_eq!(
        pysoftmax::softmax_strided(&m, columns, &mut y, shared, 3, 2, 1.0),
        Err(Error::Stride)
    );
    assert_eq!(y, [0.0; 6]);
    // An input stride of 0 is allowed (a broadcast row): softmax of [5, 5] is [0.5, 0.5].
    let broadcast = Layout { offset: 4, row_stride: 0, stride: 0 };
    pysoftmax::softmax_strided(&m, broadcast, &mut y, Layout::contiguous(2), 3, 2, 1.0).unwrap();
    assert_eq!(y, [0.5; 6]);
    // Reversed rows (negative strides, the offset at the last element) give the reversed result.
    let reversed = Layout { offset: 5, row_stride: -3, stride: -1 };
    let mut r = [0.0; 6];
    pysoftmax::log_softmax_strided(&m, reversed, &mut r, Layout::contiguous(3), 2, 3, 1.0).unwrap();
    let mut forward = [0.0; 6];
    pysoftmax::log_softmax(&m, &mut forward, 2, 3, 1.0).unwrap();
    assert_eq!(r, [forward[5], forward[4], forward[3], forward[2], forward[1], forward[0]]);
    // logsumexp of each column into every other element of out.
    let mut out = [9.0; 5];
    pysoftmax::logsumexp_strided(&m, columns, &mut out, 0, 2, 3, 2).unwrap();
    assert_eq!(out[1], 9.0);
    assert_eq!(out[3], 9.0);
    assert_eq!(
        pysoftmax::logsumexp_strided(&m, columns, &mut out, 1, 2, 3, 2),
        Err(Error::OutOfBounds { argument: "out" })
    );
    // Empty arrays reach nothing, whatever their layout.
    let far = Layout { offset: 1000, row_stride: 7, stride: 7 };
    pysoftmax::softmax_strided(&m, far, &mut y, far, 0, 5, 1.0).unwrap();
    pysoftmax::logsumexp_strided(&m, far, &mut out, 0, 1, 2, 0).unwrap();
    assert_eq!(&out[..2], [f64::NEG_INFINITY; 2]);
}

#[test]
fn empty_rows_and_in_place() {
    // n == 0: nothing to write for softmax, -inf for logsumexp (the sum of nothing is 0).
    assert_eq!(pysoftmax::softmax_vec::<f64>(&[], 1.0), Ok(vec![]));
    assert_eq!(pysoftmax::logsumexp_row::<f32>(&[]), Ok(f32::NEG_INFINITY));
    let mut out = [0.0_f64; 3];
    pysoftmax::logsumexp(&[], &mut out, 3, 0).unwrap();
    assert_eq!(out, [f64::NEG_INFINITY; 3]);
    // In place gives the out-of-place bits.
    let x: Vec<f32> = (0..64).map(|i| (i as f32 * 0.37).sin() * 20.0).collect();
    let mut y = vec![0.0_f32; 64];
    pysoftmax::log_softmax(&x, &mut y, 4, 16, 0.7).unwrap();
    let mut z = x.clone();
    pysoftmax::log_softmax_in_place(&mut z, 4, 16, 0.7).unwrap();
    assert_eq!(y, z);
}

#[test]
fn calls_from_many_threads_at_once() {
    // No global state: any number of threads may call at once.
    let x: Vec<f64> = (0..4096).map(|i| (i as f64 * 0.01).cos() * 50.0).collect();
    let expected = pysoftmax::softmax_vec(&x, 1.5).unwrap();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let x = x.clone();
            std::thread::spawn(move || {
                (0..50).map(|_| pysoftmax::softmax_vec(&x, 1.5).unwrap()).collect::<Vec<_>>()
            })
        })
        .collect();
    for thread in threads {
        assert!(
            thread.join().unwrap().iter().all(|y| *y == expected),
            "every thread, every call: the same bits"
        );
    }
}

#[test]
fn the_backward_functions_keep_a_nan_at_a_zero_probability_out() {
    // softmax's gradient y * (dy - sum(dy * y)): the entry with y == 0 gets 0 and its
    // NaN never reaches the sum.
    let y = [0.25f64, 0.0, 0.75];
    let dy = [1.0f64, f64::NAN, 0.0];
    let mut dx = [9.0f64; 3];
    let status = unsafe {
        ffi::psm_softmax_backward_f64(y.as_ptr(), dy.as_ptr(), dx.as_mut_ptr(), 1, 3, 1.0)
    };
    assert_eq!(status, ffi::PSM_OK);
    assert_eq!(dx, [0.1875, 0.0, -0.1875]);
    // log_softmax's, strided: the row reversed, y == -inf in the middle
    let y = [0.25f32.ln(), f32::NEG_INFINITY, 0.75f32.ln()];
    let dy = [0.0f32, f32::INFINITY, 2.0];
    let mut dx = [9.0f32; 3];
    let status = unsafe {
        ffi::psm_log_softmax_backward_strided_f32(
            y.as_ptr().add(2),
            3,
            -1,
            dy.as_ptr().add(2),
            3,
            -1,
            dx.as_mut_ptr().add(2),
            3,
            -1,
            1,
            3,
            2.0,
        )
    };
    assert_eq!(status, ffi::PSM_OK);
    // (dy - exp(y) * 2) / 2 with exp(y) within a float's rounding of 0.25 and 0.75
    assert!((dx[0] + 0.25).abs() < 1e-6 && dx[1] == 0.0 && (dx[2] - 0.25).abs() < 1e-6, "{dx:?}");
    let (y, dy, mut dx) = ([0.5f64], [1.0f64], [9.0f64]);
    let status = unsafe {
        ffi::psm_softmax_backward_f64(y.as_ptr(), dy.as_ptr(), dx.as_mut_ptr(), 1, 1, -1.0)
    };
    assert_eq!((status, dx[0]), (ffi::PSM_E_TEMPERATURE, 9.0));
}
