//! `cargo xtask pkg` and `cargo xtask size`: the npm package's wasm, built without wasm-pack,
//! and what each runtime entry loads, against the budget in `pkg/size-budget.json`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{cargo, npm_ci, run, Result};

/// Must equal the `wasm-bindgen` crate pinned in Cargo.toml.
const WASM_BINDGEN_VERSION: &str = "0.2.130";
const TARGET: &str = "wasm32-unknown-unknown";

/// The entries of `pkg/package.json`'s exports and the files each one loads.
pub const ENTRIES: [(&str, &str); 3] = [("workerd", "workerd.js"), ("node", "node.js"), ("browser", "browser.js")];
const SHARED: [&str; 3] = ["src/api.js", "dist/instant_edge.js", "dist/instant_edge_bg.wasm"];

/// Builds `pkg/dist/`: release wasm with the `js` feature → wasm-bindgen `--target web` →
/// `wasm-opt -Oz` from npm binaryen. Fails if `serde_json` made it into the wasm.
pub fn build(root: &Path) -> Result<()> {
    ensure_toolchain()?;
    println!("==> cargo build --release --target {TARGET} -p instant-edge --features js");
    run(
        Command::new(cargo())
            .args(["build", "--release", "--target", TARGET, "-p", "instant-edge", "--features", "js"])
            .current_dir(root),
        "building the wasm (is the target installed? rustup target add wasm32-unknown-unknown)",
    )?;
    let wasm = root.join("target").join(TARGET).join("release/instant_edge.wasm");
    // The rustc output still has its symbol names: a crate that is linked in shows up there.
    let bytes = fs::read(&wasm).map_err(|e| format!("reading {}: {e}", wasm.display()))?;
    if bytes.windows(b"serde_json".len()).any(|w| w == b"serde_json") {
        return Err("serde_json is linked into the wasm; JSON must be made and parsed by the host".into());
    }
    let dist = root.join("pkg/dist");
    let _ = fs::remove_dir_all(&dist);
    println!("==> wasm-bindgen --target web --out-dir pkg/dist");
    run(
        Command::new("wasm-bindgen").args(["--target", "web", "--out-dir"]).arg(&dist).arg(&wasm),
        "wasm-bindgen",
    )?;
    let wasm_opt = tools(root)?.join("wasm-opt");
    let output = dist.join("instant_edge_bg.wasm");
    println!("==> wasm-opt -Oz (binaryen from tools/)");
    run(
        Command::new(wasm_opt).arg("-Oz").arg("--strip-debug").arg("--strip-producers").arg(&output).arg("-o").arg(&output),
        "wasm-opt",
    )?;
    Ok(())
}

/// The wasm target and wasm-bindgen-cli at the pinned version, installed when missing (so the
/// README's commands work on a fresh machine; `bash .ci/run` does the same).
fn ensure_toolchain() -> Result<()> {
    let installed = Command::new("rustup").args(["target", "list", "--installed"]).output().ok();
    let has_target = installed.is_some_and(|o| String::from_utf8_lossy(&o.stdout).lines().any(|l| l.trim() == TARGET));
    if !has_target {
        println!("==> rustup target add {TARGET}");
        run(Command::new("rustup").args(["target", "add", TARGET]), "rustup target add (install Rust with rustup)")?;
    }
    let wanted = format!("wasm-bindgen {WASM_BINDGEN_VERSION}");
    let found = || {
        let output = Command::new("wasm-bindgen").arg("--version").output().ok();
        output.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned()).unwrap_or_default()
    };
    if found() != wanted {
        println!("==> cargo install wasm-bindgen-cli --version ={WASM_BINDGEN_VERSION} (once, ~2.5 min)");
        let pin = format!("={WASM_BINDGEN_VERSION}");
        // --locked fails while the registry mirror lacks the CLI lock's webpki-roots.
        let locked = Command::new(cargo()).args(["install", "--locked", "wasm-bindgen-cli", "--version", &pin]).status();
        if !locked.is_ok_and(|s| s.success()) {
            run(Command::new(cargo()).args(["install", "wasm-bindgen-cli", "--version", &pin]), "cargo install wasm-bindgen-cli")?;
        }
        if found() != wanted {
            return Err(format!("{wanted} is needed on PATH (found `{}`); is ~/.cargo/bin on PATH?", found()));
        }
    }
    Ok(())
}

