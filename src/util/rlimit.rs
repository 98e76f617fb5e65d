//! The process's open-file limit (`ulimit -n`): read it, raise the soft limit.
//! Shared by the run's descriptor budget and the reference server's default
//! connection cap.

/// `(soft, hard)` limits on open files, None where they cannot be read.
#[cfg(unix)]
#[allow(clippy::unnecessary_cast)] // rlim_t is not u64 on every unix
pub(crate) fn nofile() -> Option<(u64, u64)> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    (rc == 0).then_some((lim.rlim_cur as u64, lim.rlim_max as u64))
}

/// Set the limits on open files; false when the system refused.
#[cfg(unix)]
pub(crate) fn set_nofile(soft: u64, hard: u64) -> bool {
    let lim = libc::rlimit {
        rlim_cur: soft as libc::rlim_t,
        rlim_max: hard as libc::rlim_t,
    };
    // SAFETY: setrlimit reads the struct we own.
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) == 0 }
}

/// `(soft, hard)` limits on open files, None where they cannot be read.
#[cfg(not(unix))]
pub fn nofile() -> Option<(u64, u64)> {
    None
}

/// Set the limits on open files; false when the system refused.
#[cfg(not(unix))]
pub fn set_nofile(_: u64, _: u64) -> bool {
    false
}
