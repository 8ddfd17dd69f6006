//! `cargo xtask <command>`: the project's task runner. Std only, so it builds in a second on a
//! fresh machine and never waits on the crates it orchestrates.
//!
//! | Command | What it does |
//! |---|---|
//! | `test [rust\|js]` | every test layer (or one): `cargo test --workspace`, then the official `@instantdb/admin` client (tests/js) against a real emulator; one summary line per layer |
//! | `demo [--keep]` | starts the emulator with the demo schema, loads sample data over HTTP, prints query results; `--keep` keeps it serving |

mod emulator;
mod tally;

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use emulator::Emulator;
use tally::{run_counted, Counts, Runner};

type Result<T> = std::result::Result<T, String>;

const USAGE: &str = "\
usage: cargo xtask <command>

  test [rust|js]   run every test layer (or only the named one) and print a summary
  demo [--keep]    start the emulator, load sample data, print query results
                   (--keep: then keep serving and print its URL, app id and admin token)";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["test"] => test(true, true),
        ["test", "rust"] => test(true, false),
        ["test", "js"] => test(false, true),
        ["demo"] => demo(false),
        ["demo", "--keep"] => demo(true),
        ["help" | "-h" | "--help"] => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (xtask/..).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// The cargo that runs us (`cargo xtask` sets `CARGO`), so toolchain overrides carry over.
