//! `cargo xtask test lint`: formatting, clippy (native and the wasm `js` build) and the import
//! graph of `src/` and `emulator/src/` (DESIGN.md "Layers": data flows one way, so no module
//! circle). One check per step; every failure is listed again at the end with the command that
//! reproduces it.
//!
//! The import check reads the sources itself instead of asking rustc, so it runs in
//! milliseconds and needs no build: it looks for `crate::` (and `super::` reaching the root)
//! paths in code, with comments, literals and `#[cfg(test)]` modules left out.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{cargo, Layer, Result};

/// The intended layers of `src/`, bottom up (DESIGN.md "Layers of the crate"): a module may
/// import from its own group and the groups below it, never from one above. Edit freely; the
/// order is only enforced once every top-level module of `src/` appears here, so a module
/// added, renamed or not yet moved prints a note instead of failing. Circles are checked
/// whatever this list says.
const SRC_LAYERS: &[&[&str]] = &[
    // `value` is a leaf (serde and alloc only): models hold arbitrary JSON (a checked record,
    // a rule's raw result) as a `Value`.
    &["models", "value"],
    &["decode", "http", "error"],
    &[
        "config",
        "json",
        "parse",
        "live_state",
        "answer",
        "validate",
        "schema",
        "typed",
        "platform",
        "webhooks",
        "tx",
        "uuid",
        "retry",
        "sse",
        "streams",
        "request",
        "response",
    ],
    &["host"],
    &["client"],
    &["js"],
];

const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Runs every lint step, each whatever happened to the previous ones.
pub fn layer(root: &Path) -> Layer {
    println!("==> lint: rustfmt, clippy (native + wasm), import circles");
    let mut layer = Layer::new(
        "lint",
        "cargo fmt --check, clippy -D warnings (native, wasm js, js-platform, std), import circles in src/ and emulator/src/",
    );
    let mut failures: Vec<(&str, String)> = Vec::new();
    let mut count = |layer: &mut Layer, what: &'static str, reproduce: &str, ok: bool| {
        if ok {
            layer.counts.passed += 1;
        } else {
            layer.counts.failed += 1;
            failures.push((what, reproduce.to_owned()));
        }
    };

    let fmt = ["fmt", "--all", "--check"];
    count(&mut layer, "formatting (rustfmt.toml)", "cargo fmt --all --check", cargo_step(root, &fmt));

    // The crate's optional areas (`platform`) are linted too.
    let native = ["clippy", "--workspace", "--all-targets", "--features", "instant-edge/platform", "--", "-D", "warnings"];
    let native_command = "cargo clippy --workspace --all-targets --features instant-edge/platform -- -D warnings";
    count(&mut layer, "clippy, native", native_command, cargo_step(root, &native));

    let have_target = match wasm_target() {
        Ok(()) => true,
        Err(e) => {
            println!("    {e}");
            false
        }
    };
    // As the npm package builds each entry's wasm: no std, with that entry's exports.
    for (features, what) in
        [("js", "clippy, wasm with the `js` feature (admin entry)"), ("js-platform", "clippy, wasm with `js-platform` (platform entry)")]
    {
        let args = [
            "clippy",
            "-p",
            "instant-edge",
            "--lib",
            "--target",
            WASM_TARGET,
            "--no-default-features",
            "--features",
            features,
            "--",
            "-D",
            "warnings",
        ];
        let ok = have_target && cargo_step(root, &args);
        let command =
            format!("cargo clippy -p instant-edge --lib --target {WASM_TARGET} --no-default-features --features {features} -- -D warnings");
        count(&mut layer, what, &command, ok);
    }

    // The Rust API on wasm32, with std (what workers-rs users build).
    let rust_api = ["clippy", "-p", "instant-edge", "--lib", "--target", WASM_TARGET, "--features", "platform", "--", "-D", "warnings"];
    let rust_api_ok = have_target && cargo_step(root, &rust_api);
    let rust_api_command = format!("cargo clippy -p instant-edge --lib --target {WASM_TARGET} --features platform -- -D warnings");
    count(&mut layer, "clippy, wasm with std (the Rust API)", &rust_api_command, rust_api_ok);

    println!("==> import circles: src/");
    let ok = report_crate(root, "src", Some(SRC_LAYERS));
    count(&mut layer, "import circles or layer order, src/", "cargo xtask test lint", ok);

    println!("==> import circles: emulator/src/");
    // The engine sits below `http/` (DESIGN.md "The emulator"), so an engine module importing
    // from `http/` shows up here as a circle like any other.
    let ok = report_crate(root, "emulator/src", None);
    count(&mut layer, "import circles, emulator/src/", "cargo xtask test lint", ok);

    if !failures.is_empty() {
        println!("\nlint: {} step(s) failed (run from the workspace root to reproduce):", failures.len());
        for (what, reproduce) in &failures {
            println!("  {what}: `{reproduce}`");
        }
        layer.problem = Some(failures.iter().map(|(what, _)| *what).collect::<Vec<_>>().join("; "));
    }
    layer
}

