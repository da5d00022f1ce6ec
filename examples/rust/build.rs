//! Finds the installed pysoftmax C library with the `pkg-config` program
//! (run as a process: this crate has no dependencies, not even the
//! `pkg-config` crate) and links it.
//!
//! - `PKG_CONFIG_PATH` must name the directory of `pysoftmax.pc` unless
//!   pkg-config searches it already (`cmake --install build --prefix P`
//!   puts it in `P/lib/pkgconfig`); `PKG_CONFIG` names another pkg-config.
//! - `PYSOFTMAX_STATIC=1` links the static library (`libpysoftmax.a`, and
//!   libm from `pkg-config --static`) instead of the shared one.
//! - The shared library's directory is written into the binaries' RPATH
//!   (Unix), so tests and programs run without `LD_LIBRARY_PATH`.
//!
//! It also reads the installed header `pysoftmax.h` (pkg-config's
//! `includedir`) and writes `$OUT_DIR/header.rs`: the version macros, the
//! status codes and the function names, which the crate's tests compare with
//! its own declarations and with what the library reports at run time.
//! Building fails with a message that says what to do when the library is not
//! found, or when its major version is not the one `src/lib.rs` declares.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The ABI major version whose declarations `src/lib.rs` holds.
const ABI_MAJOR: u32 = 0;
/// The oldest minor version of that major with every function `src/lib.rs` declares.
const OLDEST_MINOR: u32 = 1;

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}

