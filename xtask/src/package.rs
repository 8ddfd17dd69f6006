//! `cargo xtask pkg` and `cargo xtask size`: the npm package's wasm and minified JS, built
//! without wasm-pack, and what each runtime entry loads, against the budget in
//! `pkg/size-budget.json`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{cargo, run, target_dir, Result};

/// Must equal the `wasm-bindgen` crate pinned in Cargo.toml.
const WASM_BINDGEN_VERSION: &str = "0.2.130";
/// npm `binaryen` in tools/package.json; Debian's wasm-opt 108 breaks externref tables.
const BINARYEN_VERSION: &str = "132";
/// npm `esbuild` in tools/package.json: minifies the JS in `pkg/dist/`.
const ESBUILD_VERSION: &str = "0.25.12";
/// esbuild's arguments for every JS file of `pkg/dist/`. No `--format`: esbuild then keeps the
/// modules' top-level names (only nested ones are shortened), so exported classes keep their
/// `name` (`InstantAPIError`, not `d`: Node prints an error by its class name) and the output
/// is smaller too. es2022: top-level await and class fields, what Node 20, workerd, Deno, Bun
/// and current browsers all run; esbuild must not use syntax newer than that.
// `--tsconfig-raw={}`: the JS is plain ES modules; without it esbuild reads any
// `tsconfig.json` in a parent directory of the checkout, and a stray one (even empty) breaks
// the build.
const MINIFY: [&str; 4] = ["--minify", "--target=es2022", "--log-level=warning", "--tsconfig-raw={}"];
/// The hand-written JS of the entries, each bundled with its glue (see [`Build`]), and the
/// modules beside them that they import (`./schema.js`).
const API_DIR: &str = "pkg/src";
const TARGET: &str = "wasm32-unknown-unknown";

/// One wasm of the package and the bundle that loads it: `instant-edge` (admin) and
/// `instant-edge/platform`, each with its own wasm so that neither pays for the other.
struct Build {
    /// Its name in messages and in the stamp.
    name: &'static str,
    /// The crate features of its wasm (always `--no-default-features`: no std).
    features: &'static str,
    /// wasm-bindgen's `--out-name`: the glue is `<out>.js` (what the source imports as
    /// `../dist/<out>.js`), the wasm `<out>_bg.wasm`, its import module `./<out>_bg.js`.
    out_name: &'static str,
    /// The wasm's name in `dist/`.
    wasm: &'static str,
    /// The hand-written JS in `pkg/src/`, bundled with the glue into `dist/<the same name>`.
    source: &'static str,
}

const BUILDS: [Build; 2] = [
    Build { name: "admin", features: "js", out_name: "instant_edge", wasm: "instant_edge_bg.wasm", source: "api.js" },
    Build { name: "platform", features: "js-platform", out_name: "platform_glue", wasm: "platform_bg.wasm", source: "platform.js" },
];

/// The entries of `pkg/package.json`'s exports: (name, file, what it loads whether or not its
/// imports name it: the bundle and the wasm).
pub const ENTRIES: [(&str, &str, [&str; 2]); 6] = [
    ("workerd", "workerd.js", ADMIN),
    ("node", "node.js", ADMIN),
    ("browser", "browser.js", ADMIN),
    ("platform/workerd", "platform/workerd.js", PLATFORM),
    ("platform/node", "platform/node.js", PLATFORM),
    ("platform/browser", "platform/browser.js", PLATFORM),
];
const ADMIN: [&str; 2] = ["dist/api.js", "dist/instant_edge_bg.wasm"];
const PLATFORM: [&str; 2] = ["dist/platform.js", "dist/platform_bg.wasm"];

/// The rustc output, before wasm-bindgen and wasm-opt: it still has its `name` section, so every
/// crate linked in shows up by name. Cargo writes both builds here: [`build`] copies each away.
fn rustc_wasm(root: &Path) -> PathBuf {
    target_dir(root).join(TARGET).join("release/instant_edge.wasm")
}

/// Where [`build`] keeps each build's rustc output (`<name>.wasm`).
fn rustc_copies(root: &Path) -> PathBuf {
    target_dir(root).join("xtask-pkg-rustc")
}

