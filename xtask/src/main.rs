//! `cargo xtask <command>`: the project's task runner. Std only, so it builds in a second on a
//! fresh machine and never waits on the crates it orchestrates.
//!
//! | Command | What it does |
//! |---|---|
//! | `test [LAYER]` | every test layer (or one; see [`LAYERS`]), one summary line per layer; `lint` is rustfmt, clippy and the import-circle check |
//! | `demo [--keep]` | emulator + package + `examples/cloudflare-worker` in workerd: prints a transcript; `--keep` keeps the emulator serving |
//! | `demo node` | the package in Node against the emulator (`examples/node/demo.mjs`) |
//! | `pkg` | builds `pkg/dist/` (per entry: release wasm, wasm-bindgen `--target web`, `wasm-opt -Oz`, one bundle) |
//! | `size` | raw and gzip -9 bytes of what each package entry loads, checked against `pkg/size-budget.json` |
//! | `bench` | side-by-side benchmarks against the emulator (`xtask/bench/`), printed as tables and saved as JSON in `target/bench/` |
//!
//! Every child process finds the npm build tools first on PATH (`tools/node_modules/.bin`:
//! binaryen's wasm-opt, never Debian's), installed from `tools/package-lock.json` when it changed.

mod emulator;
mod lint;
mod package;
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

  test [LAYER]     run every test layer (or only LAYER: lint, rust, wasm-node, wasm-chromium,
                   pkg, runtimes, js) and print a summary; lint is rustfmt, clippy (native and
                   wasm) and the import-circle check of src/ and emulator/src/
  demo [--keep]    start the emulator, build the package, run examples/cloudflare-worker in
                   workerd and print its transcript (--keep: then keep the emulator serving)
  demo node        the package in Node against the emulator (examples/node/demo.mjs)
  pkg              build pkg/dist/ (the admin and platform wasms: wasm-bindgen --target web, wasm-opt -Oz)
  size             print what each package entry loads; fail over pkg/size-budget.json
  bench [NAME...]  benchmarks side by side against the emulator (never run by the tests):
                   calls, upload, live, cold, throughput, rules, platform, webhooks,
                   streams (default: all)";

/// The test layers, in the order they run (DESIGN.md "Tests"); lint first, as it is the
/// quickest to fail.
const LAYERS: [&str; 7] = ["lint", "rust", "wasm-node", "wasm-chromium", "pkg", "runtimes", "js"];

