//! Times one password hash with the parameters Ledgerlock uses (argon2id,
//! 19 MiB, 2 passes, 1 lane). `make bench` prints the median of 15 runs.
#![allow(clippy::print_stdout)]

use ledgerlock_app::domain::{NewPassword, PasswordContext};
use ledgerlock_app::ssr::passwords::Passwords;
use std::error::Error;
use std::time::Instant;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let passwords = Passwords::new()?;
    let password = NewPassword::parse(
        "velvet thunder orchard 1987 kite",
        PasswordContext::default(),
    )?;
    let mut millis = Vec::new();
    for _ in 0..15 {
        let start = Instant::now();
        passwords.hash(&password).await?;
        millis.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    millis.sort_by(f64::total_cmp);
    println!("{:.1}", millis[millis.len() / 2]);
    Ok(())
}
