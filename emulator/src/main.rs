//! `instant-emulator`: serve the emulated Instant Admin API on loopback.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use instant_emulator::{Config, Emulator};
use uuid::Uuid;

const USAGE: &str = "\
instant-emulator: a local emulator of the InstantDB Admin API and the Platform API's app and OAuth routes

USAGE: instant-emulator [OPTIONS]

  --host ADDR          address to listen on (default 127.0.0.1; loopback only unless you say so)
  --port N             port (default 8888; 0 picks a free one)
  --port-file FILE     write the chosen port to FILE once listening
  --env-file FILE      write INSTANT_API_URI, INSTANT_APP_ID, INSTANT_APP_ADMIN_TOKEN to FILE
  --app-id UUID        id of the default app (default: random)
  --admin-token UUID   admin token of the default app (default: random)
  --schema FILE        schema JSON (what i.schema(...) produces) for the default app
  --rules FILE         permission rules JSON (what instant.perms.ts exports) for the default app
  --max-body-bytes N   largest request body accepted, uploads included (default 67108864)
  --sse-keepalive-ms N how often open subscribe-query streams get a `:` keep-alive comment (default 15000)
  --platform-token TOKEN
                       a personal access token (per_ + 64 lowercase hex digits, or a legacy UUID) of
                       the Instant user dev@example.com, for the Platform API (/superadmin/...);
                       repeatable; kept across resets. Without it, make users and tokens with
                       POST /__emulator/platform/users
  --oauth-consent-email EMAIL
                       the Instant user who consents to every Platform OAuth request at once:
                       /platform/oauth/start redirects with a code instead of showing the local
                       consent page; kept across resets (POST /__emulator/platform/oauth-consent
                       changes it)
  --fidelity-identical-perms-null
                       answer an identical POST /superadmin/apps/{id}/perms with {\"rules\": null}
                       as the real server does (medium confidence; the official client crashes on
                       it); default: the unchanged rules. POST /__emulator/fidelity changes it
  --webhook-retry-ms LIST
                       comma-separated waits (ms) before each webhook delivery retry; the n-th
                       failure waits the n-th, the last repeats (default 200,1000,5000; the real
                       server: 1 min, 5 min, 30 min, 2 h, 5 h, 10 h, 12 h)
  --webhook-max-attempts N
                       delivery attempts per webhook event before it is failed (default 4; the
                       real server: 11)
  --webhook-timeout-ms N
                       time limit of one delivery attempt (default 20000, as the real server)
  --webhook-disable-after N
                       disable a webhook after N of its events in a row failed, with the reason
                       (default 0: never; the real server disables only on a 410 answer)
  -h, --help           this text

Besides the Instant Admin routes, tests can drive the emulator under /__emulator/
(documented in src/http/control.rs), among them:

  GET    /__emulator/sse                        {\"connections\", \"subscriptions\"} of subscribe-query
  POST   /__emulator/sse/drop                   {\"app-id\"?}: cut open subscribe-query streams off
  POST   /__emulator/faults                     {\"path-prefix\", \"status\", \"for-ms\"?, \"count\"?, \"app-id\"?}: fail requests
  DELETE /__emulator/faults                     disarm every fault
  GET    /__emulator/requests                   {\"requests\"}: the newest 256 requests (?app-id=, ?path-prefix=)
  DELETE /__emulator/requests                   clear the request log
  POST   /__emulator/apps/{app}/presence        {\"room-type\", \"room-id\", \"peers\"}: seed a presence room
  POST   /__emulator/platform/users             {\"email\"}: an Instant user and a fresh personal access token
  POST   /__emulator/platform/orgs              {\"title\", \"members\": [{\"email\", \"role\"}]}: an org
  POST   /__emulator/platform/oauth-tokens      {\"email\", \"scopes\", \"expires-in-s\"?}: a pat_ OAuth access token
  POST   /__emulator/platform/oauth-clients     {\"app-name\", \"redirect-urls\", \"public\"?, \"granted-scopes\"?, \"owner-email\"?,
                                                \"app-id\"?, \"support-email\"?}: an OAuth client, {\"client-id\", \"client-secret\"}
  POST   /__emulator/platform/oauth-consent     {\"email\" | null}: who /platform/oauth/start consents as
  GET    /__emulator/fidelity               {\"identical-perms-null\"}: the fidelity switches in force
  POST   /__emulator/fidelity               {\"identical-perms-null\"?}: change them (until a reset)
  GET    /__emulator/webhooks/deliveries    {\"deliveries\"}: every webhook delivery attempt (?app-id=)
  DELETE /__emulator/webhooks/deliveries    clear that log
  POST   /__emulator/webhooks/flush         wait until no delivery is in flight (?timeout-ms=, default 30000)
  POST   /__emulator/reset                      drop all data, rooms, faults, the request log and platform
                                                users (but --platform-token's)
";

struct Args {
    host: IpAddr,
    port: u16,
    port_file: Option<String>,
    env_file: Option<String>,
    config: Config,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { host: IpAddr::V4(Ipv4Addr::LOCALHOST), port: 8888, port_file: None, env_file: None, config: Config::default() };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            print!("{USAGE}");
            std::process::exit(0);
        }
        if flag == "--fidelity-identical-perms-null" {
            args.config.fidelity.identical_perms_null = true;
            continue;
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let uuid = |v: &str| Uuid::parse_str(v.trim()).map_err(|_| format!("{flag}: not a UUID: {v}"));
        match flag.as_str() {
            "--host" => args.host = value.parse().map_err(|_| format!("--host: bad address {value}"))?,
            "--port" => args.port = value.parse().map_err(|_| format!("--port: bad port {value}"))?,
            "--port-file" => args.port_file = Some(value),
            "--env-file" => args.env_file = Some(value),
            "--app-id" => args.config.app_id = Some(uuid(&value)?),
            "--admin-token" => args.config.admin_token = Some(uuid(&value)?),
            "--sse-keepalive-ms" => {
                args.config.sse_keepalive_ms =
                    value.parse().ok().filter(|ms| *ms > 0).ok_or_else(|| format!("--sse-keepalive-ms: not a positive number {value}"))?
            }
            "--webhook-retry-ms" => {
                let waits: Result<Vec<u64>, _> = value.split(',').map(|w| w.trim().parse::<u64>()).collect();
                args.config.webhook_retry_ms =
                    waits.ok().filter(|w| !w.is_empty()).ok_or_else(|| format!("--webhook-retry-ms: not a list of numbers {value}"))?
            }
            "--webhook-max-attempts" => {
                args.config.webhook_max_attempts =
                    value.parse().ok().filter(|n| *n > 0).ok_or_else(|| format!("--webhook-max-attempts: not a positive number {value}"))?
            }
            "--webhook-disable-after" => {
                args.config.webhook_disable_after = value.parse().map_err(|_| format!("--webhook-disable-after: not a number {value}"))?
            }
            "--webhook-timeout-ms" => {
                args.config.webhook_timeout_ms =
                    value.parse().ok().filter(|n| *n > 0).ok_or_else(|| format!("--webhook-timeout-ms: not a positive number {value}"))?
            }
            "--max-body-bytes" => {
                args.config.max_body_bytes = value.parse().map_err(|_| format!("--max-body-bytes: bad number {value}"))?
            }
            "--schema" => {
                let text = std::fs::read_to_string(&value).map_err(|e| format!("--schema: cannot read {value}: {e}"))?;
                let json = serde_json::from_str(&text).map_err(|e| format!("--schema: {value} is not JSON: {e}"))?;
                args.config.schema = Some(json);
            }
            "--platform-token" => args.config.platform_tokens.push(value.trim().to_owned()),
            "--oauth-consent-email" => {
                let email =
                    instant_emulator::users::coerce_email(&value).ok_or_else(|| format!("--oauth-consent-email: not an email {value}"))?;
                args.config.oauth_consent_email = Some(email);
            }
            "--rules" => {
                let text = std::fs::read_to_string(&value).map_err(|e| format!("--rules: cannot read {value}: {e}"))?;
                let json = serde_json::from_str(&text).map_err(|e| format!("--rules: {value} is not JSON: {e}"))?;
                args.config.rules = Some(json);
            }
            _ => return Err(format!("unknown option {flag}\n\n{USAGE}")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("instant-emulator: {message}");
            return ExitCode::from(2);
        }
    };
    let emulator = match Emulator::new(args.config) {
        Ok(e) => e,
        Err(message) => {
            eprintln!("instant-emulator: {message}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(SocketAddr::new(args.host, args.port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("instant-emulator: cannot listen on {}:{}: {e}", args.host, args.port);
            return ExitCode::FAILURE;
        }
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(args.port);
    let host = match args.host {
        IpAddr::V6(v6) => format!("[{v6}]"),
        v4 => v4.to_string(),
    };
    let base = format!("http://{host}:{port}");
    let env = format!(
        "INSTANT_API_URI={base}\nINSTANT_APP_ID={}\nINSTANT_APP_ADMIN_TOKEN={}\n",
        emulator.default_app_id(),
        emulator.default_admin_token()
    );
    if let Some(path) = &args.env_file {
        if let Err(e) = std::fs::write(path, &env) {
            eprintln!("instant-emulator: cannot write {path}: {e}");
            return ExitCode::FAILURE;
        }
    }
    if let Some(path) = &args.port_file {
        if let Err(e) = std::fs::write(path, port.to_string()) {
            eprintln!("instant-emulator: cannot write {path}: {e}");
            return ExitCode::FAILURE;
        }
    }
    println!("instant-emulator listening on {base}\n{env}");
    let serve = emulator.serve(listener);
    tokio::select! {
        result = serve => {
            if let Err(e) = result {
                eprintln!("instant-emulator: {e}");
                return ExitCode::FAILURE;
            }
        }
        _ = tokio::signal::ctrl_c() => {}
    }
    ExitCode::SUCCESS
}
