//! Safe Rust bindings to the pysoftmax C library: softmax, log-softmax and
//! logsumexp for `f32` and `f64`, every output within 2 ULP of the exact
//! value, with one rule for every special value (see `docs/c-api.md`).
//!
//! The crate links the library installed by `cmake --install`, found by
//! `build.rs` with the `pkg-config` program (set `PKG_CONFIG_PATH`), and has
//! no dependencies.  [`ffi`] holds the raw declarations of `pysoftmax.h`;
//! every other function here is safe: it checks the slices' lengths (and a
//! strided layout's bounds) before the call and turns the C status into a
//! [`Result`].
//!
//! ```
//! let p = pysoftmax::softmax_vec(&[10.0_f64, 2.0, 10000.0, 4.0], 1.0)?;
//! assert_eq!(p, [0.0, 0.0, 1.0, 0.0]); // no overflow
//!
//! let mut y = [0.0_f32; 3];
//! pysoftmax::log_softmax(&[0.0_f32, -30.0, -40.0], &mut y, 1, 3, 1.0)?;
//! assert!(y[0] < 0.0); // -9.358e-14: the largest entry keeps its digits
//!
//! assert_eq!(pysoftmax::softmax_vec(&[1.0_f64, 2.0], -1.0), Err(pysoftmax::Error::Temperature));
//! # Ok::<(), pysoftmax::Error>(())
//! ```
#![deny(missing_docs)]

use std::ffi::CStr;
use std::fmt;
use std::os::raw::{c_char, c_int};

/// The C declarations of `pysoftmax.h`, one for one (`size_t` is `usize`,
/// `ptrdiff_t` is `isize`).  Every function returns `PSM_OK` (0) or a
/// negative `PSM_E_*` status; see the header for the rules.
pub mod ffi {
    use std::os::raw::{c_char, c_int};

    /// `PSM_OK`: success.
    pub const PSM_OK: c_int = 0;
    /// `PSM_E_NULL_POINTER`: a pointer is NULL but its array is not empty.
    pub const PSM_E_NULL_POINTER: c_int = -1;
    /// `PSM_E_TEMPERATURE`: the temperature is negative or NaN.
    pub const PSM_E_TEMPERATURE: c_int = -2;
    /// `PSM_E_SIZE_OVERFLOW`: `rows * n * sizeof(element)` exceeds `PTRDIFF_MAX`.
    pub const PSM_E_SIZE_OVERFLOW: c_int = -3;
    /// `PSM_E_OVERLAP`: input and output overlap without being equal.
    pub const PSM_E_OVERLAP: c_int = -4;
    /// `PSM_E_STRIDE`: output strides make two outputs share an element.
    pub const PSM_E_STRIDE: c_int = -5;
    /// `PSM_E_NO_DISTRIBUTION`: the sampler met a row with NaN or no entry above -inf.
    pub const PSM_E_NO_DISTRIBUTION: c_int = -6;

