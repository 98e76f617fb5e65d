//! Thin binary: parse flags, run the library, print `error: {:#}`, exit with a deliberate code.

use chatload::{cli::Cli, Exit};
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Success
            };
            let _ = e.print();
            return code.into();
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return Exit::Untrusted.into();
        }
    };
    match runtime.block_on(chatload::run(cli)) {
        Ok(exit) => exit.into(),
        Err(err) => {
            // A safety net: no error may show a URL password.
            let text = chatload::redact_urls_in(&format!("{err:#}"));
            eprintln!("error: {text}");
            Exit::for_error(&err).into()
        }
    }
}
