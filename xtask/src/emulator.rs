//! A real `instant-emulator` process for the JS layer and the demo: built, started on a free
//! loopback port, waited for, and killed when dropped (so on every exit path, errors included).

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::{cargo, run, Result};

/// How long a freshly spawned emulator may take to answer its health route.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The cargo profile the emulator is built with: release speed, but `panic = "unwind"` so a bug
/// in one handler answers 500 instead of killing the server (see the root Cargo.toml).
const PROFILE: &str = "emulator";

pub struct Emulator {
    child: Child,
    dir: PathBuf,
    /// `INSTANT_API_URI`, `INSTANT_APP_ID`, `INSTANT_APP_ADMIN_TOKEN`, as the emulator wrote them.
    env: Vec<(String, String)>,
}

impl Emulator {
    /// Builds the emulator binary (incremental: a no-op when up to date).
    pub fn build(root: &Path) -> Result<PathBuf> {
        println!("==> cargo build -p instant-emulator --profile {PROFILE}");
        run(
            Command::new(cargo()).args(["build", "-p", "instant-emulator", "--profile", PROFILE]).current_dir(root),
            "building the emulator",
        )?;
        let binary = crate::target_dir(root).join(PROFILE).join(format!("instant-emulator{}", std::env::consts::EXE_SUFFIX));
        if binary.is_file() {
            Ok(binary)
        } else {
            Err(format!("the emulator build succeeded but {} is missing", binary.display()))
        }
    }

    /// Starts `binary` on a free port (`--port 0 --port-file`), waits until
    /// `GET /__emulator/health` answers 200, and reads the credentials from `--env-file`.
    pub fn start(root: &Path, binary: &Path, extra_args: &[&str]) -> Result<Emulator> {
        let dir = temp_dir()?;
        let (port_file, env_file, log_file) = (dir.join("port"), dir.join("emulator.env"), dir.join("emulator.log"));
        let log = fs::File::create(&log_file).map_err(|e| format!("creating {}: {e}", log_file.display()))?;
        let log_err = log.try_clone().map_err(|e| e.to_string())?;
        let spawned = Command::new(binary)
            .args(["--host", "127.0.0.1", "--port", "0", "--port-file"])
            .arg(&port_file)
            .arg("--env-file")
            .arg(&env_file)
            .args(extra_args)
            .current_dir(root)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(e) => {
                let _ = fs::remove_dir_all(&dir);
                return Err(format!("starting {}: {e}", binary.display()));
            }
        };
        // From here on, `Drop` kills the process and removes the directory.
        let mut emulator = Emulator { child, dir, env: Vec::new() };
        let deadline = Instant::now() + START_TIMEOUT;
        let port = loop {
            if let Some(status) = emulator.child.try_wait().map_err(|e| e.to_string())? {
                return Err(format!("the emulator exited at start ({status}):\n{}", emulator.log()));
            }
            let port = fs::read_to_string(&port_file).ok().and_then(|p| p.trim().parse::<u16>().ok());
            if let Some(port) = port.filter(|&port| health(port)) {
                break port;
            }
            if Instant::now() > deadline {
                return Err(format!("the emulator did not become healthy within {START_TIMEOUT:?}:\n{}", emulator.log()));
            }
            sleep(Duration::from_millis(25));
        };
        let text = fs::read_to_string(&env_file).map_err(|e| format!("reading {}: {e}", env_file.display()))?;
        emulator.env = text
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
            .collect();
        for key in ["INSTANT_API_URI", "INSTANT_APP_ID", "INSTANT_APP_ADMIN_TOKEN"] {
            if emulator.get(key).is_empty() {
                return Err(format!("{} has no {key}", env_file.display()));
            }
        }
        println!("    emulator healthy on port {port} ({})", emulator.get("INSTANT_API_URI"));
        Ok(emulator)
    }

    /// Gives `command` the emulator's base URL and default app credentials.
    pub fn export(&self, command: &mut Command) {
        for (key, value) in &self.env {
            command.env(key, value);
        }
    }

    pub fn get(&self, key: &str) -> &str {
        self.env.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or("")
    }

    /// Blocks until the emulator exits (Ctrl-C reaches it too: same process group).
    pub fn wait(&mut self) -> Result<()> {
        let status = self.child.wait().map_err(|e| e.to_string())?;
        println!("the emulator stopped ({status})");
        Ok(())
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.join("emulator.log")).unwrap_or_default()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// `GET /__emulator/health` answered 200 (a bare HTTP/1.1 request: std has no HTTP client).
fn health(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET /__emulator/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}

fn temp_dir() -> Result<PathBuf> {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("instant-edge-xtask-{}-{nanos}", std::process::id()));
    fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    Ok(dir)
}