    #[allow(missing_docs)]
    extern "C" {
        pub fn psm_softmax_f32(
            x: *const f32,
            y: *mut f32,
            rows: usize,
            n: usize,
            temperature: f32,
        ) -> c_int;
        pub fn psm_softmax_f64(
            x: *const f64,
            y: *mut f64,
            rows: usize,
            n: usize,
            temperature: f64,
        ) -> c_int;
        pub fn psm_log_softmax_f32(
            x: *const f32,
            y: *mut f32,
            rows: usize,
            n: usize,
            temperature: f32,
        ) -> c_int;
        pub fn psm_log_softmax_f64(
            x: *const f64,
            y: *mut f64,
            rows: usize,
            n: usize,
            temperature: f64,
        ) -> c_int;
        pub fn psm_logsumexp_f32(x: *const f32, out: *mut f32, rows: usize, n: usize) -> c_int;
        pub fn psm_logsumexp_f64(x: *const f64, out: *mut f64, rows: usize, n: usize) -> c_int;
        pub fn psm_softmax_strided_f32(
            x: *const f32,
            x_row_stride: isize,
            x_stride: isize,
            y: *mut f32,
            y_row_stride: isize,
            y_stride: isize,
            rows: usize,
            n: usize,
            temperature: f32,
        ) -> c_int;
        pub fn psm_softmax_strided_f64(
            x: *const f64,
            x_row_stride: isize,
            x_stride: isize,
            y: *mut f64,
            y_row_stride: isize,
            y_stride: isize,
            rows: usize,
            n: usize,
            temperature: f64,
        ) -> c_int;
        pub fn psm_log_softmax_strided_f32(
            x: *const f32,
            x_row_stride: isize,
            x_stride: isize,
            y: *mut f32,
            y_row_stride: isize,
            y_stride: isize,
            rows: usize,
            n: usize,
            temperature: f32,
        ) -> c_int;
        pub fn psm_log_softmax_strided_f64(
            x: *const f64,
            x_row_stride: isize,
            x_stride: isize,
            y: *mut f64,
            y_row_stride: isize,
            y_stride: isize,
            rows: usize,
            n: usize,
            temperature: f64,
        ) -> c_int;
        pub fn psm_logsumexp_strided_f32(
            x: *const f32,
            x_row_stride: isize,
            x_stride: isize,
            out: *mut f32,
            out_stride: isize,
            rows: usize,
            n: usize,
        ) -> c_int;
        pub fn psm_logsumexp_strided_f64(
            x: *const f64,
            x_row_stride: isize,
            x_stride: isize,
            out: *mut f64,
            out_stride: isize,
            rows: usize,
            n: usize,
        ) -> c_int;
        pub fn psm_softmax_general_f32(
            x: *const f32,
            x_row_stride: isize,
            x_stride: isize,
            where_: *const u8,
            where_row_stride: isize,
            where_stride: isize,
            temperatures: *const f32,
            temperature_stride: isize,
            y: *mut f32,
            y_row_stride: isize,
            y_stride: isize,
            rows: usize,
            n: usize,
        ) -> c_int;
        pub fn psm_softmax_general_f64(
            x: *const f64,
            x_row_stride: isize,
            x_stride: isize,
            where_: *const u8,
            where_row_stride: isize,
            where_stride: isize,
            temperatures: *const f64,
            temperature_stride: isize,
            y: *mut f64,
            y_row_stride: isize,
            y_stride: isize,
            rows: usize,
            n: usize,
        ) -> c_int;
        pub fn psm_log_softmax_general_f32(
            x: *const f32,
            x_row_stride: isize,
            x_stride: isize,
            where_: *const u8,
            where_row_stride: isize,
            where_stride: isize,
            temperatures: *const f32,
            temperature_stride: isize,
            y: *mut f32,
            y_row_stride: isize,
            y_stride: isize,
            rows: usize,
            n: usize,
        ) -> c_int;
        pub fn psm_log_softmax_general_f64(
            x: *const f64,
            x_row_stride: isize,
            x_stride: isize,
            where_: *const u8,
            where_row_stride: isize,
            where_stride: isize,
            temperatures: *const f64,
            temperature_stride: isize,
            y: *mut f64,
            y_row_stride: isize,
            y_stride: isize,
            rows: usize,
            n: usize,
        ) -> c_int;
        pub fn psm_logsumexp_general_f32(
            x: *const f32,
            x_row_stride: isize,
            x_stride: isize,
            where_: *const u8,
            where_row_stride: isize,
            where_stride: isize,
            out: *mut f32,
            out_stride: isize,
            rows: usize,
            n: usize,
        ) -> c_int;
        pub fn psm_logsumexp_general_f64(
            x: *const f64,
            x_row_stride: isize,
            x_stride: isize,
            where_: *const u8,
            where_row_stride: isize,
            where_stride: isize,
            out: *mut f64,
            out_stride: isize,
            rows: usize,
            n: usize,
        ) -> c_int;
        pub fn psm_logsumexp_weighted_f32(
            x: *const f32,
            x_row_stride: isize,
            x_stride: isize,
            b: *const f32,
            b_row_stride: isize,
            b_stride: isize,
            out: *mut f32,
            out_stride: isize,
            sign: *mut f32,
            sign_stride: isize,
            rows: usize,
            n: usize,
        ) -> c_int;
        pub fn psm_logsumexp_weighted_f64(
            x: *const f64,
            x_row_stride: isize,
            x_stride: isize,
            b: *const f64,
            b_row_stride: isize,
            b_stride: isize,
            out: *mut f64,
            out_stride: isize,
            sign: *mut f64,
            sign_stride: isize,
            rows: usize,
            n: usize,
        ) -> c_int;
        pub fn psm_sample_f32(
            x: *const f32,
            rows: usize,
            n: usize,
            temperature: f32,
            seed: u64,
            indices: *mut i64,
        ) -> c_int;
        pub fn psm_sample_f64(
            x: *const f64,
            rows: usize,
            n: usize,
            temperature: f64,
            seed: u64,
            indices: *mut i64,
        ) -> c_int;
        pub fn psm_sample_strided_f32(
            x: *const f32,
            x_row_stride: isize,
            x_stride: isize,
            rows: usize,
            n: usize,
            temperature: f32,
            seed: u64,
            first_row: u64,
            indices: *mut i64,
        ) -> c_int;
        pub fn psm_sample_strided_f64(
            x: *const f64,
            x_row_stride: isize,
            x_stride: isize,
            rows: usize,
            n: usize,
            temperature: f64,
            seed: u64,
            first_row: u64,
            indices: *mut i64,
        ) -> c_int;
        pub fn psm_sample_noise(seed: u64, row: u64, column: u64) -> f64;
        pub fn psm_softmax_backward_f32(
            y: *const f32,
            dy: *const f32,
            dx: *mut f32,
            rows: usize,
            n: usize,
            temperature: f32,
        ) -> c_int;
        pub fn psm_softmax_backward_f64(
            y: *const f64,
            dy: *const f64,
            dx: *mut f64,
            rows: usize,
            n: usize,
            temperature: f64,
        ) -> c_int;
        pub fn psm_log_softmax_backward_f32(
            y: *const f32,
            dy: *const f32,
            dx: *mut f32,
            rows: usize,
            n: usize,
            temperature: f32,
        ) -> c_int;
        pub fn psm_log_softmax_backward_f64(
            y: *const f64,
            dy: *const f64,
            dx: *mut f64,
            rows: usize,
            n: usize,
            temperature: f64,
        ) -> c_int;
        pub fn psm_softmax_backward_strided_f32(
            y: *const f32,
            y_row_stride: isize,
            y_stride: isize,
            dy: *const f32,
            dy_row_stride: isize,
            dy_stride: isize,
            dx: *mut f32,
            dx_row_stride: isize,
            dx_stride: isize,
            rows: usize,
            n: usize,
            temperature: f32,
        ) -> c_int;
        pub fn psm_softmax_backward_strided_f64(
            y: *const f64,
            y_row_stride: isize,
            y_stride: isize,
            dy: *const f64,
            dy_row_stride: isize,
            dy_stride: isize,
            dx: *mut f64,
            dx_row_stride: isize,
            dx_stride: isize,
            rows: usize,
            n: usize,
            temperature: f64,
        ) -> c_int;
        pub fn psm_log_softmax_backward_strided_f32(
            y: *const f32,
            y_row_stride: isize,
            y_stride: isize,
            dy: *const f32,
            dy_row_stride: isize,
            dy_stride: isize,
            dx: *mut f32,
            dx_row_stride: isize,
            dx_stride: isize,
            rows: usize,
            n: usize,
            temperature: f32,
        ) -> c_int;
        pub fn psm_log_softmax_backward_strided_f64(
            y: *const f64,
            y_row_stride: isize,
            y_stride: isize,
            dy: *const f64,
            dy_row_stride: isize,
            dy_stride: isize,
            dx: *mut f64,
            dx_row_stride: isize,
            dx_stride: isize,
            rows: usize,
            n: usize,
            temperature: f64,
        ) -> c_int;
        pub fn psm_softmax_backward_general_f32(
            y: *const f32,
            y_row_stride: isize,
            y_stride: isize,
            dy: *const f32,
            dy_row_stride: isize,
            dy_stride: isize,
            temperatures: *const f32,
            temperature_stride: isize,
            dx: *mut f32,
            dx_row_stride: isize,
            dx_stride: isize,
            rows: usize,
            n: usize,
        ) -> c_int;
        pub fn psm_softmax_backward_general_f64(
            y: *const f64,
            y_row_stride: isize,
            y_stride: isize,
            dy: *const f64,
            dy_row_stride: isize,
            dy_stride: isize,
            temperatures: *const f64,
            temperature_stride: isize,
            dx: *mut f64,
            dx_row_stride: isize,
            dx_stride: isize,
            rows: usize,
            n: usize,
        ) -> c_int;
        pub fn psm_log_softmax_backward_general_f32(
            y: *const f32,
            y_row_stride: isize,
            y_stride: isize,
            dy: *const f32,
            dy_row_stride: isize,
            dy_stride: isize,
            temperatures: *const f32,
            temperature_stride: isize,
            dx: *mut f32,
            dx_row_stride: isize,
            dx_stride: isize,
            rows: usize,
            n: usize,
        ) -> c_int;
        pub fn psm_log_softmax_backward_general_f64(
            y: *const f64,
            y_row_stride: isize,
            y_stride: isize,
            dy: *const f64,
            dy_row_stride: isize,
            dy_stride: isize,
            temperatures: *const f64,
            temperature_stride: isize,
            dx: *mut f64,
            dx_row_stride: isize,
            dx_stride: isize,
            rows: usize,
            n: usize,
        ) -> c_int;
        // float16 and bfloat16, as their bit patterns (u16); _f32: float32 out.
        pub fn psm_softmax_f16(
            x: *const u16,
            y: *mut u16,
            rows: usize,
            n: usize,
            temperature: f32,
        ) -> c_int;
        pub fn psm_log_softmax_f16(
            x: *const u16,
            y: *mut u16,
            rows: usize,
            n: usize,
            temperature: f32,
        ) -> c_int;
        pub fn psm_logsumexp_f16(x: *const u16, out: *mut u16, rows: usize, n: usize) -> c_int;
        pub fn psm_softmax_strided_f16(
            x: *const u16,
            x_row_stride: isize,
            x_stride: isize,
            y: *mut u16,
            y_row_stride: isize,
            y_stride: isize,
            rows: usize,
            n: usize,
            temperature: f32,
        ) -> c_int;
        pub fn psm_log_softmax_strided_f16(
            x: *const u16,
            x_row_stride: isize,
            x_stride: isize,
            y: *mut u16,
            y_row_stride: isize,
            y_stride: isize,
            rows: usize,
            n: usize,
            temperature: f32,
        ) -> c_int;
        pub fn psm_logsumexp_strided_f16(
            x: *const u16,
            x_row_stride: isize,
            x_stride: isize,
            out: *mut u16,
            out_stride: isize,
            rows: usize,
            n: usize,
        ) -> c_int;
        pub fn psm_softmax_f16_f32(
            x: *const u16,
            y: *mut f32,
            rows: usize,
            n: usize,
            temperature: f32,
        ) -> c_int;
        pub fn psm_log_softmax_f16_f32(
            x: *const u16,
            y: *mut f32,
            rows: usize,
            n: usize,
            temperature: f32,
        ) -> c_int;
        pub fn psm_logsumexp_f16_f32(x: *const u16, out: *mut f32, rows: usize, n: usize) -> c_int;
        pub fn psm_softmax_strided_f16_f32(
            x: *const u16,
            x_row_stride: isize,
            x_stride: isize,
            y: *mut f32,
            y_row_stride: isize,
            y_stride: isize,
            rows: usize,
            n: usize,
            temperature: f32,
        ) -> c_int;
        pub fn psm_log_softmax_strided_f16_f32(
            x: *const u16,
            x_row_stride: isize,
            x_stride: isize,
            y: *mut f32,
            y_row_stride: isize,
            y_stride: isize,
            rows: usize,
            n: usize,
            temperature: f32,
        ) -> c_int;
        pub fn psm_logsumexp_strided_f16_f32(
            x: *const u16,
            x_row_stride: isize,
            x_stride: isize,
            out: *mut f32,
            out_stride: isize,
            rows: usize,
            n: usize,
        ) -> c_int;
        pub fn psm_softmax_bf16(
            x: *const u16,
            y: *mut u16,
            rows: usize,
            n: usize,
            temperature: f32,
        ) -> c_int;
        pub fn psm_log_softmax_bf16(
            x: *const u16,
            y: *mut u16,
            rows: usize,
            n: usize,
            temperature: f32,
        ) -> c_int;
        pub fn psm_logsumexp_bf16(x: *const u16, out: *mut u16, rows: usize, n: usize) -> c_int;
        pub fn psm_softmax_strided_bf16(
            x: *const u16,
            x_row_stride: isize,
            x_stride: isize,
            y: *mut u16,
            y_row_stride: isize,
            y_stride: isize,
            rows: usize,
            n: usize,
            temperature: f32,
        ) -> c_int;
        pub fn psm_log_softmax_strided_bf16(
            x: *const u16,
            x_row_stride: isize,
            x_stride: isize,
            y: *mut u16,
            y_row_stride: isize,
            y_stride: isize,
            rows: usize,
            n: usize,
            temperature: f32,
        ) -> c_int;
        pub fn psm_logsumexp_strided_bf16(
            x: *const u16,
            x_row_stride: isize,
            x_stride: isize,
            out: *mut u16,
            out_stride: isize,
            rows: usize,
            n: usize,
        ) -> c_int;
        pub fn psm_softmax_bf16_f32(
            x: *const u16,
            y: *mut f32,
            rows: usize,
            n: usize,
            temperature: f32,
        ) -> c_int;
        pub fn psm_log_softmax_bf16_f32(
            x: *const u16,
            y: *mut f32,
            rows: usize,
            n: usize,
            temperature: f32,
        ) -> c_int;
        pub fn psm_logsumexp_bf16_f32(x: *const u16, out: *mut f32, rows: usize, n: usize)
            -> c_int;
        pub fn psm_softmax_strided_bf16_f32(
            x: *const u16,
            x_row_stride: isize,
            x_stride: isize,
            y: *mut f32,
            y_row_stride: isize,
            y_stride: isize,
            rows: usize,
            n: usize,
            temperature: f32,
        ) -> c_int;
        pub fn psm_log_softmax_strided_bf16_f32(
            x: *const u16,
            x_row_stride: isize,
            x_stride: isize,
            y: *mut f32,
            y_row_stride: isize,
            y_stride: isize,
            rows: usize,
            n: usize,
            temperature: f32,
        ) -> c_int;
        pub fn psm_logsumexp_strided_bf16_f32(
            x: *const u16,
            x_row_stride: isize,
            x_stride: isize,
            out: *mut f32,
            out_stride: isize,
            rows: usize,
            n: usize,
        ) -> c_int;
        pub fn psm_strerror(status: c_int) -> *const c_char;
        pub fn psm_version() -> *const c_char;
        pub fn psm_version_number() -> c_int;
        pub fn psm_isa() -> *const c_char;
    }
}

