//! `--shard I/N`, `CHATLOAD_SHARD` and `JOB_COMPLETION_INDEX` + `--shard-count` -> a
//! [`Shard`]; and the scenario hash every shard of one run shares.

use super::RunConfig;
use crate::cli::RunArgs;
use crate::engine::shard::Shard;
use crate::error::UsageError;

/// The shard this process runs: `--shard`, else `CHATLOAD_SHARD`, else
/// `JOB_COMPLETION_INDEX` when `--shard-count` is given; None = the whole plan.
pub(super) fn shard_of(
    args: &RunArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Shard>, UsageError> {
    if let Some(s) = &args.shard {
        if args.shard_count.is_some() {
            return Err(UsageError::new(
                "--shard-count: goes with JOB_COMPLETION_INDEX, not with --shard; drop one of them",
            ));
        }
        return Shard::parse(s, "--shard").map(Some);
    }
    if let Some(n) = args.shard_count {
        let index = env("JOB_COMPLETION_INDEX").ok_or_else(|| {
            UsageError::new(
                "--shard-count: needs JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job); outside one, use --shard I/N",
            )
        })?;
        return Shard::from_completion_index(&index, n).map(Some);
    }
    match env("CHATLOAD_SHARD").filter(|s| !s.trim().is_empty()) {
        Some(s) => Shard::parse(&s, "CHATLOAD_SHARD").map(Some),
        None => Ok(None),
    }
}

/// FNV-1a of what shards of one run must share: the plan before the split, the
/// customer script, target, dialect, timeouts, thresholds and embedded server.
/// Not the seed (a clock seed differs per process), output or shard.
pub(super) fn scenario_hash(cfg: &RunConfig) -> String {
    let canon = format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
        cfg.name,
        cfg.dialect,
        cfg.target,
        cfg.service,
        cfg.tenant,
        cfg.webapi_prefix,
        cfg.flex,
        cfg.request_timeout,
        cfg.plan,
        cfg.script,
        cfg.retry,
        cfg.thresholds,
        cfg.server,
        cfg.headers.names(),
    );
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in canon.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn flag_wins_then_env_then_completion_index() {
        let mut args = RunArgs {
            shard: Some("2/3".into()),
            ..Default::default()
        };
        let env = env_of(&[("CHATLOAD_SHARD", "1/3"), ("JOB_COMPLETION_INDEX", "2")]);
        assert_eq!(shard_of(&args, &env).unwrap().unwrap().to_string(), "2/3");
        args.shard = None;
        assert_eq!(shard_of(&args, &env).unwrap().unwrap().to_string(), "1/3");
        args.shard_count = Some(3);
        assert_eq!(shard_of(&args, &env).unwrap().unwrap().to_string(), "3/3");
        args.shard_count = None;
        assert_eq!(shard_of(&args, &env_of(&[])).unwrap(), None);
    }

    #[test]
    fn bad_shards_name_their_source() {
        let args = RunArgs {
            shard_count: Some(3),
            ..Default::default()
        };
        let e = shard_of(&args, &env_of(&[])).unwrap_err().to_string();
        assert!(e.contains("needs JOB_COMPLETION_INDEX"), "{e}");
        let e = shard_of(&RunArgs::default(), &env_of(&[("CHATLOAD_SHARD", "0/2")]))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("CHATLOAD_SHARD: '0/2'"), "{e}");
        let both = RunArgs {
            shard: Some("1/3".into()),
            shard_count: Some(3),
            ..Default::default()
        };
        assert!(shard_of(&both, &env_of(&[])).is_err());
    }
}
