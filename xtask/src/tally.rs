//! Runs a test command with its output shown live, and counts what its runner reported.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;

/// Test counts of one layer, summed over every summary block its runner printed.
#[derive(Clone, Copy, Default)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
    pub skipped: u64,
}

impl Counts {
    pub fn add(&mut self, other: Counts) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }
}

/// Which runner's summary lines to read.
#[derive(Clone, Copy)]
pub enum Runner {
    /// `test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; ...`
    /// once per test binary (doc-tests included).
    Cargo,
    /// `node --test`: `# pass 27` / `ℹ pass 27`, `# fail 0`, `# cancelled 0`, `# skipped 0`, `# todo 0`.
    Node,
    /// `tests/js/runtimes/run-all.mjs`: `runtime node: 8 passed, 0 failed   (0.4 s)`.
    Runtimes,
}

/// Runs `command`, echoing its stdout and stderr as they come, and returns its exit status and
/// the counts read from either stream.
pub fn run_counted(command: &mut Command, runner: Runner) -> std::io::Result<(ExitStatus, Counts)> {
    let mut child = command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let (sender, lines) = mpsc::channel::<String>();
    let readers =
        [child.stdout.take().map(|out| echo(out, false, sender.clone())), child.stderr.take().map(|err| echo(err, true, sender.clone()))];
    drop(sender);
    let mut counts = Counts::default();
    for line in lines {
        parse_line(runner, &line, &mut counts);
    }
    for reader in readers.into_iter().flatten() {
        let _ = reader.join();
    }
    Ok((child.wait()?, counts))
}

fn echo(stream: impl Read + Send + 'static, to_stderr: bool, sender: mpsc::Sender<String>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut line = Vec::new();
        while matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0) {
            if to_stderr {
                let _ = std::io::stderr().write_all(&line);
            } else {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(&line);
                let _ = out.flush();
            }
            let _ = sender.send(String::from_utf8_lossy(&line).trim_end().to_owned());
            line.clear();
        }
    })
}

/// `12 passed; 0 failed; 1 ignored` (with `separator` between the parts) added to `counts`.
fn add_listed(rest: &str, separator: char, counts: &mut Counts) {
    for part in rest.split(separator) {
        let mut words = part.split_whitespace();
        let (Some(n), Some(what)) = (words.next(), words.next()) else { continue };
        let Ok(n) = n.parse::<u64>() else { continue };
        match what {
            "passed" => counts.passed += n,
            "failed" => counts.failed += n,
            "ignored" => counts.skipped += n,
            _ => {}
        }
    }
}

fn parse_line(runner: Runner, line: &str, counts: &mut Counts) {
    match runner {
        Runner::Cargo => {
            let Some(rest) = line.trim_start().strip_prefix("test result: ") else { return };
            // "ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s"
            let rest = rest.split_once(". ").map_or(rest, |(_, r)| r);
            add_listed(rest, ';', counts);
        }
        Runner::Runtimes => {
            let Some(rest) = line.strip_prefix("runtime ").and_then(|r| r.split_once(": ")).map(|(_, r)| r) else { return };
            add_listed(rest, ',', counts);
        }
        Runner::Node => {
            let line = line.trim_start();
            let Some(rest) = line.strip_prefix("# ").or_else(|| line.strip_prefix("ℹ ")) else { return };
            let mut words = rest.split_whitespace();
            let (Some(what), Some(n), None) = (words.next(), words.next(), words.next()) else { return };
            let Ok(n) = n.parse::<u64>() else { return };
            match what {
                "pass" => counts.passed += n,
                "fail" | "cancelled" => counts.failed += n,
                "skipped" | "todo" => counts.skipped += n,
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(runner: Runner, text: &str) -> (u64, u64, u64) {
        let mut counts = Counts::default();
        text.lines().for_each(|line| parse_line(runner, line, &mut counts));
        (counts.passed, counts.failed, counts.skipped)
    }

    #[test]
    fn cargo_summaries_are_summed() {
        let text = "test a ... ok\n\
            test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s\n\
            test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.20s\n";
        assert_eq!(parse(Runner::Cargo, text), (15, 2, 1));
    }

    #[test]
    fn runtime_lines() {
        let text = "ok   node: x\nruntime node: 8 passed, 0 failed   (0.4 s)\nruntime bun: 7 passed, 1 failed   (0.1 s)\n";
        assert_eq!(parse(Runner::Runtimes, text), (15, 1, 0));
    }

    #[test]
    fn node_tap_and_spec_summaries() {
        let tap = "# tests 5\n# suites 0\n# pass 3\n# fail 1\n# cancelled 1\n# skipped 0\n# todo 0\n# duration_ms 12.5\n";
        assert_eq!(parse(Runner::Node, tap), (3, 2, 0));
        let spec = "ℹ tests 4\nℹ pass 4\nℹ fail 0\nℹ skipped 1\n";
        assert_eq!(parse(Runner::Node, spec), (4, 0, 1));
        // A test named "# pass it on" is not a count.
        assert_eq!(parse(Runner::Node, "# pass it on\n"), (0, 0, 0));
    }
}