/// What `build.rs` read from the installed `pysoftmax.h`: the version
/// macros, the status codes and the declared functions (the tests compare
/// them with this crate's declarations and with the library).
pub mod header {
    include!(concat!(env!("OUT_DIR"), "/header.rs"));
}

/// Why a call failed: a `PSM_E_*` status of the C library, or a slice that
/// does not hold the array the arguments describe (checked before the call).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// `PSM_E_NULL_POINTER` (-1).  Safe code cannot cause it: a slice is never NULL.
    NullPointer,
    /// `PSM_E_TEMPERATURE` (-2): the temperature is negative or NaN.
    Temperature,
    /// `PSM_E_SIZE_OVERFLOW` (-3): `rows * n` elements take more than `isize::MAX` bytes.
    SizeOverflow,
    /// `PSM_E_OVERLAP` (-4).  Safe code cannot cause it: `&` and `&mut` never overlap.
    Overlap,
    /// `PSM_E_STRIDE` (-5): output strides under which two outputs share an element.
    Stride,
    /// `PSM_E_NO_DISTRIBUTION` (-6): the sampler met a row with NaN or nothing above -inf.
    NoDistribution,
    /// A status this crate does not know (a newer library); the code is kept.
    Unknown(i32),
    /// A slice's length is not what `rows` and `n` call for (no call was made).
    Length {
        /// Which argument: `"x"`, `"y"` or `"out"`.
        argument: &'static str,
        /// The length `rows` and `n` call for.
        expected: usize,
        /// The slice's length.
        actual: usize,
    },
    /// A strided layout reaches outside its slice (no call was made).
    OutOfBounds {
        /// Which argument: `"x"`, `"y"` or `"out"`.
        argument: &'static str,
    },
}

