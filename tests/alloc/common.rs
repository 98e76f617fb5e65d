//! What the heap-byte tests (`alloc_session.rs`, `alloc_end.rs`) share: a counting global
//! allocator (live bytes and the most since a reset) and a run's config against the
//! embedded reference server over one connection. Included by `#[path]`: each test binary
//! installs the allocator for its own process.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};

/// Live heap bytes of the process.
pub static LIVE: AtomicIsize = AtomicIsize::new(0);
/// The most live heap bytes since the last [`reset_peak`].
pub static PEAK: AtomicIsize = AtomicIsize::new(0);

fn count(delta: isize) {
    let now = LIVE.fetch_add(delta, Relaxed) + delta;
    PEAK.fetch_max(now, Relaxed);
}

/// Start a new peak from the live bytes now; returns them.
pub fn reset_peak() -> isize {
    let now = LIVE.load(Relaxed);
    PEAK.store(now, Relaxed);
    now
}

/// Forwards every call to `System`, counting the bytes.
pub struct Counting;

// SAFETY: every call is forwarded to `System` unchanged; only counters are updated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        p
    }
}

/// The config of a run of `sessions` customers who only poll, every `poll`, started over
/// `ramp_up`, for `duration`, against the embedded server over one connection (so runs of
/// different sizes hold the same connections); its reports go to the returned directory.
pub fn polling_run(
    sessions: u64,
    (ramp_up, duration, poll): (&str, &str, &str),
) -> (chatload::RunConfig, tempfile::TempDir) {
    let text = format!(
        r#"
name = "alloc"
seed = 3
max_connections = 1
[load]
sessions = {sessions}
ramp_up = "{ramp_up}"
duration = "{duration}"
[customer]
poll_interval = "{poll}"
messages = 0
end = "wait-for-agent"
"#
    );
    let dir = tempfile::tempdir().unwrap();
    let file = chatload::ScenarioFile::parse("alloc.toml", text).unwrap();
    let args = chatload::cli::RunArgs {
        out: Some(dir.path().join("out")),
        quiet: true,
        ..Default::default()
    };
    (chatload::build_config(&args, Some(&file)).unwrap(), dir)
}
