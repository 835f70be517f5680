//! Generate the interrupt glue into OUT_DIR.  isrgen's `--cargo` prints one
//! `cargo:rerun-if-changed=` line per input it read, so cargo reruns this
//! script exactly when the spec (or anything it comes to include) changes.
use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let spec = manifest.join("..").join("isr.yaml");

    println!("cargo:rerun-if-env-changed=ISRGEN");
    let command = env::var("ISRGEN").unwrap_or_else(|_| "isrgen".to_string());
    let mut words = command.split_whitespace();
    let program = words.next().expect("ISRGEN is empty");
    let status = Command::new(program)
        .args(words)
        .arg("build")
        .arg(&spec)
        .arg("-o")
        .arg(&out_dir)
        .args(["-b", "rust", "--cargo"])
        .status()
        .unwrap_or_else(|e| panic!("cannot run isrgen ({command}): {e}"));
    if !status.success() {
        panic!("isrgen failed ({status}); its errors are above");
    }

    // The generated module starts with an inner `#![allow(...)]`, which `include!`
    // rejects; a `#[path]` module may have one.  `#[path]` needs a literal, so write
    // a one-line wrapper holding the absolute path, and `include!` that.
    let module = out_dir.join("isr.rs");
    let module = module.to_str().expect("OUT_DIR is not UTF-8");
    let wrapper = format!("#[path = {module:?}]\npub mod isr;\n");
    std::fs::write(out_dir.join("isr_mod.rs"), wrapper).expect("cannot write isr_mod.rs");
}