/// `tools/node_modules/.bin`, installed from `tools/package-lock.json` when needed.
pub fn tools(root: &Path) -> Result<PathBuf> {
    npm_ci(&root.join("tools"))?;
    Ok(root.join("tools/node_modules/.bin"))
}

/// One entry's load: its file, the shared JS layer, the glue and the wasm.
pub struct EntrySize {
    pub name: &'static str,
    pub raw: u64,
    pub gzip: u64,
    pub budget: Option<u64>,
}

/// Measures every entry and prints a table; returns the sizes for the caller to judge.
pub fn measure(root: &Path) -> Result<Vec<EntrySize>> {
    let pkg = root.join("pkg");
    let budget = fs::read_to_string(pkg.join("size-budget.json")).unwrap_or_default();
    let mut files: Vec<(&str, u64, u64)> = Vec::new();
    let mut size_of = |name: &'static str| -> Result<(u64, u64)> {
        if let Some((_, raw, gzip)) = files.iter().find(|(n, _, _)| *n == name) {
            return Ok((*raw, *gzip));
        }
        let path = pkg.join(name);
        let raw = fs::metadata(&path).map_err(|e| format!("{}: {e} (run `cargo xtask pkg` first)", path.display()))?.len();
        let gzip = gzip_size(&path)?;
        files.push((name, raw, gzip));
        Ok((raw, gzip))
    };
    let mut entries = Vec::new();
    for (name, entry) in ENTRIES {
        let (mut raw, mut gzip) = size_of(entry)?;
        for shared in SHARED {
            let (r, g) = size_of(shared)?;
            raw += r;
            gzip += g;
        }
        entries.push(EntrySize { name, raw, gzip, budget: budget_for(&budget, name) });
    }
    println!("\n{:<28} {:>9} {:>12}", "file", "raw", "gzip -9");
    for (name, raw, gzip) in &files {
        println!("{name:<28} {raw:>9} {gzip:>12}");
    }
    println!("\n{:<28} {:>9} {:>12} {:>12}", "entry (all it loads)", "raw", "gzip -9", "budget");
    for e in &entries {
        let budget = e.budget.map_or("none".to_owned(), |b| b.to_string());
        println!("{:<28} {:>9} {:>12} {:>12}", e.name, e.raw, e.gzip, budget);
    }
    Ok(entries)
}

/// `cargo xtask size`: fails when an entry is over its budget (or has none).
pub fn check(root: &Path) -> Result<()> {
    let over: Vec<String> = measure(root)?
        .iter()
        .filter(|e| e.budget.is_none_or(|b| e.gzip > b))
        .map(|e| format!("{} ({} B gzip, budget {:?})", e.name, e.gzip, e.budget))
        .collect();
    if over.is_empty() {
        println!("every entry is within pkg/size-budget.json (a ratchet: lower it whenever the size drops)");
        Ok(())
    } else {
        Err(format!("over the size budget: {}", over.join(", ")))
    }
}

fn gzip_size(path: &Path) -> Result<u64> {
    let output = Command::new("gzip")
        .args(["-9", "-n", "-c"])
        .arg(path)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("gzip: {e}"))?;
    if !output.status.success() {
        return Err(format!("gzip failed on {}", path.display()));
    }
    Ok(output.stdout.len() as u64)
}

/// `"<name>": <number>` inside the budget file's `gzip_bytes` object (std only: no JSON parser).
fn budget_for(text: &str, name: &str) -> Option<u64> {
    let section = &text[text.find("\"gzip_bytes\"")?..];
    let after = &section[section.find(&format!("\"{name}\""))? + name.len() + 2..];
    let digits: String = after.trim_start_matches([' ', ':', '\n', '\t']).chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::budget_for;

    #[test]
    fn reads_the_budget() {
        let text = r#"{"gzip_bytes": {"workerd": 37000, "node":36900}, "note": "x"}"#;
        assert_eq!(budget_for(text, "workerd"), Some(37000));
        assert_eq!(budget_for(text, "node"), Some(36900));
        assert_eq!(budget_for(text, "browser"), None);
    }
}
