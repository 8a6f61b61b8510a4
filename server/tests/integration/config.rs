//! Bad configuration stops the real binary with one clear line.

use std::process::Command;

fn run_with(vars: &[(&str, &str)]) -> (i32, String) {
    let data = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ledgerlock"))
        .arg("migrate")
        .env("LEDGERLOCK_DATA_DIR", data.path())
        .envs(vars.iter().copied())
        .env_remove("LEDGERLOCK_CONFIG")
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn malformed_settings_fail_with_one_line_naming_them() {
    for (name, value) in [
        ("LEDGERLOCK_DATABASE_URL", "definitely not a url"),
        ("LEDGERLOCK_PUBLIC_URL", "ftp://example.com"),
        ("LEDGERLOCK_ADDR", "localhost:abc"),
        // Nothing listens on port 1: the database is unreachable.
        (
            "LEDGERLOCK_DATABASE_URL",
            "postgres://app:secret-pw@127.0.0.1:1/ledgerlock",
        ),
    ] {
        let (code, stderr) = run_with(&[(name, value)]);
        assert_eq!(code, 2, "{name}={value}: {stderr}");
        let lines: Vec<&str> = stderr
            .lines()
            .filter(|line| line.contains("ledgerlock:"))
            .collect();
        assert_eq!(lines.len(), 1, "{stderr}");
        assert!(lines[0].contains(name), "{stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("backtrace"),
            "{stderr}"
        );
        assert!(
            !stderr.contains("secret-pw"),
            "the password is never printed"
        );
    }
}

#[test]
fn an_unwritable_data_directory_is_named() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let (code, stderr) = run_with(&[("LEDGERLOCK_DATA_DIR", file.path().to_str().unwrap())]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("LEDGERLOCK_DATA_DIR"), "{stderr}");
}

#[test]
fn migrate_creates_the_sqlite_database() {
    let data = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ledgerlock"))
        .arg("migrate")
        .env("LEDGERLOCK_DATA_DIR", data.path())
        .env_remove("LEDGERLOCK_DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(data.path().join("ledgerlock.db").exists());
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    use std::io::{BufRead, BufReader};
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ledgerlock"))
        .arg("serve")
        .env("LEDGERLOCK_DATA_DIR", data.path())
        .env("LEDGERLOCK_ADDR", "127.0.0.1:0")
        .env("LEDGERLOCK_LOG_FORMAT", "json")
        .env_remove("LEDGERLOCK_DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let listening = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|line| line.contains("\"listening\""))
        .expect("the server logs where it listens");
    assert!(listening.contains("127.0.0.1:"), "{listening}");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(
        rest.iter().any(|line| line.contains("shutting down")),
        "{rest:?}"
    );
}
