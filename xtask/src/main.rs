//! `cargo xtask <command>`: the project's task runner (std only, so it builds in seconds).
//!
//! | Command | What it does |
//! |---|---|
//! | `test` | every test layer: `cargo test --workspace`, then the official `@instantdb/admin` client (tests/js) against a real emulator |
//! | `demo [--keep]` | starts the emulator, loads sample data over HTTP, prints query results |

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

type Result<T> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("demo") => demo(args.iter().any(|a| a == "--keep")),
        _ => {
            eprintln!("usage: cargo xtask <test | demo [--keep]>");
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

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

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

/// Runs every test layer; prints one summary line per layer.
fn test() -> Result<()> {
    let root = root();
    let mut summary = Vec::new();
    let mut failed = false;

    println!("==> layer 1-3: cargo test --workspace");
    let rust = run(Command::new(cargo()).arg("test").arg("--workspace").current_dir(&root), "cargo test");
    failed |= rust.is_err();
    summary.push(format!("rust (unit, doc, emulator HTTP): {}", verdict(&rust)));

    println!("==> layer 6: official @instantdb/admin client against the emulator");
    let js = js_layer(&root);
    failed |= js.is_err();
    summary.push(format!("js (@instantdb/admin vs emulator): {}", verdict(&js)));

    println!("\n==> summary");
    for line in &summary {
        println!("    {line}");
    }
    if failed {
        Err("some test layers failed".into())
    } else {
        Ok(())
    }
}

fn verdict(result: &Result<()>) -> String {
    match result {
        Ok(()) => "passed".into(),
        Err(e) => format!("FAILED: {e}"),
    }
}

fn js_layer(root: &Path) -> Result<()> {
    require_node()?;
    let dir = root.join("tests/js");
    npm_ci(&dir)?;
    let emulator = Emulator::start(root, &[])?;
    let mut node = Command::new("node");
    node.arg("--test").current_dir(&dir);
    emulator.export(&mut node);
    run(&mut node, "node --test (tests/js)")
}

fn require_node() -> Result<()> {
    let output = Command::new("node")
        .arg("--version")
        .output()
        .map_err(|_| "node is not installed; run `bash .ci/run` or install Node.js 20+".to_owned())?;
    let version = String::from_utf8_lossy(&output.stdout);
    let major: u32 = version.trim().trim_start_matches('v').split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0);
    if major < 20 {
        return Err(format!("Node.js 20+ is required, found {}", version.trim()));
    }
    Ok(())
}

/// `npm ci` only when `node_modules` does not match `package-lock.json` (idempotent).
fn npm_ci(dir: &Path) -> Result<()> {
    let lock = fs::read(dir.join("package-lock.json")).map_err(|e| format!("{}: {e}", dir.display()))?;
    let stamp = dir.join("node_modules/.xtask-lock-stamp");
    if fs::read(&stamp).ok().as_deref() == Some(lock.as_slice()) {
        println!("    {}: node_modules up to date", dir.display());
        return Ok(());
    }
    run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(dir), "npm ci")?;
    fs::write(&stamp, &lock).map_err(|e| format!("writing {}: {e}", stamp.display()))
}

/// A running emulator process, stopped on drop (on every exit path).
struct Emulator {
    child: Child,
    env: Vec<(String, String)>,
}

impl Emulator {
    fn start(root: &Path, extra_args: &[&str]) -> Result<Emulator> {
        run(
            Command::new(cargo())
                .args(["build", "--quiet", "-p", "instant-emulator", "--profile", "emulator"])
                .current_dir(root),
            "building the emulator",
        )?;
        let binary = root.join("target/emulator/instant-emulator");
        let work = env::temp_dir().join(format!("instant-edge-xtask-{}", std::process::id()));
        fs::create_dir_all(&work).map_err(|e| e.to_string())?;
        let env_file = work.join("emulator.env");
        let _ = fs::remove_file(&env_file);
        let child = Command::new(&binary)
            .args(["--port", "0", "--env-file"])
            .arg(&env_file)
            .args(extra_args)
            .current_dir(root)
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting {}: {e}", binary.display()))?;
        let mut emulator = Emulator { child, env: Vec::new() };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(text) = fs::read_to_string(&env_file) {
                if text.contains("INSTANT_APP_ADMIN_TOKEN=") {
                    emulator.env = text
                        .lines()
                        .filter_map(|l| l.split_once('='))
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .collect();
                    return Ok(emulator);
                }
            }
            if let Ok(Some(status)) = emulator.child.try_wait() {
                return Err(format!("the emulator exited at start ({status})"));
            }
            if Instant::now() > deadline {
                return Err("the emulator did not start within 10 s".into());
            }
            sleep(Duration::from_millis(20));
        }
    }

    fn export(&self, command: &mut Command) {
        for (key, value) in &self.env {
            command.env(key, value);
        }
    }

    fn get(&self, key: &str) -> &str {
        self.env.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or("")
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the emulator with the demo schema, loads sample data and prints a few queries.
fn demo(keep: bool) -> Result<()> {
    let root = root();
    require_node()?;
    let emulator = Emulator::start(&root, &["--schema", "examples/demo-schema.json"])?;
    let mut node = Command::new("node");
    node.arg("examples/node/demo.mjs").current_dir(&root);
    emulator.export(&mut node);
    run(&mut node, "examples/node/demo.mjs")?;
    if keep {
        println!("\nThe emulator keeps serving (Ctrl-C to stop):");
        for key in ["INSTANT_API_URI", "INSTANT_APP_ID", "INSTANT_APP_ADMIN_TOKEN"] {
            println!("  {key}={}", emulator.get(key));
        }
        let mut emulator = emulator;
        let _ = emulator.child.wait();
    }
    Ok(())
}
