//! Error kinds that decide the exit code, and the exit codes themselves.
//!
//! Any error whose chain contains a [`UsageError`] exits with 2; run outcomes
//! are reported as an [`Exit`] value, not as errors.

use std::process::ExitCode;

/// A bad flag, scenario file or input file. The message names the field,
/// the rule and the fix. Exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

impl UsageError {
    /// Build from anything displayable.
    pub fn new(msg: impl Into<String>) -> Self {
        UsageError(msg.into())
    }
}

/// How a command ended, mapped to the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: success, every gate passed.
    Success,
    /// 1: a gate (threshold or regression) failed.
    GateFailed,
    /// 2: usage, scenario or input error.
    Usage,
    /// 3: the run could not be trusted or was interrupted.
    Untrusted,
}

impl Exit {
    /// The numeric code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::GateFailed => 1,
            Exit::Usage => 2,
            Exit::Untrusted => 3,
        }
    }

    /// The worse of two outcomes (Usage > Untrusted > GateFailed > Success).
    pub fn worst(self, other: Exit) -> Exit {
        fn rank(e: Exit) -> u8 {
            match e {
                Exit::Success => 0,
                Exit::GateFailed => 1,
                Exit::Untrusted => 2,
                Exit::Usage => 3,
            }
        }
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }

    /// Exit code for an error that ended a command: 2 for usage errors, 3 otherwise.
    pub fn for_error(err: &anyhow::Error) -> Exit {
        if err.chain().any(|e| e.is::<UsageError>()) {
            Exit::Usage
        } else {
            Exit::Untrusted
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_errors_map_to_two_even_with_context() {
        let err = anyhow::Error::new(UsageError::new("bad")).context("reading scenario");
        assert_eq!(Exit::for_error(&err), Exit::Usage);
        assert_eq!(Exit::for_error(&anyhow::anyhow!("io")), Exit::Untrusted);
    }

    #[test]
    fn worst_orders_outcomes() {
        assert_eq!(Exit::Success.worst(Exit::GateFailed), Exit::GateFailed);
        assert_eq!(Exit::Untrusted.worst(Exit::GateFailed), Exit::Untrusted);
        assert_eq!(Exit::Usage.worst(Exit::Untrusted), Exit::Usage);
    }
}
