//! `chatload init [--dialect D] [FILE]`: write the commented starter scenario
//! (`starter.toml`: every field with its default and one line of meaning).
//! It never overwrites a file: the file is created with `create_new`.

use crate::error::{Exit, UsageError};
use crate::protocol::Dialect;
use std::io::Write;

/// The starter scenario for the gms-v2 dialect.
pub const STARTER: &str = include_str!("starter.toml");

/// The starter scenario for `dialect`.
pub(crate) fn starter(dialect: Dialect) -> String {
    match dialect {
        Dialect::GmsV2 => STARTER.to_string(),
        Dialect::WebApi => STARTER.replacen("dialect = \"gms-v2\"", "dialect = \"webapi\"", 1),
    }
}

/// `chatload init`.
pub(crate) fn init_command(args: &crate::cli::InitArgs) -> anyhow::Result<Exit> {
    let dialect: Dialect = args
        .dialect
        .parse()
        .map_err(|e| UsageError::new(format!("--dialect: {e}")))?;
    let path = &args.file;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| {
            let why = match e.kind() {
                std::io::ErrorKind::AlreadyExists => {
                    "already exists; chatload init never overwrites: choose another name or remove it"
                        .to_string()
                }
                _ => format!("cannot be created ({e}); check that its directory exists"),
            };
            UsageError::new(format!("{}: {why}", path.display()))
        })?;
    file.write_all(starter(dialect).as_bytes())?;
    eprintln!(
        "wrote {} ({dialect} dialect); run it with: chatload run {}",
        path.display(),
        path.display()
    );
    Ok(Exit::Success)
}