/// `cargo ARGS` in the workspace root, output shown as it comes; true when it succeeded.
fn cargo_step(root: &Path, args: &[&str]) -> bool {
    println!("==> cargo {}", args.join(" "));
    match Command::new(cargo()).args(args).current_dir(root).status() {
        Ok(status) => status.success(),
        Err(e) => {
            println!("    cannot start cargo: {e}");
            false
        }
    }
}

/// The wasm target, added with rustup when missing (only the target: clippy needs neither
/// wasm-bindgen nor wasm-opt).
fn wasm_target() -> Result<()> {
    let installed = Command::new("rustup").args(["target", "list", "--installed"]).output();
    if installed.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).lines().any(|l| l.trim() == WASM_TARGET)) {
        return Ok(());
    }
    println!("==> rustup target add {WASM_TARGET}");
    crate::run(Command::new("rustup").args(["target", "add", WASM_TARGET]), "rustup target add (install Rust with rustup)")
}

/// Reads the crate in `dir`, prints its circles (and layer-order breaks when `layers` places
/// every module); true when nothing fails.
fn report_crate(root: &Path, dir: &str, layers: Option<&[&[&str]]>) -> bool {
    let files = match read_crate(root, dir) {
        Ok(files) => files,
        Err(e) => {
            println!("    {e}");
            return false;
        }
    };
    let graph = Graph::of(&files);
    let circles = circles(&graph);
    for line in describe(&graph, &circles) {
        println!("    {line}");
    }
    let mut ok = circles.is_empty();
    if let Some(layers) = layers {
        match layer_breaks(&graph, layers) {
            Ok(breaks) => {
                for line in &breaks {
                    println!("    {line}");
                }
                if breaks.is_empty() {
                    println!("    layer order: kept (xtask/src/lint.rs SRC_LAYERS)");
                }
                ok &= breaks.is_empty();
            }
            Err(note) => println!("    note: {note}"),
        }
    }
    ok
}

/// One Rust source file of a crate.
struct Source {
    /// Path shown in reports, e.g. `src/client.rs`.
    path: String,
    /// The top-level module it belongs to; `None` for the crate root (lib.rs, main.rs).
    module: Option<String>,
    /// How many `super::` steps lead from the file's own module to its top-level module.
    depth: usize,
    text: String,
}