fn main() -> ExitCode {
    tools_first_on_path();
    let args: Vec<String> = env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["test"] => test(&LAYERS),
        ["test", layer] if LAYERS.contains(layer) => test(&[layer]),
        ["demo"] => demo(false),
        ["demo", "--keep"] => demo(true),
        ["demo", "node"] => demo_node(),
        ["pkg"] => package::build(&root()),
        ["size"] => package::check(&root()),
        ["bench", only @ ..] => bench(only),
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

/// Where cargo puts build output: `CARGO_TARGET_DIR` if set, else `target/` in the workspace.
pub fn target_dir(root: &Path) -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

/// Puts `tools/node_modules/.bin` first on PATH for every child (installed or not yet: [`tools`]
/// installs it when a step needs it). Called once, before any thread exists.
fn tools_first_on_path() {
    let bin = root().join("tools/node_modules/.bin");
    let rest = env::var_os("PATH").unwrap_or_default();
    let paths = std::iter::once(bin.clone()).chain(env::split_paths(&rest).filter(|p| *p != bin));
    if let Ok(path) = env::join_paths(paths) {
        env::set_var("PATH", path);
    }
}

/// `npm ci` in `tools/` when its lock changed: wasm-opt from npm binaryen.
pub fn tools() -> Result<()> {
    npm_ci(&root().join("tools"))
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
    /// Why the layer did not run, when it could not yet (counted as one skipped).
    skipped: Option<String>,
}

impl Layer {
    fn new(name: &'static str, what: &'static str) -> Layer {
        Layer { name, what, counts: Counts::default(), problem: None, skipped: None }
    }

    fn skip(mut self, why: String) -> Layer {
        println!("    skipped: {why}");
        self.counts.skipped += 1;
        self.skipped = Some(why);
        self
    }

    fn failed(&self) -> bool {
        self.problem.is_some() || self.counts.failed > 0
    }

    fn summary(&self) -> String {
        let Counts { passed, failed, skipped } = self.counts;
        let mut line = format!("{}: {passed} passed, {failed} failed, {skipped} skipped   ({})", self.name, self.what);
        if let Some(problem) = &self.problem {
            line.push_str(&format!("   FAILED: {problem}"));
        }
        if let Some(why) = &self.skipped {
            line.push_str(&format!("   skipped: {why}"));
        }
        line
    }
}

/// Runs the test layers in order, each one whatever happened to the previous, then prints one
/// line per layer and a total line; fails when any layer failed.
fn test(names: &[&str]) -> Result<()> {
    let root = root();
    preflight(&root, names)?;
    let mut layers = Vec::new();
    for name in names {
        layers.push(match *name {
            "lint" => lint::layer(&root),
            "rust" => rust_layer(&root),
            "pkg" => pkg_layer(&root),
            "wasm-node" => wasm_layer(&root, false),
            "wasm-chromium" => wasm_layer(&root, true),
            "runtimes" => runtimes_layer(&root),
            _ => js_layer(&root),
        });
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

/// What the selected layers need, said before anything is built. A missing wasm-bindgen-cli is
/// only announced: the first layer that needs it installs it. Chromium and ChromeDriver
/// (wasm-chromium, runtimes) are Debian packages `cargo xtask` cannot install: without them
/// nothing runs.
fn preflight(root: &Path, names: &[&str]) -> Result<()> {
    let needs_bindgen = names.iter().any(|n| matches!(*n, "wasm-node" | "wasm-chromium" | "pkg" | "runtimes" | "js"));
    if let Some(pinned) = needs_bindgen.then(|| pinned_wasm_bindgen(root)).flatten() {
        let found = Command::new("wasm-bindgen").arg("--version").output().ok().filter(|o| o.status.success());
        let found = found.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned()).unwrap_or_default();
        if found != format!("wasm-bindgen {pinned}") {
            let found = if found.is_empty() { "is not on PATH".to_owned() } else { format!("is not first on PATH (found `{found}`)") };
            println!(
                "note: wasm-bindgen-cli {pinned} {found}: it will be installed before the first layer that needs it, with \
                 `cargo install wasm-bindgen-cli --version ={pinned}` (once, ~2.5 min, into ~/.cargo/bin)"
            );
        }
    }
    if names.iter().any(|n| matches!(*n, "wasm-chromium" | "runtimes")) {
        let mut missing = Vec::new();
        if browser::chromium().is_none() {
            missing.push("Chromium");
        }
        if browser::chromedriver().is_none() {
            missing.push("ChromeDriver");
        }
        if !missing.is_empty() {
            return Err(browser::missing(&missing));
        }
    }
    Ok(())
}

/// The `wasm-bindgen = "=X"` pin of Cargo.toml: the CLI must be the same version.
fn pinned_wasm_bindgen(root: &Path) -> Option<String> {
    let manifest = fs::read_to_string(root.join("Cargo.toml")).ok()?;
    let line = manifest.lines().find(|l| l.trim_start().starts_with("wasm-bindgen = \"="))?;
    Some(line.split('"').nth(1)?.trim_start_matches('=').to_owned())
}

/// Where Chromium and ChromeDriver are, for the browser layers.
mod browser {
    use std::env;
    use std::path::PathBuf;

    /// `$CHROME` (or `$CHROMIUM`, which tests/js/runtimes reads), else Debian's `/usr/bin/chromium`.
    pub fn chromium() -> Option<PathBuf> {
        let named = env::var_os("CHROME").or_else(|| env::var_os("CHROMIUM")).filter(|p| !p.is_empty());
        let path = named.map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
        path.is_file().then_some(path)
    }

    /// `$CHROMEDRIVER`, else `chromedriver` on PATH.
    pub fn chromedriver() -> Option<PathBuf> {
        if let Some(path) = env::var_os("CHROMEDRIVER").filter(|p| !p.is_empty()) {
            let path = PathBuf::from(path);
            return path.is_file().then_some(path);
        }
        let paths = env::var_os("PATH")?;
        env::split_paths(&paths).map(|dir| dir.join("chromedriver")).find(|p| p.is_file())
    }

    /// What to install, `missing` being "Chromium" and/or "ChromeDriver".
    pub fn missing(missing: &[&str]) -> String {
        let verb = if missing.len() > 1 { "are" } else { "is" };
        format!(
            "{} {verb} missing: run `sudo apt-get install chromium chromium-driver` (Debian) or `bash .ci/run`, which installs them \
             ($CHROME and $CHROMEDRIVER may name other binaries)",
            missing.join(" and ")
        )
    }
}

/// Builds the package and checks its size: one check per entry, one for `serde_json`.
fn pkg_layer(root: &Path) -> Layer {
    println!("==> the npm package: build and size");
    let mut layer = Layer::new("pkg", "cargo xtask pkg + size: no serde_json, every entry within budget");
    if let Err(e) = package::build(root) {
        layer.counts.failed = 1;
        layer.problem = Some(e);
        return layer;
    }
    layer.counts.passed = 1; // built, and no serde_json in the wasm
    match package::measure(root) {
        Ok(entries) => {
            for entry in entries {
                match entry.over_budget() {
                    None => layer.counts.passed += 1,
                    Some(why) => {
                        layer.counts.failed += 1;
                        println!("OVER BUDGET: {why}");
                    }
                }
            }
        }
        Err(e) => layer.problem = Some(e),
    }
    layer
}

/// Layer 4: the shared wasm suite (tests/wasm.rs) in Node or headless Chromium, against a live
/// emulator whose URL and credentials are compiled in.
fn wasm_layer(root: &Path, chromium: bool) -> Layer {
    let (name, what) = if chromium {
        ("wasm-chromium", "wasm-bindgen-test, headless Chromium: tests/wasm.rs vs emulator")
    } else {
        ("wasm-node", "wasm-bindgen-test, Node: tests/wasm.rs vs emulator")
    };
    println!("==> {name}");
    let mut layer = Layer::new(name, what);
    if !root.join("tests/wasm.rs").is_file() {
        return layer.skip("tests/wasm.rs missing".into());
    }
    let result = (|| -> Result<(std::process::ExitStatus, Counts)> {
        package::ensure_toolchain()?; // the wasm target and wasm-bindgen-test-runner 0.2.130
        let binary = Emulator::build(root)?;
        let emulator = Emulator::start(root, &binary, &[])?;
        let mut command = Command::new(cargo());
        command
            .args(["test", "--target", "wasm32-unknown-unknown", "-p", "instant-edge", "--test", "wasm", "--features", "platform"])
            .current_dir(root)
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", "wasm-bindgen-test-runner")
            .env("EMULATOR_URL", emulator.get("INSTANT_API_URI"))
            .env("EMULATOR_APP_ID", emulator.get("INSTANT_APP_ID"))
            .env("EMULATOR_ADMIN_TOKEN", emulator.get("INSTANT_APP_ADMIN_TOKEN"));
        if chromium {
            let driver = browser::chromedriver().ok_or_else(|| browser::missing(&["ChromeDriver"]))?;
            command.env("WASM_BINDGEN_USE_BROWSER", "1").env("CHROMEDRIVER", driver);
        }
        run_counted(&mut command, Runner::Cargo).map_err(|e| format!("cannot run cargo test: {e}"))
    })();
    settle(&mut layer, result, "cargo test --target wasm32-unknown-unknown");
    layer
}

/// Layer 5: the built package imported by name in Node, Deno, Bun, workerd and Chromium.
fn runtimes_layer(root: &Path) -> Layer {
    println!("==> tests/js/runtimes: the package by name in Node, Deno, Bun, workerd (and a webhook receiver Worker), Chromium");
    let mut layer =
        Layer::new("runtimes", "tests/js/runtimes: instant-edge by name in 5 runtimes and a webhook receiver Worker vs emulator");
    let dir = root.join("tests/js/runtimes");
    if !dir.join("run-all.mjs").is_file() {
        return layer.skip("tests/js/runtimes/run-all.mjs missing".into());
    }
    let result = (|| -> Result<(std::process::ExitStatus, Counts)> {
        require_node()?;
        package::build(root)?; // up to date in a second when the wasm did not change
        npm_ci(&dir)?;
        // The webhook receiver Worker's check compares with the official `@instantdb/admin`,
        // installed in tests/js: without it that comparison would be skipped.
        npm_ci(&root.join("tests/js"))?;
        let binary = Emulator::build(root)?;
        let emulator = Emulator::start(root, &binary, &[])?;
        let mut node = Command::new("node");
        node.arg("run-all.mjs").current_dir(&dir);
        if let Some(chromium) = browser::chromium() {
            node.env("CHROMIUM", chromium); // run-chromium.mjs launches this one
        }
        emulator.export(&mut node);
        run_counted(&mut node, Runner::Runtimes).map_err(|e| format!("cannot run node: {e}"))
    })();
    settle(&mut layer, result, "run-all.mjs");
    layer
}

/// Records a layer's outcome: its counts, or why it could not finish.
fn settle(layer: &mut Layer, result: Result<(std::process::ExitStatus, Counts)>, what: &str) {
    match result {
        Ok((status, counts)) => {
            layer.counts = counts;
            if !status.success() && counts.failed == 0 {
                layer.problem = Some(format!("{what} exited with {status}"));
            } else if status.success() && counts.passed == 0 {
                layer.problem = Some(format!("{what} ran no test"));
            }
        }
        Err(e) => layer.problem = Some(e),
    }
}

/// Layers 1–3 of DESIGN.md "Tests": unit, doc and emulator HTTP tests.
fn rust_layer(root: &Path) -> Layer {
    println!("==> cargo test --workspace --no-fail-fast");
    let mut layer = Layer::new("rust", "cargo test --workspace: unit, doc, emulator HTTP");
    let mut command = Command::new(cargo());
    // With the optional Platform API, so its tests run too.
    command.args(["test", "--workspace", "--no-fail-fast", "--features", "instant-edge/platform"]).current_dir(root);
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

/// Layer 6: the official `@instantdb/admin` client against a real emulator process, and our
/// package's requests compared with its requests.
fn js_layer(root: &Path) -> Layer {
    println!("==> tests/js: the official @instantdb/admin client against the emulator");
    let mut layer = Layer::new("js", "node --test tests/js: @instantdb/admin vs emulator");
    let result = (|| -> Result<(std::process::ExitStatus, Counts)> {
        require_node()?;
        // wire.test.mjs compares our package's requests with the official client's.
        package::build(root)?; // up to date in a second when the wasm did not change
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
    settle(&mut layer, result, "node --test");
    layer
}

/// Node.js 20+ must be on PATH; says how to get it otherwise.
fn require_node() -> Result<()> {
    let output = Command::new("node")
        .arg("--version")
        .output()
        .map_err(|_| "`node` was not found on PATH: install Node.js 20 or newer (`bash .ci/run` installs it when missing)".to_owned())?;
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

/// The README's demo: the emulator with the demo schema, the package, and the Cloudflare Worker
/// example run in workerd (Miniflare), which prints a transcript; with `keep`, keeps the
/// emulator serving until Ctrl-C.
fn demo(keep: bool) -> Result<()> {
    let root = root();
    require_node()?;
    let binary = Emulator::build(&root)?;
    package::build(&root)?;
    let dir = root.join("examples/cloudflare-worker");
    npm_ci(&dir)?;
    // The worker makes its own app through the Platform API with this token; the default app
    // (the demo's schema and rules) is there for `--keep`.
    let platform_token = personal_access_token();
    let args = ["--schema", "examples/demo-schema.json", "--rules", "examples/demo-rules.json", "--platform-token", &platform_token];
    let mut emulator = Emulator::start(&root, &binary, &args)?;
    let mut node = Command::new("node");
    node.arg("run.mjs").current_dir(&dir).env("INSTANT_PLATFORM_TOKEN", &platform_token);
    emulator.export(&mut node);
    run(&mut node, "examples/cloudflare-worker/run.mjs")?;
    if keep {
        println!("\nThe emulator keeps serving the demo app (Ctrl-C to stop):");
        for key in ["INSTANT_API_URI", "INSTANT_APP_ID", "INSTANT_APP_ADMIN_TOKEN"] {
            println!("  {key}={}", emulator.get(key));
        }
        println!("  INSTANT_PLATFORM_TOKEN={platform_token} (the Platform API, as dev@example.com)");
        emulator.wait()?;
    }
    Ok(())
}

/// A fresh personal access token (`per_` and 64 hex digits) for the demo's emulator, random
/// per run (the OS seeds `RandomState`).
fn personal_access_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut token = String::from("per_");
    for _ in 0..4 {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u8(0);
        token.push_str(&format!("{:016x}", hasher.finish()));
    }
    token
}

/// The benchmarks in `xtask/bench/` (all, or those named in `only`), each in a fresh Node
/// process against a fresh emulator; results are printed and written to
/// `target/bench/<name>.json`, and when all ran, together to `target/bench/bench.json`.
fn bench(only: &[&str]) -> Result<()> {
    let root = root();
    require_node()?;
    let binary = Emulator::build(&root)?;
    package::build(&root)?;
    npm_ci(&root.join("xtask/bench"))?; // the official client, pinned
    let out = target_dir(&root).join("bench");
    fs::create_dir_all(&out).map_err(|e| format!("creating {}: {e}", out.display()))?;
    let all_names = ["calls", "upload", "live", "cold", "throughput", "rules", "platform", "webhooks", "streams"];
    if let Some(unknown) = only.iter().find(|name| !all_names.contains(name)) {
        return Err(format!("no benchmark `{unknown}`; there are: {}", all_names.join(", ")));
    }
    let names: Vec<&str> = all_names.into_iter().filter(|name| only.is_empty() || only.contains(name)).collect();
    for &name in &names {
        // The 50 MiB upload fits the default 64 MiB body limit; said explicitly so it stays so.
        let emulator = Emulator::start(&root, &binary, &["--max-body-bytes", "67108864"])?;
        println!("==> bench: {name}");
        let mut node = Command::new("node");
        node.arg(format!("xtask/bench/{name}.mjs")).current_dir(&root).env("BENCH_OUT", out.join(format!("{name}.json")));
        emulator.export(&mut node);
        run(&mut node, &format!("xtask/bench/{name}.mjs"))?;
    }
    if names.len() < all_names.len() {
        return Ok(());
    }
    // One file with every result and where it was measured.
    let mut combined = String::from("{\n  \"machine\": ");
    combined.push_str(&machine_json());
    for name in names {
        let path = out.join(format!("{name}.json"));
        let text = fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        combined.push_str(&format!(",\n  \"{name}\": {}", text.trim()));
    }
    combined.push_str("\n}\n");
    let all = out.join("bench.json");
    fs::write(&all, combined).map_err(|e| format!("writing {}: {e}", all.display()))?;
    println!("==> results: {} (and one JSON file per benchmark beside it)", all.display());
    Ok(())
}

/// `{"cpus", "cpu", "node", "unix-time"}` of this machine, as JSON.
fn machine_json() -> String {
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| info.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).map(|m| m.trim().to_owned()))
        .unwrap_or_default();
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let node =
        Command::new("node").arg("--version").output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned()).unwrap_or_default();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    format!("{{\"cpus\": {cpus}, \"cpu\": \"{}\", \"node\": \"{node}\", \"unix-time\": {now}}}", cpu.replace('"', "'"))
}

/// The package in Node against the emulator (`examples/node/demo.mjs`).
fn demo_node() -> Result<()> {
    let root = root();
    require_node()?;
    let binary = Emulator::build(&root)?;
    package::build(&root)?;
    let emulator = Emulator::start(&root, &binary, &["--schema", "examples/demo-schema.json"])?;
    let mut node = Command::new("node");
    node.arg("examples/node/demo.mjs").current_dir(&root);
    emulator.export(&mut node);
    run(&mut node, "examples/node/demo.mjs")
}
