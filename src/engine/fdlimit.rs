//! The file-descriptor budget of a run, checked before it starts: every
//! connection of the pool, the embedded server's side of each, the report
//! files and a fixed reserve. A soft limit below the need is raised to the hard
//! limit when that suffices; otherwise the run stops with one message naming
//! the limit and the fix (exit 2), instead of counting the local shortage as
//! `connect` errors of the target. Descriptors that still run out mid-run are
//! the transport kind `local_limit` (see `client::classify`).

use crate::error::UsageError;

/// Descriptors beyond the connections: stdio, the runtime, report files, listener.
pub(crate) const RESERVE: u64 = 64;

/// Descriptors a run needs: `max_connections` client sockets, as many server-side
/// sockets when the reference server runs embedded, and [`RESERVE`].
pub(crate) fn needed(max_connections: usize, embedded: bool) -> u64 {
    let conns = max_connections as u64;
    conns + if embedded { conns } else { 0 } + RESERVE
}

/// What to do about limits `(soft, hard)` for a need of `need` descriptors.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// The soft limit suffices.
    Enough,
    /// Raise the soft limit to this (the hard limit).
    Raise(u64),
    /// Not even the hard limit suffices.
    TooLow,
}

/// Decide from the limits (pure, for tests).
pub(crate) fn decide(need: u64, soft: u64, hard: u64) -> Decision {
    if soft >= need {
        Decision::Enough
    } else if hard >= need {
        Decision::Raise(hard)
    } else {
        Decision::TooLow
    }
}

/// Make sure the run has `need` descriptors (raising the soft limit if possible).
/// `max_connections` and `embedded` only word the message.
pub(crate) fn ensure(max_connections: usize, embedded: bool) -> Result<(), UsageError> {
    let need = needed(max_connections, embedded);
    let Some((soft, hard)) = crate::util::rlimit::nofile() else {
        return Ok(());
    };
    match decide(need, soft, hard) {
        Decision::Enough => Ok(()),
        Decision::Raise(to) if crate::util::rlimit::set_nofile(to, hard) => Ok(()),
        _ => {
            let server = if embedded {
                format!(" plus {max_connections} for the embedded server")
            } else {
                String::new()
            };
            Err(UsageError::new(format!(
                "open-file limit: the run needs about {need} file descriptors ({max_connections} connections{server}, {RESERVE} reserved) but `ulimit -n` is {soft} (hard limit {hard}); raise it (`ulimit -n {need}`, or LimitNOFILE= for a service) or lower max_connections / --max-connections"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_is_raised_only_when_the_hard_one_suffices() {
        assert_eq!(needed(1000, true), 2064);
        assert_eq!(needed(1000, false), 1064);
        assert_eq!(decide(1064, 1024, 4096), Decision::Raise(4096));
        assert_eq!(decide(1064, 2048, 4096), Decision::Enough);
        assert_eq!(decide(5000, 1024, 4096), Decision::TooLow);
    }
}
