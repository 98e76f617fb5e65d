//! `chatload completions SHELL` and `chatload man`: both are generated from the
//! clap definition in [`crate::cli`], so they can never disagree with `--help`.

use crate::cli::{Cli, Shell};
use crate::error::Exit;
use clap::CommandFactory;
use std::io::Write;

/// Write the completion script of `shell` to `out`.
pub(crate) fn write_completions(shell: Shell, out: &mut impl Write) {
    use clap_complete::Shell as S;
    let shell = match shell {
        Shell::Bash => S::Bash,
        Shell::Zsh => S::Zsh,
        Shell::Fish => S::Fish,
        Shell::Powershell => S::PowerShell,
    };
    clap_complete::generate(shell, &mut Cli::command(), "chatload", out);
}

/// Write the man page (roff, section 1) of chatload and its subcommands to `out`.
pub(crate) fn write_man(out: &mut impl Write) -> std::io::Result<()> {
    let cmd = Cli::command();
    clap_mangen::Man::new(cmd.clone()).render(out)?;
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("chatload-{}", sub.get_name());
        let sub = sub.clone().display_name(name.clone()).bin_name(name);
        clap_mangen::Man::new(sub).render(out)?;
    }
    Ok(())
}

/// Print to stdout; a closed pipe (`| head`) is not an error.
pub(crate) fn print(
    render: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>,
) -> anyhow::Result<Exit> {
    let mut buf = Vec::new();
    render(&mut buf)?;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(&buf).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(Exit::Success),
    }
}