impl Error {
    /// The error for a C status; `None` for `PSM_OK`.
    pub fn from_status(status: i32) -> Option<Error> {
        match status {
            ffi::PSM_OK => None,
            ffi::PSM_E_NULL_POINTER => Some(Error::NullPointer),
            ffi::PSM_E_TEMPERATURE => Some(Error::Temperature),
            ffi::PSM_E_SIZE_OVERFLOW => Some(Error::SizeOverflow),
            ffi::PSM_E_OVERLAP => Some(Error::Overlap),
            ffi::PSM_E_STRIDE => Some(Error::Stride),
            ffi::PSM_E_NO_DISTRIBUTION => Some(Error::NoDistribution),
            other => Some(Error::Unknown(other)),
        }
    }

    /// The C status of this error; `None` for the checks made on the Rust side.
    pub fn status(&self) -> Option<i32> {
        match *self {
            Error::NullPointer => Some(ffi::PSM_E_NULL_POINTER),
            Error::Temperature => Some(ffi::PSM_E_TEMPERATURE),
            Error::SizeOverflow => Some(ffi::PSM_E_SIZE_OVERFLOW),
            Error::Overlap => Some(ffi::PSM_E_OVERLAP),
            Error::Stride => Some(ffi::PSM_E_STRIDE),
            Error::NoDistribution => Some(ffi::PSM_E_NO_DISTRIBUTION),
            Error::Unknown(status) => Some(status),
            Error::Length { .. } | Error::OutOfBounds { .. } => None,
        }
    }
}