/// Every `.rs` file under `root/dir`, sorted by path. `bin/` holds other crates and is left out.
fn read_crate(root: &Path, dir: &str) -> Result<Vec<Source>> {
    let base = root.join(dir);
    let mut paths = Vec::new();
    collect_rs(&base, &mut paths)?;
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        let Ok(relative) = path.strip_prefix(&base) else { continue };
        let parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
        let Some(first) = parts.first() else { continue };
        let module = match (first.as_str(), parts.len()) {
            ("lib.rs" | "main.rs", 1) => None,
            ("bin", _) => continue,
            (file, 1) => Some(file.trim_end_matches(".rs").to_owned()),
            (folder, _) => Some(folder.to_owned()),
        };
        // src/a.rs and src/a/mod.rs are the module itself (0); src/a/b.rs is one below (1).
        let last_is_mod = parts.last().is_some_and(|p| p == "mod.rs");
        let depth = parts.len().saturating_sub(if last_is_mod { 2 } else { 1 });
        let text = fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        files.push(Source { path: format!("{dir}/{}", parts.join("/")), module, depth, text });
    }
    if files.is_empty() {
        return Err(format!("{dir}/ holds no .rs file"));
    }
    Ok(files)
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_rs(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// Where an import was seen: the first one, files and lines in order.
#[derive(Clone, Debug, PartialEq)]
struct Site {
    file: String,
    line: usize,
}

/// Top-level modules and who imports from whom.
#[derive(Default)]
struct Graph {
    modules: BTreeSet<String>,
    /// (importer, imported) → the first place it happens.
    edges: BTreeMap<(String, String), Site>,
}

impl Graph {
    fn of(files: &[Source]) -> Graph {
        let mut graph = Graph { modules: files.iter().filter_map(|f| f.module.clone()).collect(), edges: BTreeMap::new() };
        let scans: Vec<Scan> = files.iter().map(|f| scan(&f.text)).collect();
        // `#[cfg(test)] mod tests;` puts a whole file under test: its imports are not the module's.
        let mut test_files = Vec::new();
        for (file, scan) in files.iter().zip(&scans) {
            let dir = file.path.strip_suffix(".rs").unwrap_or(&file.path);
            let dir = match dir.rsplit_once('/') {
                Some((parent, "mod" | "lib" | "main")) => parent.to_owned(),
                _ => dir.to_owned(),
            };
            test_files.extend(scan.test_children.iter().map(|name| format!("{dir}/{name}")));
        }
        let is_test_file = |path: &str| {
            test_files.iter().any(|t| path.strip_prefix(t.as_str()).is_some_and(|rest| rest == ".rs" || rest.starts_with('/')))
        };

        let reexports: BTreeMap<String, String> = files
            .iter()
            .zip(&scans)
            .filter(|(f, _)| f.module.is_none())
            .flat_map(|(_, scan)| scan.root_uses.iter())
            .filter(|(_, first)| graph.modules.contains(first))
            .map(|(name, first)| (name.clone(), first.clone()))
            .collect();

        for (file, scan) in files.iter().zip(&scans) {
            let Some(module) = &file.module else { continue };
            if is_test_file(&file.path) {
                continue;
            }
            for path in &scan.paths {
                let reaches_root = match path.supers {
                    None => true,
                    Some(supers) => supers > file.depth + path.inline_depth,
                };
                if !reaches_root {
                    continue;
                }
                let target = if graph.modules.contains(&path.name) { Some(&path.name) } else { reexports.get(&path.name) };
                let Some(target) = target else { continue };
                if target != module {
                    let key = (module.clone(), target.clone());
                    graph.edges.entry(key).or_insert_with(|| Site { file: file.path.clone(), line: path.line });
                }
            }
        }
        graph
    }

    fn successors<'a>(&'a self, module: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.edges.keys().filter(move |(from, _)| from == module).map(|(_, to)| to.as_str())
    }
}

/// A first path segment after `crate::` (or after enough `super::` to leave the module).
#[derive(Debug, PartialEq)]
struct RootPath {
    name: String,
    line: usize,
    /// `None` for `crate::`, else how many `super::` lead the path.
    supers: Option<usize>,
    /// How many inline `mod x { }` blocks (other than test modules) enclose it.
    inline_depth: usize,
}

/// What one file says, code only.
#[derive(Default)]
struct Scan {
    paths: Vec<RootPath>,
    /// `#[cfg(test)] mod NAME;`
    test_children: Vec<String>,
    /// For a crate root: each name a top-level `use` binds → the first segment of its path.
    root_uses: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    /// `::`
    PathSep,
    Punct(char),
}

/// A token and the line it starts on.
struct Token {
    tok: Tok,
    line: usize,
}

fn is_ident(tokens: &[Token], at: usize, word: &str) -> bool {
    matches!(tokens.get(at), Some(Token { tok: Tok::Ident(w), .. }) if w == word)
}

fn is_punct(tokens: &[Token], at: usize, c: char) -> bool {
    matches!(tokens.get(at), Some(Token { tok: Tok::Punct(p), .. }) if *p == c)
}

fn is_sep(tokens: &[Token], at: usize) -> bool {
    matches!(tokens.get(at), Some(Token { tok: Tok::PathSep, .. }))
}

fn ident_at(tokens: &[Token], at: usize) -> Option<&str> {
    match tokens.get(at) {
        Some(Token { tok: Tok::Ident(w), .. }) => Some(w),
        _ => None,
    }
}