fn cargo() -> String {
    env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn run(command: &mut Command, what: &str) -> Result<()> {
    let status = command.status().map_err(|e| format!("{what}: cannot start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

/// What one layer ended with: its counts, or why it could not run to the end.
struct Layer {
    name: &'static str,
    what: &'static str,
    counts: Counts,
    problem: Option<String>,
}

impl Layer {
    fn failed(&self) -> bool {
        self.problem.is_some() || self.counts.failed > 0
    }

    fn summary(&self) -> String {
        let Counts { passed, failed, skipped } = self.counts;
        let mut line = format!("{}: {passed} passed, {failed} failed, {skipped} skipped   ({})", self.name, self.what);
        if let Some(problem) = &self.problem {
            line.push_str(&format!("   FAILED: {problem}"));
        }
        line
    }
}

/// Runs the test layers in order, each one whatever happened to the previous, then prints one
/// line per layer and a total line; fails when any layer failed.
fn test(rust: bool, js: bool) -> Result<()> {
    let root = root();
    let mut layers = Vec::new();
    if rust {
        layers.push(rust_layer(&root));
    }
    if js {
        layers.push(js_layer(&root));
    }

    let mut total = Counts::default();
    println!("\n==> summary");
    for layer in &layers {
        total.add(layer.counts);
        println!("{}", layer.summary());
    }
    // Last line in the plain "N passed, N failed, N skipped" form CI reads.
    println!("total: {} passed, {} failed, {} skipped", total.passed, total.failed, total.skipped);
    let failed: Vec<&str> = layers.iter().filter(|l| l.failed()).map(|l| l.name).collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("failed layers: {}", failed.join(", ")))
    }
}

/// Layers 1–3 of DESIGN.md "Tests": unit, doc and emulator HTTP tests.
fn rust_layer(root: &Path) -> Layer {
    println!("==> cargo test --workspace --no-fail-fast");
    let mut layer = Layer { name: "rust", what: "cargo test --workspace: unit, doc, emulator HTTP", counts: Counts::default(), problem: None };
    let mut command = Command::new(cargo());
    command.args(["test", "--workspace", "--no-fail-fast"]).current_dir(root);
    match run_counted(&mut command, Runner::Cargo) {
        Ok((status, counts)) => {
            layer.counts = counts;
            if !status.success() && counts.failed == 0 {
                layer.problem = Some(format!("cargo test exited with {status} (build error?)"));
            }
        }
        Err(e) => layer.problem = Some(format!("cannot run cargo test: {e}")),
    }
    layer
}

/// Layer 6: the official `@instantdb/admin` client against a real emulator process.
fn js_layer(root: &Path) -> Layer {
    println!("==> tests/js: the official @instantdb/admin client against the emulator");
    let mut layer = Layer { name: "js", what: "node --test tests/js: @instantdb/admin vs emulator", counts: Counts::default(), problem: None };
    let result = (|| -> Result<(std::process::ExitStatus, Counts)> {
        require_node()?;
        let dir = root.join("tests/js");
        npm_ci(&dir)?;
        let binary = Emulator::build(root)?;
        let emulator = Emulator::start(root, &binary, &[])?;
        println!("==> node --test (tests/js)");
        let mut node = Command::new("node");
        node.args(["--test", "--test-reporter=spec"]).current_dir(&dir);
        emulator.export(&mut node);
        run_counted(&mut node, Runner::Node).map_err(|e| format!("cannot run node: {e}"))
        // `emulator` is dropped (killed) here, and on every `?` above.
    })();
    match result {
        Ok((status, counts)) => {
            layer.counts = counts;
            if !status.success() && counts.failed == 0 {
                layer.problem = Some(format!("node --test exited with {status}"));
            } else if status.success() && counts.passed == 0 {
                layer.problem = Some("node --test ran no test".into());
            }
        }
        Err(e) => layer.problem = Some(e),
    }
    layer
}

/// Node.js 20+ must be on PATH; says how to get it otherwise.
fn require_node() -> Result<()> {
    let output = Command::new("node").arg("--version").output().map_err(|_| {
        "`node` was not found on PATH: install Node.js 20 or newer (`bash .ci/run` installs it when missing)".to_owned()
    })?;
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let major: u32 = version.trim_start_matches('v').split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0);
    if major < 20 {
        return Err(format!("Node.js 20 or newer is required, found `{version}` on PATH"));
    }
    Ok(())
}

/// `npm ci` in `dir`, only when `node_modules` is missing or `package-lock.json` changed since
/// the last install (a copy of the lock file installed last is kept in node_modules as a stamp).
fn npm_ci(dir: &Path) -> Result<()> {
    let lock_path = dir.join("package-lock.json");
    let lock = fs::read(&lock_path).map_err(|e| format!("reading {}: {e}", lock_path.display()))?;
    let stamp = dir.join("node_modules/.xtask-installed-lock");
    if fs::read(&stamp).ok().as_deref() == Some(lock.as_slice()) {
        println!("    {}: node_modules matches package-lock.json", dir.display());
        return Ok(());
    }
    println!("==> npm ci ({})", dir.display());
    let mut npm = Command::new("npm");
    npm.args(["ci", "--no-audit", "--no-fund"]).current_dir(dir);
    match npm.status() {
        Err(_) => return Err("`npm` was not found on PATH: install npm (it ships with Node.js)".into()),
        Ok(status) if !status.success() => return Err(format!("npm ci failed ({status})")),
        Ok(_) => {}
    }
    fs::write(&stamp, &lock).map_err(|e| format!("writing {}: {e}", stamp.display()))
}

/// Starts the emulator with the demo schema, loads sample data and prints a few queries through
/// `examples/node/demo.mjs`; with `keep`, keeps serving until Ctrl-C.
fn demo(keep: bool) -> Result<()> {
    let root = root();
    require_node()?;
    let binary = Emulator::build(&root)?;
    let mut emulator = Emulator::start(&root, &binary, &["--schema", "examples/demo-schema.json"])?;
    let mut node = Command::new("node");
    node.arg("examples/node/demo.mjs").current_dir(&root);
    emulator.export(&mut node);
    run(&mut node, "examples/node/demo.mjs")?;
    if keep {
        println!("\nThe emulator keeps serving the demo app (Ctrl-C to stop):");
        for key in ["INSTANT_API_URI", "INSTANT_APP_ID", "INSTANT_APP_ADMIN_TOKEN"] {
            println!("  {key}={}", emulator.get(key));
        }
        emulator.wait()?;
    }
    Ok(())
}