impl fmt::Display for Error {
    /// `psm_strerror`'s message for a C status; a message of its own otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::Length { argument, expected, actual } => write!(
                f,
                "`{argument}` holds {actual} elements where rows and n call for {expected}"
            ),
            Error::OutOfBounds { argument } => {
                write!(f, "the strided layout of `{argument}` reaches outside the slice")
            }
            _ => f.write_str(strerror(self.status().unwrap_or(0))),
        }
    }
}

impl std::error::Error for Error {}

fn check(status: c_int) -> Result<(), Error> {
    match Error::from_status(status) {
        None => Ok(()),
        Some(error) => Err(error),
    }
}

/// A C string of the library's static storage.
fn static_str(text: *const c_char) -> &'static str {
    if text.is_null() {
        return "";
    }
    // SAFETY: the library returns NUL-terminated strings in static storage.
    unsafe { CStr::from_ptr(text) }.to_str().unwrap_or("")
}

/// `psm_strerror`: the library's message for a status ("unknown status" for
/// a value that is none).
pub fn strerror(status: i32) -> &'static str {
    // SAFETY: takes any int, returns static storage.
    static_str(unsafe { ffi::psm_strerror(status) })
}

/// `psm_version`: the library's version, `"MAJOR.MINOR.PATCH"`.
pub fn version() -> &'static str {
    // SAFETY: no arguments, returns static storage.
    static_str(unsafe { ffi::psm_version() })
}

/// `psm_version_number`: `MAJOR * 10000 + MINOR * 100 + PATCH`.
pub fn version_number() -> i32 {
    // SAFETY: no arguments.
    unsafe { ffi::psm_version_number() }
}