/// The index of the bracket closing the one at `open` (or the last token when unbalanced).
fn closing(tokens: &[Token], open: usize, (left, right): (char, char)) -> usize {
    let mut depth = 0usize;
    for (i, token) in tokens.iter().enumerate().skip(open) {
        match token.tok {
            Tok::Punct(c) if c == left => depth += 1,
            Tok::Punct(c) if c == right => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    tokens.len().saturating_sub(1)
}

fn scan(text: &str) -> Scan {
    let tokens = tokenize(&code_only(text));
    let mut scan = Scan::default();
    // Token ranges of `#[cfg(test)]` inline modules (skipped) and of other inline modules
    // (each one more `super::` away from the top-level module).
    let mut test_ranges: Vec<(usize, usize)> = Vec::new();
    let mut inline_ranges: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let under_test = is_cfg_test(&tokens, i);
        let item = if under_test { skip_attributes(&tokens, i) } else { i };
        let Some((name, after)) = mod_item(&tokens, item) else {
            i += 1;
            continue;
        };
        if is_punct(&tokens, after, ';') {
            if under_test {
                scan.test_children.push(name);
            }
            i = after + 1;
        } else if under_test {
            let end = closing(&tokens, after, ('{', '}'));
            test_ranges.push((i, end));
            i = end + 1;
        } else {
            // Past the name, so `pub mod x` is not read again at `mod`; nested modules follow.
            inline_ranges.push((after, closing(&tokens, after, ('{', '}'))));
            i = after + 1;
        }
    }
    let skipped = |at: usize| test_ranges.iter().any(|&(start, end)| (start..=end).contains(&at));

    let mut brace_depth = 0usize;
    for at in 0..tokens.len() {
        if skipped(at) {
            continue;
        }
        match tokens[at].tok {
            Tok::Punct('{') => brace_depth += 1,
            Tok::Punct('}') => brace_depth = brace_depth.saturating_sub(1),
            _ => {}
        }
        let inline_depth = inline_ranges.iter().filter(|&&(start, end)| start < at && at < end).count();
        if brace_depth == 0 && is_ident(&tokens, at, "use") {
            let mut bindings = Vec::new();
            use_tree(&tokens, at + 1, &mut Vec::new(), &mut bindings);
            for (name, path) in bindings {
                let first = path.iter().find(|segment| !matches!(segment.as_str(), "crate" | "self"));
                if let Some(first) = first {
                    scan.root_uses.push((name, first.clone()));
                }
            }
        }
        if at > 0 && is_sep(&tokens, at - 1) {
            continue; // `x::crate` or `x::super` is not a path start
        }
        let (supers, after) = if is_ident(&tokens, at, "crate") && is_sep(&tokens, at + 1) {
            (None, at + 2)
        } else if is_ident(&tokens, at, "super") && is_sep(&tokens, at + 1) {
            let mut n = 1;
            while is_ident(&tokens, at + 2 * n, "super") && is_sep(&tokens, at + 2 * n + 1) {
                n += 1;
            }
            (Some(n), at + 2 * n)
        } else {
            continue;
        };
        for (name, line) in first_segments(&tokens, after) {
            scan.paths.push(RootPath { name, line, supers, inline_depth });
        }
    }
    scan
}

/// At `#[cfg(test)]`?
fn is_cfg_test(tokens: &[Token], at: usize) -> bool {
    is_punct(tokens, at, '#')
        && is_punct(tokens, at + 1, '[')
        && is_ident(tokens, at + 2, "cfg")
        && is_punct(tokens, at + 3, '(')
        && is_ident(tokens, at + 4, "test")
        && is_punct(tokens, at + 5, ')')
        && is_punct(tokens, at + 6, ']')
}

/// The index after the attributes (`#[...]`) starting at `at`.
fn skip_attributes(tokens: &[Token], mut at: usize) -> usize {
    while is_punct(tokens, at, '#') && is_punct(tokens, at + 1, '[') {
        at = closing(tokens, at + 1, ('[', ']')) + 1;
    }
    at
}

/// `[pub[(…)]] mod NAME` at `at`: the name and the index of the `;` or `{` after it.
fn mod_item(tokens: &[Token], mut at: usize) -> Option<(String, usize)> {
    if is_ident(tokens, at, "pub") {
        at += 1;
        if is_punct(tokens, at, '(') {
            at = closing(tokens, at, ('(', ')')) + 1;
        }
    }
    if !is_ident(tokens, at, "mod") {
        return None;
    }
    let name = ident_at(tokens, at + 1)?.to_owned();
    (is_punct(tokens, at + 2, ';') || is_punct(tokens, at + 2, '{')).then_some((name, at + 2))
}

/// The first segment of each path starting at `at`: `name` or `{a, b::c, self}` (self names
/// the root itself, nothing to record).
fn first_segments(tokens: &[Token], at: usize) -> Vec<(String, usize)> {
    if let Some(name) = ident_at(tokens, at) {
        return vec![(name.to_owned(), tokens[at].line)];
    }
    if !is_punct(tokens, at, '{') {
        return Vec::new();
    }
    let end = closing(tokens, at, ('{', '}'));
    let mut found = Vec::new();
    let (mut depth, mut item_start) = (0usize, true);
    for (i, token) in tokens.iter().enumerate().take(end).skip(at) {
        match token.tok {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => depth = depth.saturating_sub(1),
            Tok::Punct(',') if depth == 1 => {
                item_start = true;
                continue;
            }
            Tok::Ident(ref name) if depth == 1 && item_start && name != "self" => found.push((name.clone(), token.line)),
            _ => {}
        }
        if depth == 1 && i > at {
            item_start = false;
        }
    }
    found
}

/// The names a `use` tree binds, with their full paths: `a::{B, c::D as E, self}` binds B
/// (a::B), E (a::c::D) and a (a). Globs bind nothing that can be named here.
fn use_tree(tokens: &[Token], mut at: usize, prefix: &mut Vec<String>, out: &mut Vec<(String, Vec<String>)>) -> usize {
    let depth = prefix.len();
    if is_sep(tokens, at) {
        at += 1;
    }
    loop {
        match tokens.get(at).map(|t| &t.tok) {
            Some(Tok::Ident(name)) if is_sep(tokens, at + 1) => {
                prefix.push(name.clone());
                at += 2;
            }
            Some(Tok::Ident(name)) => {
                let mut path = prefix.clone();
                path.push(name.clone());
                let bound = if is_ident(tokens, at + 1, "as") { ident_at(tokens, at + 2).map(str::to_owned) } else { None };
                let bound = bound.unwrap_or_else(|| if name == "self" { prefix.last().cloned().unwrap_or_default() } else { name.clone() });
                if name == "self" {
                    path.pop();
                }
                if !bound.is_empty() && bound != "_" {
                    out.push((bound, path));
                }
                at += if is_ident(tokens, at + 1, "as") { 3 } else { 1 };
                break;
            }
            Some(Tok::Punct('{')) => {
                at += 1;
                while at < tokens.len() && !is_punct(tokens, at, '}') {
                    let before = at;
                    at = use_tree(tokens, at, prefix, out);
                    if is_punct(tokens, at, ',') {
                        at += 1;
                    }
                    if at == before {
                        at += 1; // not a use tree: step over it rather than loop
                    }
                }
                at += 1;
                break;
            }
            _ => {
                at += usize::from(is_punct(tokens, at, '*'));
                break;
            }
        }
    }
    prefix.truncate(depth);
    at
}

/// Rust source with comments, string literals and char literals turned to spaces. Line breaks
/// stay, so lines still count as in the file.
fn code_only(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for b in out.iter_mut().take(to.min(bytes.len())).skip(from) {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    };
    let ident_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        let previous_ident = i > 0 && ident_byte(bytes[i - 1]);
        if rest.starts_with(b"//") {
            let end = rest.iter().position(|&b| b == b'\n').map_or(bytes.len(), |n| i + n);
            blank(&mut out, i, end);
            i = end;
        } else if rest.starts_with(b"/*") {
            let (mut depth, mut j) = (0usize, i);
            while j < bytes.len() {
                if bytes[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if bytes[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut out, i, j);
            i = j;
        } else if let Some(end) = raw_string_end(bytes, i).filter(|_| !previous_ident || matches!(bytes[i - 1], b'b' | b'c')) {
            blank(&mut out, i, end);
            i = end;
        } else if rest[0] == b'"' {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] != b'"' {
                j += if bytes[j] == b'\\' { 2 } else { 1 };
            }
            blank(&mut out, i, j + 1);
            i = j + 1;
        } else if rest[0] == b'\'' {
            i = match char_literal_end(text, i) {
                Some(end) => {
                    blank(&mut out, i, end);
                    end
                }
                None => i + 1, // a lifetime
            };
        } else {
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The end (exclusive) of a raw string `r#"…"#` starting at `at`.
fn raw_string_end(bytes: &[u8], at: usize) -> Option<usize> {
    if bytes.get(at) != Some(&b'r') {
        return None;
    }
    let hashes = bytes.get(at + 1..)?.iter().take_while(|&&b| b == b'#').count();
    if bytes.get(at + 1 + hashes) != Some(&b'"') {
        return None;
    }
    let mut closing = vec![b'"'];
    closing.extend(std::iter::repeat_n(b'#', hashes));
    let body = at + 2 + hashes;
    let found = bytes.get(body..)?.windows(closing.len()).position(|w| w == closing.as_slice());
    Some(found.map_or(bytes.len(), |n| body + n + closing.len()))
}

/// The end (exclusive) of a char literal at `at` (`'x'`, `'\n'`, `'\u{1F600}'`), or `None` for
/// a lifetime or a label.
fn char_literal_end(text: &str, at: usize) -> Option<usize> {
    let rest = text.get(at + 1..)?;
    let mut chars = rest.char_indices();
    let (_, first) = chars.next()?;
    if first == '\\' {
        // The escaped character may itself be a quote (`'\''`): look after it.
        let close = rest.get(2..)?.find('\'')?;
        return Some(at + 1 + 2 + close + 1);
    }
    match chars.next() {
        Some((offset, '\'')) => Some(at + 1 + offset + 1),
        _ => None,
    }
}

fn tokenize(code: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut chars = code.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c == '\n' {
            line += 1;
        } else if c.is_alphanumeric() || c == '_' {
            let mut end = start + c.len_utf8();
            while let Some(&(at, next)) = chars.peek() {
                if !(next.is_alphanumeric() || next == '_') {
                    break;
                }
                end = at + next.len_utf8();
                chars.next();
            }
            tokens.push(Token { tok: Tok::Ident(code[start..end].to_owned()), line });
        } else if c == ':' && chars.peek().is_some_and(|&(_, next)| next == ':') {
            chars.next();
            tokens.push(Token { tok: Tok::PathSep, line });
        } else if !c.is_whitespace() {
            tokens.push(Token { tok: Tok::Punct(c), line });
        }
    }
    tokens
}

/// A circle: modules in order, the first repeated at the end.
type Circle = Vec<String>;

/// The circles of one crate: enough of them to pass through every module of each strongly
/// connected component.
fn circles(graph: &Graph) -> Vec<Circle> {
    components(graph).iter().flat_map(|component| covering_circles(graph, component)).collect()
}

/// Strongly connected components with more than one module (Tarjan), each sorted.
fn components(graph: &Graph) -> Vec<BTreeSet<String>> {
    struct Tarjan<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        found: Vec<BTreeSet<String>>,
    }
    impl<'g> Tarjan<'g> {
        fn visit(&mut self, module: &'g str) {
            let n = self.index.len();
            self.index.insert(module, n);
            self.low.insert(module, n);
            self.stack.push(module);
            self.on_stack.insert(module);
            let graph = self.graph;
            for next in graph.successors(module) {
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[module].min(self.low[next]);
                    self.low.insert(module, low);
                } else if self.on_stack.contains(next) {
                    let low = self.low[module].min(self.index[next]);
                    self.low.insert(module, low);
                }
            }
            if self.low[module] == self.index[module] {
                let mut component = BTreeSet::new();
                while let Some(top) = self.stack.pop() {
                    self.on_stack.remove(top);
                    component.insert(top.to_owned());
                    if top == module {
                        break;
                    }
                }
                if component.len() > 1 {
                    self.found.push(component);
                }
            }
        }
    }
    let mut tarjan =
        Tarjan { graph, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), on_stack: BTreeSet::new(), found: Vec::new() };
    for module in &graph.modules {
        if !tarjan.index.contains_key(module.as_str()) {
            tarjan.visit(module);
        }
    }
    tarjan.found.sort();
    tarjan.found
}

