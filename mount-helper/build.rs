//! On Windows with the `winfsp` feature, links WinFsp's DLL delay-loaded, as WinFsp requires:
//! the DLL lives in WinFsp's install directory and is loaded at run time
//! (`common::backend::winfsp` loads it from there). Does nothing on other systems.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") != "windows" || std::env::var_os("CARGO_FEATURE_WINFSP").is_none()
    {
        return;
    }
    let dll = match var("CARGO_CFG_TARGET_ARCH").as_str() {
        "x86_64" => "winfsp-x64.dll",
        "x86" => "winfsp-x86.dll",
        "aarch64" => "winfsp-a64.dll",
        _ => return,
    };
    if var("CARGO_CFG_TARGET_ENV") == "msvc" {
        println!("cargo:rustc-link-lib=dylib=delayimp");
        println!("cargo:rustc-link-arg-bins=/DELAYLOAD:{dll}");
    } else {
        println!("cargo:rustc-link-arg-bins=-Wl,--delayload={dll}");
    }
}