/// `psm_isa`: the kernels this process runs with, `"baseline"`, `"avx2"` or
/// `"avx512"` (chosen at load time; the `PSM_ISA` environment variable can
/// force one the processor supports).
pub fn isa() -> &'static str {
    // SAFETY: no arguments, returns static storage.
    static_str(unsafe { ffi::psm_isa() })
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// `f32` or `f64`: the element types of the C library.  Its hidden methods
/// are the raw C functions for that type.
pub trait Float: Copy + PartialEq + fmt::Debug + sealed::Sealed + 'static {
    #[doc(hidden)]
    const ZERO: Self;
    #[doc(hidden)]
    unsafe fn raw_softmax(x: *const Self, y: *mut Self, rows: usize, n: usize, t: Self) -> c_int;
    #[doc(hidden)]
    unsafe fn raw_log_softmax(
        x: *const Self,
        y: *mut Self,
        rows: usize,
        n: usize,
        t: Self,
    ) -> c_int;
    #[doc(hidden)]
    unsafe fn raw_logsumexp(x: *const Self, out: *mut Self, rows: usize, n: usize) -> c_int;
    #[doc(hidden)]
    unsafe fn raw_softmax_strided(
        x: *const Self,
        x_layout: Layout,
        y: *mut Self,
        y_layout: Layout,
        rows: usize,
        n: usize,
        t: Self,
    ) -> c_int;
    #[doc(hidden)]
    unsafe fn raw_log_softmax_strided(
        x: *const Self,
        x_layout: Layout,
        y: *mut Self,
        y_layout: Layout,
        rows: usize,
        n: usize,
        t: Self,
    ) -> c_int;
    #[doc(hidden)]
    unsafe fn raw_logsumexp_strided(
        x: *const Self,
        x_layout: Layout,
        out: *mut Self,
        out_stride: isize,
        rows: usize,
        n: usize,
    ) -> c_int;
}

macro_rules! impl_float {
    ($t:ty, $zero:expr, $softmax:ident, $log_softmax:ident, $logsumexp:ident,
     $softmax_strided:ident, $log_softmax_strided:ident, $logsumexp_strided:ident) => {
        impl Float for $t {
            const ZERO: $t = $zero;
            unsafe fn raw_softmax(x: *const $t, y: *mut $t, rows: usize, n: usize, t: $t) -> c_int {
                ffi::$softmax(x, y, rows, n, t)
            }
            unsafe fn raw_log_softmax(
                x: *const $t,
                y: *mut $t,
                rows: usize,
                n: usize,
                t: $t,
            ) -> c_int {
                ffi::$log_softmax(x, y, rows, n, t)
            }
            unsafe fn raw_logsumexp(x: *const $t, out: *mut $t, rows: usize, n: usize) -> c_int {
                ffi::$logsumexp(x, out, rows, n)
            }
            unsafe fn raw_softmax_strided(
                x: *const $t,
                xl: Layout,
                y: *mut $t,
                yl: Layout,
                rows: usize,
                n: usize,
                t: $t,
            ) -> c_int {
                ffi::$softmax_strided(
                    x,
                    xl.row_stride,
                    xl.stride,
                    y,
                    yl.row_stride,
                    yl.stride,
                    rows,
                    n,
                    t,
                )
            }
            unsafe fn raw_log_softmax_strided(
                x: *const $t,
                xl: Layout,
                y: *mut $t,
                yl: Layout,
                rows: usize,
                n: usize,
                t: $t,
            ) -> c_int {
                ffi::$log_softmax_strided(
                    x,
                    xl.row_stride,
                    xl.stride,
                    y,
                    yl.row_stride,
                    yl.stride,
                    rows,
                    n,
                    t,
                )
            }
            unsafe fn raw_logsumexp_strided(
                x: *const $t,
                xl: Layout,
                out: *mut $t,
                out_stride: isize,
                rows: usize,
                n: usize,
            ) -> c_int {
                ffi::$logsumexp_strided(x, xl.row_stride, xl.stride, out, out_stride, rows, n)
            }
        }
    };
}
impl_float!(
    f32,
    0.0,
    psm_softmax_f32,
    psm_log_softmax_f32,
    psm_logsumexp_f32,
    psm_softmax_strided_f32,
    psm_log_softmax_strided_f32,
    psm_logsumexp_strided_f32
);
impl_float!(
    f64,
    0.0,
    psm_softmax_f64,
    psm_log_softmax_f64,
    psm_logsumexp_f64,
    psm_softmax_strided_f64,
    psm_log_softmax_strided_f64,
    psm_logsumexp_strided_f64
);

/// `rows * n` elements of T, or `SizeOverflow` where the C library would
/// report it (more than `isize::MAX` bytes).
fn element_count<T>(rows: usize, n: usize) -> Result<usize, Error> {
    let count = rows.checked_mul(n).ok_or(Error::SizeOverflow)?;
    match count.checked_mul(std::mem::size_of::<T>()) {
        Some(bytes) if bytes <= isize::MAX as usize => Ok(count),
        _ => Err(Error::SizeOverflow),
    }
}