/// Shortest circles through every module of `component`, the first through its first module.
fn covering_circles(graph: &Graph, component: &BTreeSet<String>) -> Vec<Circle> {
    let mut uncovered = component.clone();
    let mut found = Vec::new();
    while let Some(start) = uncovered.iter().next().cloned() {
        uncovered.remove(&start);
        let Some(circle) = shortest_path(graph, &start, &start, Some(component)) else { continue };
        for module in &circle {
            uncovered.remove(module);
        }
        found.push(circle);
    }
    found
}

/// The shortest import path `from` → … → `to` (breadth first; `from == to` finds a circle),
/// optionally inside `within`.
fn shortest_path(graph: &Graph, from: &str, to: &str, within: Option<&BTreeSet<String>>) -> Option<Vec<String>> {
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = VecDeque::from([from]);
    while let Some(module) = queue.pop_front() {
        for next in graph.successors(module) {
            if within.is_some_and(|w| !w.contains(next)) {
                continue;
            }
            if next == to {
                let mut path = vec![to.to_owned(), module.to_owned()];
                let mut at = module;
                while at != from {
                    at = came_from.get(at)?;
                    path.push(at.to_owned());
                }
                path.reverse();
                return Some(path);
            }
            if next != from && !came_from.contains_key(next) {
                came_from.insert(next, module);
                queue.push_back(next);
            }
        }
    }
    None
}