/// Builds `pkg/dist/`, for each of [`BUILDS`]: release wasm with its features → wasm-bindgen
/// `--target web` → `wasm-opt -Oz` from npm binaryen, name and producers sections stripped →
/// its `pkg/src/` source, the glue and its `snippets/` bundled and minified by esbuild. Fails if
/// `serde_json` made it into a wasm. Files are swapped into `pkg/dist/` one atomic rename each
/// (and only when they changed), so a test running meanwhile never reads a half-written wasm.
pub fn build(root: &Path) -> Result<()> {
    ensure_toolchain()?;
    let copies = rustc_copies(root);
    fs::create_dir_all(&copies).map_err(|e| format!("creating {}: {e}", copies.display()))?;
    let mut inputs = Vec::new();
    // One at a time: both feature sets write the same artifact.
    for build in &BUILDS {
        println!("==> cargo build --release --target {TARGET} -p instant-edge --no-default-features --features {}", build.features);
        run(
            // No std: the crate is alloc-only on wasm32 then (see src/lib.rs).
            Command::new(cargo())
                .args([
                    "build",
                    "--release",
                    "--target",
                    TARGET,
                    "-p",
                    "instant-edge",
                    "--no-default-features",
                    "--features",
                    build.features,
                ])
                .current_dir(root),
            "building the wasm (is the target installed? rustup target add wasm32-unknown-unknown)",
        )?;
        let copy = copies.join(format!("{}.wasm", build.name));
        fs::copy(rustc_wasm(root), &copy).map_err(|e| format!("copying {} to {}: {e}", rustc_wasm(root).display(), copy.display()))?;
        check_no_serde_json(&copy, build.features)?;
        inputs.push((format!("input-{}.wasm", build.name), fs::read(&copy).map_err(|e| format!("reading {}: {e}", copy.display()))?));
    }

    let dist = root.join("pkg/dist");
    // What the last build read and wrote: when neither changed, wasm-bindgen, wasm-opt and
    // esbuild (~10 s) would write the same bytes again.
    let stamp = target_dir(root).join("xtask-pkg");
    let api_dir = root.join(API_DIR);
    let mut sources = Vec::new();
    for name in files_under(&api_dir)? {
        sources.extend_from_slice(name.as_bytes());
        sources.extend(fs::read(api_dir.join(&name)).map_err(|e| format!("reading {API_DIR}/{name}: {e}"))?);
    }
    // wasm-bindgen copies the crate's JS snippets (`#[wasm_bindgen(module = ...)]`) from `src/`
    // when it runs, so they are inputs too: the rustc output does not change with them.
    let mut snippets = Vec::new();
    for name in files_under(&root.join("src"))?.into_iter().filter(|f| f.ends_with(".js")) {
        snippets.extend_from_slice(name.as_bytes());
        snippets.extend(fs::read(root.join("src").join(&name)).map_err(|e| format!("reading src/{name}: {e}"))?);
    }
    inputs.push(("input-pkg-src".into(), sources));
    inputs.push(("input-snippets".into(), snippets));
    inputs.push(("recipe".into(), format!("binaryen {BINARYEN_VERSION}, esbuild {ESBUILD_VERSION} {MINIFY:?}").into_bytes()));
    if up_to_date(&stamp, &inputs, &dist) {
        println!("    pkg/dist/ is up to date (neither the wasm nor {API_DIR}/ changed)");
        return Ok(());
    }
    let _ = fs::remove_dir_all(&stamp);
    let staging = dist.join(format!(".staging-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir_all(&staging).map_err(|e| format!("creating {}: {e}", staging.display()))?;
    let built = (|| -> Result<()> {
        for build in &BUILDS {
            package_one(build, &copies.join(format!("{}.wasm", build.name)), &staging, &api_dir)?;
        }
        let out = stamp.join("out");
        for name in files_under(&staging)? {
            let to = out.join(&name);
            fs::create_dir_all(to.parent().unwrap_or(&out)).map_err(|e| format!("creating {}: {e}", out.display()))?;
            let _ = fs::copy(staging.join(&name), to);
        }
        publish(&staging, &dist)?;
        for (name, bytes) in &inputs {
            fs::write(stamp.join(name), bytes).map_err(|e| format!("writing {}: {e}", stamp.display()))?;
        }
        Ok(())
    })();
    let _ = fs::remove_dir_all(&staging);
    built?;
    println!("    pkg/dist/ is up to date");
    Ok(())
}

/// One build's files, from its rustc output `wasm`, into `staging`: `build.wasm` and the bundle
/// `build.source`. Works in its own directory under `staging` (the glues of the builds share
/// snippet paths).
fn package_one(build: &Build, wasm: &Path, staging: &Path, api_dir: &Path) -> Result<()> {
    let work = staging.join(format!(".{}", build.name));
    fs::create_dir_all(&work).map_err(|e| format!("creating {}: {e}", work.display()))?;
    println!("==> {}: wasm-bindgen --target web --out-name {}", build.name, build.out_name);
    run(
        Command::new("wasm-bindgen").args(["--target", "web", "--out-name", build.out_name, "--out-dir"]).arg(&work).arg(wasm),
        "wasm-bindgen",
    )?;
    let output = work.join(format!("{}_bg.wasm", build.out_name));
    println!("==> {}: wasm-opt -Oz --converge --strip-debug --strip-producers (npm binaryen {BINARYEN_VERSION})", build.name);
    // --strip-debug removes the `name` section too; --converge repeats -Oz while it still
    // shrinks the module (-350 B gzip).
    let flags = ["-Oz", "--converge", "--strip-debug", "--strip-producers"];
    run(Command::new("wasm-opt").args(flags).arg(&output).arg("-o").arg(&output), "wasm-opt")?;
    let bytes = fs::read(&output).map_err(|e| format!("reading {}: {e}", output.display()))?;
    let left: Vec<String> = custom_sections(&bytes)?.into_iter().filter(|s| s == "name" || s == "producers").collect();
    if !left.is_empty() {
        return Err(format!("wasm-opt left the {} section(s) in the wasm", left.join(", ")));
    }
    println!("==> {}: wasm-opt --minify-imports-and-exports-and-modules, esbuild --bundle", build.name);
    minify_names(&work, build.out_name)?;
    minify(&work, api_dir, build)?;
    for (from, to) in [(output, staging.join(build.wasm)), (work.join(build.source), staging.join(build.source))] {
        fs::rename(&from, &to).map_err(|e| format!("moving {} to {}: {e}", from.display(), to.display()))?;
    }
    fs::remove_dir_all(&work).map_err(|e| format!("removing {}: {e}", work.display()))
}

/// Gives the wasm's imports, exports and import modules one- or two-letter names (wasm-opt
/// `--minify-imports-and-exports-and-modules`) and renames them in the glue to match: the names
/// wasm-bindgen makes are ~70 bytes each (`./instant_edge_bg.js` + `__wbg_abort_<hash>`), in the
/// wasm and in the glue. Every import then comes from module `a`: the glue's `import0` object
/// gets the new keys, plus the snippets' functions the wasm imports directly.
fn minify_names(dist: &Path, out_name: &str) -> Result<()> {
    let wasm = dist.join(format!("{out_name}_bg.wasm"));
    println!("==> wasm-opt --minify-imports-and-exports-and-modules --strip-target-features");
    // The target features section only serves tools, and this is the last wasm-opt to read it.
    let output = Command::new("wasm-opt")
        .args(["--minify-imports-and-exports-and-modules", "--strip-target-features"])
        .arg(&wasm)
        .arg("-o")
        .arg(&wasm)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("wasm-opt: {e}"))?;
    if !output.status.success() {
        return Err(format!("wasm-opt --minify-imports-and-exports-and-modules failed ({})", output.status));
    }
    let map = String::from_utf8_lossy(&output.stdout);
    let glue_path = dist.join(format!("{out_name}.js"));
    let glue = fs::read_to_string(&glue_path).map_err(|e| format!("reading {}: {e}", glue_path.display()))?;
    let glue = rename_in_glue(&glue, &map, out_name)?;
    // Describes the exports by their old names; nothing loads it.
    let _ = fs::remove_file(dist.join(format!("{out_name}_bg.wasm.d.ts")));
    fs::write(&glue_path, glue).map_err(|e| format!("writing {}: {e}", glue_path.display()))
}

/// The glue with the renames of wasm-opt's printed map applied (see [`minify_names`]).
fn rename_in_glue(glue: &str, map: &str, out_name: &str) -> Result<String> {
    let bg = format!("./{out_name}_bg.js");
    let quoted = |line: &str| -> Vec<String> { line.split('"').skip(1).step_by(2).map(str::to_owned).collect() };
    let (mut imports, mut exports) = (Vec::new(), Vec::new());
    let mut in_exports = false;
    for line in map.lines() {
        let line = line.trim();
        if line.starts_with("\"exports\"") {
            in_exports = true;
        }
        if !line.starts_with('[') {
            continue;
        }
        match (in_exports, quoted(line).as_slice()) {
            (false, [module, name, new]) => imports.push((module.clone(), name.clone(), new.clone())),
            (true, [name, new]) => exports.push((name.clone(), new.clone())),
            _ => return Err(format!("wasm-opt's rename map has a line this build cannot read: {line}")),
        }
    }
    if imports.is_empty() || exports.is_empty() {
        return Err("wasm-opt printed no rename map".into());
    }
    let mut glue = glue.to_owned();
    // The return of `__wbg_get_imports`: `"<module>": importN,` lines, replaced by module `a`.
    let namespaces: Vec<(String, String)> = glue
        .lines()
        .filter_map(|line| {
            let line = line.trim().strip_suffix(',')?;
            let (module, var) = line.split_once(": ")?;
            let module = module.strip_prefix('"')?.strip_suffix('"')?;
            var.starts_with("import").then(|| (module.to_owned(), var.to_owned()))
        })
        .collect();
    let mut extra = String::new();
    for (module, name, new) in &imports {
        if *module == bg {
            let key = format!("        {name}:");
            if glue.matches(&key).count() != 1 {
                return Err(format!("the glue defines import `{name}` {} times", glue.matches(&key).count()));
            }
            glue = glue.replacen(&key, &format!("        {new}:"), 1);
        } else {
            let var =
                namespaces.iter().find(|(m, _)| m == module).map(|(_, v)| v).ok_or_else(|| format!("the glue does not import {module}"))?;
            extra.push_str(&format!("    import0.{new} = {var}.{name};\n"));
        }
    }
    let from = glue
        .find(&format!("    return {{\n        __proto__: null,\n        \"{bg}\": import0,"))
        .ok_or("the glue's import object has an unexpected shape")?;
    let end = from + glue[from..].find("    };\n").ok_or("the glue's import object does not end")? + "    };\n".len();
    glue.replace_range(from..end, &format!("{extra}    return {{ __proto__: null, a: import0 }};\n"));
    // Exports: every `wasm.<name>`.
    let mut out = String::with_capacity(glue.len());
    let mut rest = glue.as_str();
    while let Some(at) = rest.find("wasm.") {
        let (head, tail) = rest.split_at(at + "wasm.".len());
        out.push_str(head);
        let end = tail.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$')).unwrap_or(tail.len());
        let name = &tail[..end];
        let preceded = head[..at].chars().last().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '.');
        match exports.iter().find(|(old, _)| old == name) {
            Some((_, new)) if !preceded => out.push_str(new),
            _ => out.push_str(name),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Bundles a build's source (`pkg/src/api.js`, `pkg/src/platform.js`) and the modules beside
/// it that it imports (from `src`, the directory `pkg/src`), the wasm-bindgen glue and every JS
/// snippet it imports (`snippets/<crate>-<hash>/…`, from `#[wasm_bindgen(module = …)]` and
/// `inline_js`) into one minified ES module of the source's name in `dist`, with esbuild: one
/// file to load, one gzip stream, and nothing the package does not call (host.js helpers only
/// the Rust API uses are dropped). The glue and snippets are then removed from `dist`: only the
/// bundle and the wasm remain.
fn minify(dist: &Path, src: &Path, build: &Build) -> Result<()> {
    let name = build.source;
    let source = fs::read_to_string(src.join(name)).map_err(|e| format!("reading {API_DIR}/{name}: {e}"))?;
    // The modules beside it go to `src/` of the staging directory, which import each other as
    // before; they are bundled, then removed with the glue.
    let beside: Vec<String> = files_under(src)?.into_iter().filter(|f| f != name).collect();
    for name in &beside {
        let to = dist.join("src").join(name);
        fs::create_dir_all(to.parent().unwrap_or(dist)).map_err(|e| format!("creating {}: {e}", to.display()))?;
        fs::copy(src.join(name), &to).map_err(|e| format!("copying {API_DIR}/{name}: {e}"))?;
    }
    // `../dist/X` from pkg/src is `./X` from the staging directory, which holds what dist will.
    let stem = name.trim_end_matches(".js");
    let entry = format!("{stem}-entry.js");
    fs::write(dist.join(&entry), relocate(&source, &beside, name)?).map_err(|e| format!("writing {entry}: {e}"))?;
    println!("==> esbuild --bundle --minify (npm esbuild {ESBUILD_VERSION}): {API_DIR}/{name} + the glue + its snippets → dist/{name}");
    run(
        Command::new("esbuild").arg(&entry).args(["--bundle", "--format=esm", &format!("--outfile={name}")]).args(MINIFY).current_dir(dist),
        "esbuild --bundle (the package's JS, the glue and its snippets)",
    )?;
    let bundle = fs::read_to_string(dist.join(name)).map_err(|e| format!("reading the bundle: {e}"))?;
    for literal in module_literals(&bundle) {
        if literal.starts_with('.') && !dist.join(literal).is_file() {
            return Err(format!("dist/{name} refers to `{literal}`, which the build did not make"));
        }
    }
    let out = build.out_name;
    for bundled in [entry, format!("{out}.js"), format!("{out}.d.ts"), format!("{out}_bg.wasm.d.ts")] {
        let _ = fs::remove_file(dist.join(bundled));
    }
    let _ = fs::remove_dir_all(dist.join("snippets"));
    let _ = fs::remove_dir_all(dist.join("src"));
    Ok(())
}

/// A source of `pkg/src/` (`name`) as the bundle's entry beside the glue: a relative import
/// must name a file of `dist/`, `../dist/X`, which becomes `./X`, or a module beside it
/// (`beside`), `./X`, which becomes `./src/X`.
fn relocate(source: &str, beside: &[String], name: &str) -> Result<String> {
    let mut moved = source.to_owned();
    for literal in module_literals(source).into_iter().filter(|l| l.starts_with('.')) {
        let to = if let Some(file) = literal.strip_prefix("../dist/") {
            format!("./{file}")
        } else if let Some(file) = literal.strip_prefix("./").filter(|f| beside.iter().any(|b| b == f)) {
            format!("./src/{file}")
        } else {
            return Err(format!(
                "{API_DIR}/{name} imports `{literal}`: it is bundled into dist/{name}, so it may import only files of dist/ \
                 (`../dist/…`) and modules of {API_DIR}/ (`./…`)"
            ));
        };
        for quote in ['"', '\'', '`'] {
            moved = moved.replace(&format!("{quote}{literal}{quote}"), &format!("{quote}{to}{quote}"));
        }
    }
    Ok(moved)
}

fn names(dir: &Path) -> Result<Vec<String>> {
    let entries = fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
    Ok(entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
}

/// Every file under `dir`, as `/`-separated paths relative to it (staging directories left out).
fn files_under(dir: &Path) -> Result<Vec<String>> {
    let mut files = Vec::new();
    for name in names(dir)? {
        let path = dir.join(&name);
        if name.starts_with(".staging-") {
            continue;
        } else if path.is_dir() {
            files.extend(files_under(&path)?.into_iter().map(|f| format!("{name}/{f}")));
        } else {
            files.push(name);
        }
    }
    files.sort();
    Ok(files)
}

/// The last build read these very inputs, and `dist` still holds exactly what it wrote.
fn up_to_date(stamp: &Path, inputs: &[(String, Vec<u8>)], dist: &Path) -> bool {
    if !inputs.iter().all(|(name, bytes)| fs::read(stamp.join(name)).ok().as_ref() == Some(bytes)) {
        return false;
    }
    let (Ok(wrote), Ok(present)) = (files_under(&stamp.join("out")), files_under(dist)) else { return false };
    !wrote.is_empty()
        && wrote == present
        && wrote.iter().all(|name| fs::read(stamp.join("out").join(name)).ok().is_some_and(|b| fs::read(dist.join(name)).ok() == Some(b)))
}

/// Moves every file of `staging` into `dist` (rename: atomic on one filesystem), leaving files
/// whose bytes did not change untouched, and removes what the build no longer produces.
fn publish(staging: &Path, dist: &Path) -> Result<()> {
    let fresh = names(staging)?;
    for name in &fresh {
        let (from, to) = (staging.join(name), dist.join(name));
        if from.is_dir() {
            let _ = fs::remove_dir_all(&to);
        } else if fs::read(&from).ok() == fs::read(&to).ok() {
            continue;
        }
        fs::rename(&from, &to).map_err(|e| format!("moving {} to {}: {e}", from.display(), to.display()))?;
    }
    for name in names(dist)? {
        if !name.starts_with(".staging-") && !fresh.contains(&name) {
            let path = dist.join(&name);
            let _ = if path.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
        }
    }
    Ok(())
}

/// The wasm must not link `serde_json` (DESIGN.md "JSON, size and speed"): its symbols would
/// be in the rustc output's `name` section.
fn check_no_serde_json(wasm: &Path, features: &str) -> Result<()> {
    let bytes = fs::read(wasm).map_err(|e| format!("reading {}: {e}", wasm.display()))?;
    if bytes.windows(b"serde_json".len()).any(|w| w == b"serde_json") {
        return Err(format!(
            "serde_json is linked into the wasm ({} names it): JSON must be made and parsed by the host \
             (JSON.stringify / Response.json()); find who pulls it in with \
             `cargo tree --target {TARGET} -p instant-edge --no-default-features --features {features} -i serde_json`",
            wasm.display()
        ));
    }
    Ok(())
}

/// The names of a wasm module's custom sections, in order.
fn custom_sections(bytes: &[u8]) -> Result<Vec<String>> {
    fn leb(bytes: &[u8], at: &mut usize) -> Option<usize> {
        let (mut value, mut shift) = (0usize, 0);
        loop {
            let byte = *bytes.get(*at)?;
            *at += 1;
            value |= usize::from(byte & 0x7f).checked_shl(shift)?;
            if byte & 0x80 == 0 {
                return Some(value);
            }
            shift += 7;
        }
    }
    if bytes.get(..4) != Some(b"\0asm") {
        return Err("not a wasm module".into());
    }
    let mut names = Vec::new();
    let mut at = 8;
    while at < bytes.len() {
        let id = bytes[at];
        at += 1;
        let size = leb(bytes, &mut at).ok_or("truncated wasm section header")?;
        let end = at.checked_add(size).filter(|&end| end <= bytes.len()).ok_or("truncated wasm section")?;
        if id == 0 {
            let mut name_at = at;
            let len = leb(bytes, &mut name_at).ok_or("bad custom section name")?;
            let name = bytes.get(name_at..name_at + len).ok_or("bad custom section name")?;
            names.push(String::from_utf8_lossy(name).into_owned());
        }
        at = end;
    }
    Ok(names)
}

/// The wasm target, wasm-bindgen-cli at the pinned version (installed when missing, so the
/// README's commands work on a fresh machine; `bash .ci/run` does the same), and npm binaryen's
/// wasm-opt and npm esbuild first on PATH.
pub fn ensure_toolchain() -> Result<()> {
    let installed = Command::new("rustup").args(["target", "list", "--installed"]).output().ok();
    let has_target = installed.is_some_and(|o| String::from_utf8_lossy(&o.stdout).lines().any(|l| l.trim() == TARGET));
    if !has_target {
        println!("==> rustup target add {TARGET}");
        run(Command::new("rustup").args(["target", "add", TARGET]), "rustup target add (install Rust with rustup)")?;
    }
    let wanted = format!("wasm-bindgen {WASM_BINDGEN_VERSION}");
    let found = || version_of("wasm-bindgen");
    if found() != wanted {
        println!("==> cargo install wasm-bindgen-cli --version ={WASM_BINDGEN_VERSION} (once, ~2.5 min; found `{}`)", found());
        let pin = format!("={WASM_BINDGEN_VERSION}");
        // --locked fails while the registry mirror lacks the CLI lock's webpki-roots.
        let locked = Command::new(cargo()).args(["install", "--locked", "wasm-bindgen-cli", "--version", &pin]).status();
        if !locked.is_ok_and(|s| s.success()) {
            run(Command::new(cargo()).args(["install", "wasm-bindgen-cli", "--version", &pin]), "cargo install wasm-bindgen-cli")?;
        }
        if found() != wanted {
            return Err(format!(
                "{wanted} must be first on PATH, found `{}`. Install it with \
                 `cargo install wasm-bindgen-cli --version ={WASM_BINDGEN_VERSION}` and put ~/.cargo/bin on PATH",
                found()
            ));
        }
    }
    crate::tools()?;
    let wasm_opt = version_of("wasm-opt");
    if !wasm_opt.starts_with(&format!("wasm-opt version {BINARYEN_VERSION} ")) {
        return Err(format!(
            "wasm-opt from npm binaryen {BINARYEN_VERSION} (tools/node_modules/.bin) must be first on PATH, found `{wasm_opt}`"
        ));
    }
    let esbuild = version_of("esbuild");
    if esbuild != ESBUILD_VERSION {
        return Err(format!("esbuild {ESBUILD_VERSION} from npm (tools/node_modules/.bin) must be first on PATH, found `{esbuild}`"));
    }
    Ok(())
}

/// The first line `program --version` prints, or "" when it cannot run.
fn version_of(program: &str) -> String {
    let output = Command::new(program).arg("--version").stderr(Stdio::null()).output().ok();
    output.map(|o| String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or("").trim().to_owned()).unwrap_or_default()
}

/// One entry's load: the entry, the package JS it imports, the glue and the wasm.
pub struct EntrySize {
    pub name: &'static str,
    pub files: Vec<String>,
    pub raw: u64,
    pub gzip: u64,
    pub budget: Option<u64>,
}

impl EntrySize {
    /// Why this entry fails the budget, if it does.
    pub fn over_budget(&self) -> Option<String> {
        match self.budget {
            Some(budget) if self.gzip <= budget => None,
            Some(budget) => Some(format!("{} loads {} B gzip, over its budget of {budget} B (pkg/size-budget.json)", self.name, self.gzip)),
            None => Some(format!("{} has no budget in pkg/size-budget.json (it loads {} B gzip)", self.name, self.gzip)),
        }
    }
}

/// Measures every entry and prints a table; returns the sizes for the caller to judge.
pub fn measure(root: &Path) -> Result<Vec<EntrySize>> {
    let pkg = root.join("pkg");
    let budget = fs::read_to_string(pkg.join("size-budget.json")).unwrap_or_default();
    let mut files: Vec<(String, u64, u64)> = Vec::new();
    let mut entries = Vec::new();
    for (name, entry, always) in ENTRIES {
        let mut loads = loaded_by(&pkg, entry)?;
        for always in always {
            if !loads.iter().any(|f| f == always) {
                loads.push(always.to_owned());
            }
        }
        let (mut raw, mut gzip) = (0, 0);
        for file in &loads {
            if !files.iter().any(|(f, _, _)| f == file) {
                let path = pkg.join(file);
                let size = fs::metadata(&path).map_err(|e| format!("{}: {e} (run `cargo xtask pkg` first)", path.display()))?.len();
                files.push((file.clone(), size, gzip_size(&path)?));
            }
            let (_, r, g) = files.iter().find(|(f, _, _)| f == file).ok_or("unreachable")?;
            raw += r;
            gzip += g;
        }
        entries.push(EntrySize { name, files: loads, raw, gzip, budget: budget_for(&budget, name) });
    }
    println!("\n{:<30} {:>9} {:>9}", "file (pkg/)", "raw", "gzip -9");
    for (file, raw, gzip) in &files {
        println!("{file:<30} {raw:>9} {gzip:>9}");
    }
    println!("\n{:<30} {:>9} {:>9} {:>9}   loads", "entry (all it loads)", "raw", "gzip -9", "budget");
    for e in &entries {
        let budget = e.budget.map_or("none".to_owned(), |b| b.to_string());
        println!("{:<30} {:>9} {:>9} {:>9}   {}", e.name, e.raw, e.gzip, budget, e.files.join(" + "));
    }
    Ok(entries)
}

/// `cargo xtask size`: builds `pkg/dist/` when it is missing or stale (a no-op when it is up to
/// date), then fails when an entry is over its budget (or has none), or when the wasm links
/// `serde_json`.
pub fn check(root: &Path) -> Result<()> {
    build(root)?;
    let entries = measure(root)?;
    let problems: Vec<String> = entries.iter().filter_map(EntrySize::over_budget).collect();
    println!("no serde_json in the wasm (checked the names in {}/*.wasm)", rustc_copies(root).display());
    if problems.is_empty() {
        println!("every entry is within pkg/size-budget.json (a ratchet: lower it whenever the size drops)");
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// `entry` and the package files it loads, transitively, as paths relative to `pkg/`: every
/// string literal in a JS file that names an existing `.js`, `.mjs` or `.wasm` file relative to
/// it (`import … from './x.js'`, `import('./x.js')`, `new URL('./x.wasm', import.meta.url)`).
fn loaded_by(pkg: &Path, entry: &str) -> Result<Vec<String>> {
    let mut found = vec![entry.to_owned()];
    let mut next = 0;
    while next < found.len() {
        let file = found[next].clone();
        next += 1;
        if file.ends_with(".wasm") {
            continue;
        }
        let path = pkg.join(&file);
        let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e} (run `cargo xtask pkg` first)", path.display()))?;
        let dir = Path::new(&file).parent().unwrap_or(Path::new(""));
        for literal in module_literals(&text) {
            let Some(relative) = normalize(&dir.join(literal)) else { continue };
            if pkg.join(&relative).is_file() && !found.contains(&relative) {
                found.push(relative);
            }
        }
    }
    Ok(found)
}

/// Quoted strings that look like a relative module or wasm path.
fn module_literals(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for quote in ['\'', '"', '`'] {
        // Every stretch between two quotes is a candidate, whatever the parity: an apostrophe
        // in a comment must not hide the literals after it.
        for piece in text.split(quote) {
            let looks_like_path = !piece.is_empty()
                && piece.len() < 200
                && !piece.contains("://")
                && !piece.starts_with('/')
                && piece.chars().all(|c| c.is_ascii_alphanumeric() || "./_-".contains(c))
                && [".js", ".mjs", ".wasm"].iter().any(|ext| piece.ends_with(ext));
            if looks_like_path {
                out.push(piece);
            }
        }
    }
    out
}

/// `a/./b/../c.js` → `a/c.js`, with `/` separators; None when it leaves the package.
fn normalize(path: &Path) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for part in path.components() {
        match part {
            std::path::Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            std::path::Component::ParentDir => {
                parts.pop()?;
            }
            std::path::Component::CurDir => {}
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

fn gzip_size(path: &Path) -> Result<u64> {
    let output =
        Command::new("gzip").args(["-9", "-n", "-c"]).arg(path).stderr(Stdio::inherit()).output().map_err(|e| format!("gzip: {e}"))?;
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
    use super::*;

    #[test]
    fn renames_imports_and_exports_in_the_glue() {
        let glue = "import * as import1 from \"./snippets/x/host.js\"\nfunction __wbg_get_imports() {\n    const import0 = {\n        __proto__: null,\n        __wbg_abort_f00: function(arg0) {\n            arg0.abort();\n        },\n    };\n    return {\n        __proto__: null,\n        \"./instant_edge_bg.js\": import0,\n        \"./snippets/x/host.js\": import1,\n    };\n}\nwasm.client_call(1); wasm.memory; this.wasm.memory; wasm.memoryless;\n";
        let map = "{\n \"imports\": [\n  [\"./instant_edge_bg.js\", \"__wbg_abort_f00\", \"a\"],\n  [\"./snippets/x/host.js\", \"kindOf\", \"b\"]\n ],\n\"exports\": [\n  [\"client_call\", \"c\"],\n  [\"memory\", \"d\"]\n ]\n}\n";
        let out = rename_in_glue(glue, map, "instant_edge").unwrap();
        assert!(out.contains("        a: function(arg0)"), "{out}");
        assert!(out.contains("    import0.b = import1.kindOf;\n    return { __proto__: null, a: import0 };"), "{out}");
        assert!(out.contains("wasm.c(1); wasm.d; this.wasm.memory; wasm.memoryless;"), "{out}");
        assert!(!out.contains("__wbg_abort_f00") && !out.contains("\"./instant_edge_bg.js\""), "{out}");
        assert!(rename_in_glue(glue, "{}", "instant_edge").is_err(), "an empty map is an error");
        assert!(rename_in_glue(glue, map, "platform_glue").is_err(), "another build's glue is an error");
    }

    #[test]
    fn reads_the_budget() {
        let text = r#"{"gzip_bytes": {"workerd": 37000, "node":36900}, "note": "x"}"#;
        assert_eq!(budget_for(text, "workerd"), Some(37000));
        assert_eq!(budget_for(text, "node"), Some(36900));
        assert_eq!(budget_for(text, "browser"), None);
    }

    #[test]
    fn finds_module_paths() {
        let js = "// Workers tooling imports .wasm as a module\nimport wasm from './dist/x_bg.wasm';\n\
                  import { a } from \"../src/api.js\";\nconst u = new URL('x_bg.wasm', import.meta.url);\n\
                  fetch('https://h/a.js'); const s = 'not a path.js';";
        assert_eq!(module_literals(js), ["./dist/x_bg.wasm", "x_bg.wasm", "../src/api.js"]);
        assert_eq!(normalize(Path::new("src/../dist/./a.js")).as_deref(), Some("dist/a.js"));
        assert_eq!(normalize(Path::new("../a.js")), None);
    }

    #[test]
    fn moves_api_js_into_dist() {
        let api = "import{Client as c}from\"../dist/instant_edge.js\";const m=\"not a path.js\";export{c as C};";
        assert_eq!(relocate(api, &[], "api.js").unwrap(), api.replace("../dist/", "./"));
        assert!(relocate("import{a}from\"./helpers.js\";", &[], "api.js").unwrap_err().contains("./helpers.js"));
        let beside = ["schema.js".to_owned()];
        assert_eq!(relocate("import{i}from'./schema.js';", &beside, "platform.js").unwrap(), "import{i}from'./src/schema.js';");
        assert!(relocate("import{i}from'./other.js';", &beside, "platform.js").unwrap_err().contains("pkg/src/platform.js imports"));
    }

    #[test]
    fn lists_custom_sections() {
        // magic, version, a type section (id 1, empty), then custom "name" and "producers".
        let mut wasm = b"\0asm\x01\0\0\0\x01\x01\0".to_vec();
        wasm.extend_from_slice(b"\0\x06\x04name\0");
        wasm.extend_from_slice(b"\0\x0a\x09producers");
        assert_eq!(custom_sections(&wasm).unwrap(), ["name", "producers"]);
        assert!(custom_sections(b"\0asm\x01\0\0\0\0\x09").is_err());
    }
}