fn expect_length(argument: &'static str, expected: usize, actual: usize) -> Result<(), Error> {
    if expected == actual {
        Ok(())
    } else {
        Err(Error::Length { argument, expected, actual })
    }
}

/// Where a strided array's elements are in a slice: entry `i` of row `r` is
/// `slice[offset + r * row_stride + i * stride]` (strides count elements and
/// may be negative or, for an input, zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// The index of entry 0 of row 0.
    pub offset: usize,
    /// Elements from one row to the next.
    pub row_stride: isize,
    /// Elements from one entry of a row to the next.
    pub stride: isize,
}

impl Layout {
    /// `rows` contiguous rows of `n` from index 0: row stride `n`, stride 1.
    pub fn contiguous(n: usize) -> Layout {
        Layout { offset: 0, row_stride: n as isize, stride: 1 }
    }

    /// Checks that every element of `rows` x `n` lies in a slice of `len`.
    fn check(
        &self,
        argument: &'static str,
        len: usize,
        rows: usize,
        n: usize,
    ) -> Result<(), Error> {
        if rows == 0 || n == 0 {
            return Ok(());
        }
        let (mut low, mut high) = (self.offset as i128, self.offset as i128);
        for (count, stride) in [(rows, self.row_stride), (n, self.stride)] {
            let extent = (count as i128 - 1) * stride as i128;
            if extent < 0 {
                low += extent;
            } else {
                high += extent;
            }
        }
        if low < 0 || high >= len as i128 {
            return Err(Error::OutOfBounds { argument });
        }
        Ok(())
    }
}

/// Softmax of each of `rows` contiguous rows of `n` in `x`, divided by
/// `temperature` (1 for the plain softmax; 0 and infinity are the limits),
/// into `y`.  Both slices hold `rows * n` elements.
///
/// ```
/// let mut y = [0.0_f64; 4];
/// pysoftmax::softmax(&[38.0, 20.0, 40.0, 39.0], &mut y, 1, 4, 0.0)?;
/// assert_eq!(y, [0.0, 0.0, 1.0, 0.0]); // T = 0: the argmax
/// # Ok::<(), pysoftmax::Error>(())
/// ```
pub fn softmax<T: Float>(
    x: &[T],
    y: &mut [T],
    rows: usize,
    n: usize,
    temperature: T,
) -> Result<(), Error> {
    normalize(x, y, rows, n, temperature, false)
}

/// Log-softmax of each row, as [`softmax`]: `(x - max) / T - log(sum exp((x - max) / T))`.
pub fn log_softmax<T: Float>(
    x: &[T],
    y: &mut [T],
    rows: usize,
    n: usize,
    temperature: T,
) -> Result<(), Error> {
    normalize(x, y, rows, n, temperature, true)
}

fn normalize<T: Float>(
    x: &[T],
    y: &mut [T],
    rows: usize,
    n: usize,
    temperature: T,
    log: bool,
) -> Result<(), Error> {
    let count = element_count::<T>(rows, n)?;
    expect_length("x", count, x.len())?;
    expect_length("y", count, y.len())?;
    // SAFETY: both slices hold rows * n elements; they cannot overlap.
    check(unsafe {
        if log {
            T::raw_log_softmax(x.as_ptr(), y.as_mut_ptr(), rows, n, temperature)
        } else {
            T::raw_softmax(x.as_ptr(), y.as_mut_ptr(), rows, n, temperature)
        }
    })
}

/// [`softmax`] in place: `x` is overwritten with its softmax.
pub fn softmax_in_place<T: Float>(
    x: &mut [T],
    rows: usize,
    n: usize,
    temperature: T,
) -> Result<(), Error> {
    normalize_in_place(x, rows, n, temperature, false)
}

/// [`log_softmax`] in place.
pub fn log_softmax_in_place<T: Float>(
    x: &mut [T],
    rows: usize,
    n: usize,
    temperature: T,
) -> Result<(), Error> {
    normalize_in_place(x, rows, n, temperature, true)
}

fn normalize_in_place<T: Float>(
    x: &mut [T],
    rows: usize,
    n: usize,
    temperature: T,
    log: bool,
) -> Result<(), Error> {
    let count = element_count::<T>(rows, n)?;
    expect_length("x", count, x.len())?;
    let p = x.as_mut_ptr();
    // SAFETY: rows * n elements; y == x is the in-place call the C ABI allows.
    check(unsafe {
        if log {
            T::raw_log_softmax(p, p, rows, n, temperature)
        } else {
            T::raw_softmax(p, p, rows, n, temperature)
        }
    })
}