fn pkg_config(arguments: &[&str]) -> String {
    let program = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".to_string());
    let output =
        Command::new(&program).args(arguments).arg("pysoftmax").output().unwrap_or_else(|error| {
            fail(&format!(
                "cannot run `{program}` ({error}); install pkg-config, or set PKG_CONFIG to it"
            ))
        });
    if !output.status.success() {
        fail(&format!(
            "`{program} {} pysoftmax` failed: {}\n\
             Install the C library (cmake -S csrc -B build && cmake --build build && \
             cmake --install build --prefix PREFIX) and set PKG_CONFIG_PATH=PREFIX/lib/pkgconfig.",
            arguments.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// The text without its C comments (`/* */` and `//`); string literals are
/// not special (the header has none that hold comment markers).
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let block = rest.find("/*");
        let line = rest.find("//");
        match (block, line) {
            (None, None) => {
                out.push_str(rest);
                return out;
            }
            (Some(b), l) if l.map_or(true, |l| b < l) => {
                out.push_str(&rest[..b]);
                out.push(' ');
                match rest[b + 2..].find("*/") {
                    Some(end) => rest = &rest[b + 2 + end + 2..],
                    None => return out,
                }
            }
            (_, Some(l)) => {
                out.push_str(&rest[..l]);
                match rest[l..].find('\n') {
                    Some(end) => rest = &rest[l + end..],
                    None => return out,
                }
            }
            (Some(_), None) => unreachable!(),
        }
    }
}

fn is_identifier_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

struct Header {
    version: [u32; 3],
    status_codes: Vec<(String, i32)>,
    functions: Vec<String>,
}

fn read_header(path: &Path) -> Header {
    let text = fs::read_to_string(path)
        .unwrap_or_else(|error| fail(&format!("cannot read {}: {error}", path.display())));
    let code = without_comments(&text);

    let mut version = [None; 3];
    for line in code.lines() {
        let mut words = line.split_whitespace();
        if words.next() != Some("#define") {
            continue;
        }
        let (name, value) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
        let index = match name {
            "PSM_VERSION_MAJOR" => 0,
            "PSM_VERSION_MINOR" => 1,
            "PSM_VERSION_PATCH" => 2,
            _ => continue,
        };
        version[index] = value.parse::<u32>().ok();
    }
    let version = match version {
        [Some(major), Some(minor), Some(patch)] => [major, minor, patch],
        _ => fail(&format!("no PSM_VERSION_MAJOR/MINOR/PATCH in {}", path.display())),
    };

    // enum psm_status { PSM_OK = 0, PSM_E_... = -1, ... };
    let start = code
        .find("enum psm_status")
        .unwrap_or_else(|| fail(&format!("no `enum psm_status` in {}", path.display())));
    let body_start = start + code[start..].find('{').unwrap_or(0) + 1;
    let body_end = body_start + code[body_start..].find('}').unwrap_or(0);
    let mut status_codes = Vec::new();
    for item in code[body_start..body_end].split(',') {
        let mut parts = item.split('=');
        let (name, value) = (parts.next().unwrap_or("").trim(), parts.next().unwrap_or("").trim());
        if name.is_empty() {
            continue;
        }
        let value = value.parse::<i32>().unwrap_or_else(|_| {
            fail(&format!("status {name} has no integer value in {}", path.display()))
        });
        status_codes.push((name.to_string(), value));
    }

    // Every identifier psm_... followed by `(`: the declared functions.
    let mut functions = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !is_identifier_char(bytes[i - 1]);
        if starts_word && bytes[i..].starts_with(&['p', 's', 'm', '_']) {
            let mut end = i;
            while end < bytes.len() && is_identifier_char(bytes[end]) {
                end += 1;
            }
            let mut next = end;
            while next < bytes.len() && bytes[next].is_whitespace() {
                next += 1;
            }
            if next < bytes.len() && bytes[next] == '(' {
                let name: String = bytes[i..end].iter().collect();
                if !functions.contains(&name) {
                    functions.push(name);
                }
            }
            i = end;
        } else {
            i += 1;
        }
    }
    functions.sort();
    if functions.is_empty() {
        fail(&format!("no psm_ function found in {}", path.display()));
    }
    Header { version, status_codes, functions }
}

fn main() {
    for variable in [
        "PKG_CONFIG",
        "PKG_CONFIG_PATH",
        "PKG_CONFIG_LIBDIR",
        "PKG_CONFIG_SYSROOT_DIR",
        "PYSOFTMAX_STATIC",
    ] {
        println!("cargo:rerun-if-env-changed={variable}");
    }
    println!("cargo:rerun-if-changed=build.rs");

    let statically = env::var("PYSOFTMAX_STATIC").is_ok_and(|value| value == "1");
    let version = pkg_config(&["--modversion"]);
    let includedir = PathBuf::from(pkg_config(&["--variable=includedir"]));
    let pcfiledir = PathBuf::from(pkg_config(&["--variable=pcfiledir"]));
    let libs =
        if statically { pkg_config(&["--static", "--libs"]) } else { pkg_config(&["--libs"]) };

    let header_path = includedir.join("pysoftmax.h");
    println!("cargo:rerun-if-changed={}", header_path.display());
    println!("cargo:rerun-if-changed={}", pcfiledir.join("pysoftmax.pc").display());
    let header = read_header(&header_path);
    let [major, minor, patch] = header.version;
    let header_version = format!("{major}.{minor}.{patch}");
    if version != header_version {
        fail(&format!(
            "pkg-config says pysoftmax {version} but {} is version {header_version}",
            header_path.display()
        ));
    }
    if major != ABI_MAJOR || minor < OLDEST_MINOR {
        fail(&format!(
            "pysoftmax {version} found; these bindings are for ABI {ABI_MAJOR}.x \
             with x >= {OLDEST_MINOR}"
        ));
    }

    // Link flags as pkg-config gives them: -L directories, -l libraries.
    let unix = env::var("CARGO_CFG_TARGET_FAMILY").is_ok_and(|family| family == "unix");
    let mut library_dirs = Vec::new();
    for flag in libs.split_whitespace() {
        if let Some(directory) = flag.strip_prefix("-L") {
            let directory =
                fs::canonicalize(directory).unwrap_or_else(|_| PathBuf::from(directory));
            println!("cargo:rustc-link-search=native={}", directory.display());
            library_dirs.push(directory);
        } else if let Some(library) = flag.strip_prefix("-l") {
            if library == "pysoftmax" && statically {
                println!("cargo:rustc-link-lib=static=pysoftmax");
            } else {
                println!("cargo:rustc-link-lib=dylib={library}");
            }
        }
    }
    if !statically && unix {
        for directory in &library_dirs {
            println!("cargo:rustc-link-arg=-Wl,-rpath,{}", directory.display());
        }
    }

    let mut generated = String::new();
    let _ = writeln!(generated, "// Generated by build.rs from {}.", header_path.display());
    let _ =
        writeln!(generated, "/// `PSM_VERSION_MAJOR` of the header the crate was built against.");
    let _ = writeln!(generated, "pub const VERSION_MAJOR: i32 = {major};");
    let _ = writeln!(generated, "/// `PSM_VERSION_MINOR` of that header.");
    let _ = writeln!(generated, "pub const VERSION_MINOR: i32 = {minor};");
    let _ = writeln!(generated, "/// `PSM_VERSION_PATCH` of that header.");
    let _ = writeln!(generated, "pub const VERSION_PATCH: i32 = {patch};");
    let _ = writeln!(
        generated,
        "/// The version pkg-config reported (`pkg-config --modversion pysoftmax`)."
    );
    let _ = writeln!(generated, "pub const PKG_CONFIG_VERSION: &str = {version:?};");
    let _ = writeln!(
        generated,
        "/// The status codes of `enum psm_status`, as the header defines them."
    );
    let _ = writeln!(generated, "pub const STATUS_CODES: &[(&str, i32)] = &[");
    for (name, value) in &header.status_codes {
        let _ = writeln!(generated, "    ({name:?}, {value}),");
    }
    let _ = writeln!(generated, "];");
    let _ = writeln!(generated, "/// Every function the header declares, sorted.");
    let _ = writeln!(generated, "pub const FUNCTIONS: &[&str] = &[");
    for name in &header.functions {
        let _ = writeln!(generated, "    {name:?},");
    }
    let _ = writeln!(generated, "];");
    let _ =
        writeln!(generated, "/// Whether the static library was linked (`PYSOFTMAX_STATIC=1`).");
    let _ = writeln!(generated, "pub const LINKED_STATICALLY: bool = {statically};");

    let out_dir =
        PathBuf::from(env::var_os("OUT_DIR").unwrap_or_else(|| fail("OUT_DIR is not set")));
    fs::write(out_dir.join("header.rs"), generated)
        .unwrap_or_else(|error| fail(&format!("cannot write header.rs: {error}")));
}