/// The report lines: each circle as `a → b → a`, then where each import is.
fn describe(graph: &Graph, circles: &[Circle]) -> Vec<String> {
    let mut lines = Vec::new();
    let circle_lines = |circle: &Circle, lines: &mut Vec<String>| {
        lines.push(format!("  {}", circle.join(" → ")));
        for pair in circle.windows(2) {
            if let [from, to] = pair {
                let site = graph.edges.get(&(from.clone(), to.clone())).map(|s| format!("{}:{}", s.file, s.line)).unwrap_or_default();
                lines.push(format!("      {from} → {to}   {site}"));
            }
        }
    };
    if circles.is_empty() {
        lines.push("no import circle".to_owned());
    } else {
        let modules: BTreeSet<&String> = circles.iter().flatten().collect();
        let names: Vec<&str> = modules.iter().map(|m| m.as_str()).collect();
        lines.push(format!(
            "FAIL: import circles through {} modules ({}); each line is one circle, with where each import is:",
            names.len(),
            names.join(", ")
        ));
        for circle in circles {
            circle_lines(circle, &mut lines);
        }
    }
    lines
}

/// Imports from a lower layer into a higher one. `Err` (a note) when some module is not in
/// `layers`: the order is then not checked.
fn layer_breaks(graph: &Graph, layers: &[&[&str]]) -> std::result::Result<Vec<String>, String> {
    let layer_of = |module: &str| layers.iter().position(|group| group.contains(&module)).map(|n| n + 1);
    let unplaced: Vec<&str> = graph.modules.iter().map(String::as_str).filter(|m| layer_of(m).is_none()).collect();
    if !unplaced.is_empty() {
        return Err(format!(
            "layer order not checked: SRC_LAYERS in xtask/src/lint.rs does not place {} (add them to a layer to check the order)",
            unplaced.join(", ")
        ));
    }
    let mut breaks = Vec::new();
    for ((from, to), site) in &graph.edges {
        if let (Some(low), Some(high)) = (layer_of(from), layer_of(to)) {
            if low < high {
                breaks
                    .push(format!("FAIL: module {from} (layer {low}) imports {to} (layer {high} above it)   {}:{}", site.file, site.line));
            }
        }
    }
    Ok(breaks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> Source {
        let parts: Vec<&str> = path.trim_start_matches("src/").split('/').collect();
        let module = match parts.as_slice() {
            ["lib.rs" | "main.rs"] => None,
            [one] => Some(one.trim_end_matches(".rs").to_owned()),
            [dir, ..] => Some((*dir).to_owned()),
            [] => None,
        };
        let depth = parts.len().saturating_sub(if parts.last() == Some(&"mod.rs") { 2 } else { 1 });
        Source { path: path.to_owned(), module, depth, text: text.to_owned() }
    }

    fn edges(files: &[Source]) -> Vec<String> {
        Graph::of(files).edges.iter().map(|((from, to), site)| format!("{from}->{to}@{}", site.line)).collect()
    }

    #[test]
    fn comments_strings_and_chars_are_blanked_lines_kept() {
        let text = "a // crate::x\n/* crate::y /* nested */ crate::z */ b \"crate::s \\\" q\" 'c' '\\'' 'a r#\"crate::r\"# br\"x\" c\nd";
        let code = code_only(text);
        assert_eq!(code.lines().count(), text.lines().count());
        assert!(!code.contains("crate"), "{code}");
        assert!(code.contains("'a ") && code.starts_with("a ") && code.ends_with("c\nd"), "{code}");
    }

    #[test]
    fn crate_paths_and_groups_make_edges() {
        let files = [
            file("src/lib.rs", "mod a; mod b; mod c; mod d;"),
            file("src/a.rs", "use crate::{b::X, c, self};\n\nfn f() { crate::d::g(); }"),
            file("src/b.rs", "use crate::{a::{P, Q}};"),
            file("src/c.rs", "// use crate::a;\nconst S: &str = \"crate::a\";"),
            file("src/d.rs", "pub(crate) fn g() {} pub(in crate::d) fn h() {}"),
        ];
        assert_eq!(edges(&files), ["a->b@1", "a->c@1", "a->d@3", "b->a@1"]);
    }

    #[test]
    fn reexports_resolve_to_their_module() {
        let files = [
            file("src/lib.rs", "mod client; mod error; mod value;\npub use client::{Instant, Builder as B};\npub use error::Error;\nuse value::Value as V;\npub use serde::Serialize;"),
            file("src/client.rs", ""),
            file("src/error.rs", "use crate::Instant;\nuse crate::{V, Serialize};"),
            file("src/value.rs", "fn f() -> crate::B { todo!() }\nuse crate::Error;"),
        ];
        assert_eq!(edges(&files), ["error->client@1", "error->value@2", "value->client@1", "value->error@2"]);
    }

    #[test]
    fn super_reaches_the_root_only_from_the_top_level() {
        let files = [
            file("src/lib.rs", "mod a; mod b;"),
            file("src/a.rs", "use super::b::X;\nmod inner { use super::Y; use super::super::b; }"),
            file("src/b/mod.rs", "mod c; use super::a;"),
            file("src/b/c.rs", "use super::Z; use super::super::a::W;"),
        ];
        assert_eq!(edges(&files), ["a->b@1", "b->a@1"]);
    }

    #[test]
    fn test_modules_are_skipped() {
        let files = [
            file("src/lib.rs", "mod a; mod b;"),
            file(
                "src/a.rs",
                "fn f() {}\n#[cfg(test)]\n#[allow(unused)]\nmod tests {\n use crate::b;\n fn g() { { } }\n}\nuse crate::b::Later;",
            ),
            file("src/b.rs", "#[cfg(test)] mod tests;"),
            file("src/b/tests.rs", "use crate::a;"),
        ];
        assert_eq!(edges(&files), ["a->b@8"]);
    }

    fn graph(edges: &[(&str, &str)]) -> Graph {
        let mut graph = Graph::default();
        for (n, (from, to)) in edges.iter().enumerate() {
            graph.modules.insert((*from).to_owned());
            graph.modules.insert((*to).to_owned());
            graph.edges.insert(((*from).to_owned(), (*to).to_owned()), Site { file: format!("src/{from}.rs"), line: n + 1 });
        }
        graph
    }

    #[test]
    fn circles_are_found_and_described() {
        let g = graph(&[("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "e"), ("e", "d"), ("x", "a")]);
        assert_eq!(components(&g).len(), 2);
        let found = circles(&g);
        assert_eq!(found, [vec!["a", "b", "c", "a"], vec!["d", "e", "d"]]);
        let text = describe(&g, &found).join("\n");
        assert!(text.contains("  a → b → c → a\n      a → b   src/a.rs:1\n      b → c   src/b.rs:2\n      c → a   src/c.rs:3"), "{text}");
        assert!(circles(&graph(&[("a", "b"), ("b", "c")])).is_empty());
    }

    #[test]
    fn every_module_of_a_component_is_in_some_circle() {
        // A hub: no single simple circle holds all four.
        let g = graph(&[("hub", "a"), ("a", "hub"), ("hub", "b"), ("b", "hub"), ("hub", "c"), ("c", "hub")]);
        let found = circles(&g);
        let covered: BTreeSet<&String> = found.iter().flatten().collect();
        assert_eq!(covered.len(), 4);
    }

    #[test]
    fn imports_into_http_are_circles_like_any_other() {
        // The engine importing from the HTTP layer that imports it: no allowance.
        let g = graph(&[("http", "query"), ("query", "http"), ("query", "store")]);
        assert_eq!(circles(&g), [vec!["http", "query", "http"]]);
    }

    #[test]
    fn layer_order_is_checked_once_every_module_is_placed() {
        let layers: &[&[&str]] = &[&["models"], &["value", "error"], &["client"]];
        let g = graph(&[("client", "value"), ("value", "models"), ("error", "client")]);
        assert_eq!(layer_breaks(&g, layers).unwrap(), ["FAIL: module error (layer 2) imports client (layer 3 above it)   src/error.rs:3"]);
        let g = graph(&[("client", "value"), ("transport", "value")]);
        assert!(layer_breaks(&g, layers).unwrap_err().contains("does not place transport"));
    }
}