/// logsumexp of each of `rows` rows of `n` in `x` into `out` (`rows`
/// elements): `max + log1p(sum of the others' exp)`, `-inf` for `n == 0`.
pub fn logsumexp<T: Float>(x: &[T], out: &mut [T], rows: usize, n: usize) -> Result<(), Error> {
    let count = element_count::<T>(rows, n)?;
    expect_length("x", count, x.len())?;
    expect_length("out", rows, out.len())?;
    // SAFETY: x holds rows * n elements, out holds rows; they cannot overlap.
    check(unsafe { T::raw_logsumexp(x.as_ptr(), out.as_mut_ptr(), rows, n) })
}

/// The softmax of one row, as a new vector.
pub fn softmax_vec<T: Float>(x: &[T], temperature: T) -> Result<Vec<T>, Error> {
    let mut y = x.to_vec();
    softmax_in_place(&mut y, 1, x.len(), temperature)?;
    Ok(y)
}

/// The log-softmax of one row, as a new vector.
pub fn log_softmax_vec<T: Float>(x: &[T], temperature: T) -> Result<Vec<T>, Error> {
    let mut y = x.to_vec();
    log_softmax_in_place(&mut y, 1, x.len(), temperature)?;
    Ok(y)
}

/// The logsumexp of one row (`-inf` for an empty one).
pub fn logsumexp_row<T: Float>(x: &[T]) -> Result<T, Error> {
    let mut out = [T::ZERO];
    logsumexp(x, &mut out, 1, x.len())?;
    Ok(out[0])
}

/// [`softmax`] on strided rows of `rows` x `n` (a reduced axis that is not the
/// last, a transposed or sliced array), without a copy.  The layouts must lie
/// in their slices (`OutOfBounds` otherwise); output strides under which two
/// outputs would share an element are the library's `Stride` error.
///
/// ```
/// // Softmax down the columns of [[1, 2, 3], [4, 5, 6]]: row r of the call is column r.
/// let m = [1.0_f64, 2.0, 3.0, 4.0, 5.0, 6.0];
/// let mut y = [0.0; 6];
/// let columns = pysoftmax::Layout { offset: 0, row_stride: 1, stride: 3 };
/// pysoftmax::softmax_strided(&m, columns, &mut y, columns, 3, 2, 1.0)?;
/// assert!(y[0] == y[1] && y[3] > 0.95);
/// # Ok::<(), pysoftmax::Error>(())
/// ```
pub fn softmax_strided<T: Float>(
    x: &[T],
    x_layout: Layout,
    y: &mut [T],
    y_layout: Layout,
    rows: usize,
    n: usize,
    temperature: T,
) -> Result<(), Error> {
    normalize_strided(x, x_layout, y, y_layout, rows, n, temperature, false)
}

/// [`log_softmax`] on strided rows, as [`softmax_strided`].
pub fn log_softmax_strided<T: Float>(
    x: &[T],
    x_layout: Layout,
    y: &mut [T],
    y_layout: Layout,
    rows: usize,
    n: usize,
    temperature: T,
) -> Result<(), Error> {
    normalize_strided(x, x_layout, y, y_layout, rows, n, temperature, true)
}

#[allow(clippy::too_many_arguments)]
fn normalize_strided<T: Float>(
    x: &[T],
    x_layout: Layout,
    y: &mut [T],
    y_layout: Layout,
    rows: usize,
    n: usize,
    temperature: T,
    log: bool,
) -> Result<(), Error> {
    x_layout.check("x", x.len(), rows, n)?;
    y_layout.check("y", y.len(), rows, n)?;
    let empty = rows == 0 || n == 0;
    // SAFETY: every element the layouts reach lies in its slice (checked);
    // for an empty array the C library reads and writes nothing.
    check(unsafe {
        let xp = if empty { x.as_ptr() } else { x.as_ptr().add(x_layout.offset) };
        let yp = if empty { y.as_mut_ptr() } else { y.as_mut_ptr().add(y_layout.offset) };
        if log {
            T::raw_log_softmax_strided(xp, x_layout, yp, y_layout, rows, n, temperature)
        } else {
            T::raw_softmax_strided(xp, x_layout, yp, y_layout, rows, n, temperature)
        }
    })
}

/// [`logsumexp`] on strided rows: row `r`'s result goes to
/// `out[out_offset + r * out_stride]`.
pub fn logsumexp_strided<T: Float>(
    x: &[T],
    x_layout: Layout,
    out: &mut [T],
    out_offset: usize,
    out_stride: isize,
    rows: usize,
    n: usize,
) -> Result<(), Error> {
    x_layout.check("x", x.len(), rows, n)?;
    let out_layout = Layout { offset: out_offset, row_stride: out_stride, stride: 0 };
    out_layout.check("out", out.len(), rows, 1)?;
    // SAFETY: as normalize_strided; x is not read when n == 0.
    check(unsafe {
        let xp = if rows == 0 || n == 0 { x.as_ptr() } else { x.as_ptr().add(x_layout.offset) };
        let op = if rows == 0 { out.as_mut_ptr() } else { out.as_mut_ptr().add(out_offset) };
        T::raw_logsumexp_strided(xp, x_layout, op, out_stride, rows, n)
    })
}
