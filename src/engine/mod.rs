//! The load engine behind `chatload run`. (Stub: filled in by the load-engine issue.)

pub mod metrics;

use crate::cli::RunArgs;
use crate::error::Exit;

/// `chatload run`.
pub async fn run_command(_args: RunArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("chatload run is not implemented yet")
}
