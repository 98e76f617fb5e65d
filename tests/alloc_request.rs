//! Heap allocations per request of the client (issue 15), counted by a global
//! allocator: a real-time run of polling sessions against a reference server that
//! runs on its own thread (its allocations are not counted), sampled at two instants
//! mid-run; the allocations between them over the requests the server answered
//! between them is what one poll costs the client (its build, hyper-util and hyper's
//! send and receive, the decode, the metrics). A change that allocates more per
//! request fails here, not only in `scripts/bench_client.sh`.
//!
//! Its own test binary: the counting allocator is process-wide.

use chatload::server::{ReferenceServer, ServerConfig};
use chatload::{build_config, run_scenario, ScenarioFile};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Allocations (realloc included) and bytes asked for, by every thread but the server's.
static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// True on the server's thread: not counted.
    static SERVER: Cell<bool> = const { Cell::new(false) };
}

fn count(size: usize) {
    if !SERVER.try_with(Cell::get).unwrap_or(true) {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(size as u64, Relaxed);
    }
}

struct Counting;

// SAFETY: every call is forwarded to `System` unchanged; only counters are updated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Heap allocations one poll may cost the client: measured 23.4 in a debug build since
/// requests go on hyper-util's pool directly (48.4 through reqwest; 57.5 before its
/// retry layer stopped cloning every request and the poll body lost its pair list; see
/// the README's "Request-path cost").
const BOUND_ALLOCS_PER_REQUEST: f64 = 26.0;

/// A reference server on `127.0.0.1:0`, on its own thread and runtime (uncounted);
/// stops when the returned sender drops.
fn server_thread() -> (String, ReferenceServer, std::sync::mpsc::Sender<()>) {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        SERVER.with(|s| s.set(true));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = ReferenceServer::new(ServerConfig::default());
            ready_tx.send((addr, server.clone())).unwrap();
            let stop = async move {
                let _ = tokio::task::spawn_blocking(move || stop_rx.recv()).await;
            };
            server.serve(listener, stop).await.unwrap();
        });
    });
    let (addr, server) = ready_rx.recv().unwrap();
    (format!("http://{addr}"), server, stop_tx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_costs_the_client_few_allocations() {
    let (base, server, stop) = server_thread();
    let text = r#"
name = "alloc-request"
seed = 3
[load]
sessions = 20
ramp_up = "200ms"
duration = "5s"
[customer]
poll_interval = "50ms"
messages = 0
end = "wait-for-agent"
"#;
    let dir = tempfile::tempdir().unwrap();
    let file = ScenarioFile::parse("alloc.toml", text.to_string()).unwrap();
    let mut args = chatload::cli::RunArgs {
        out: Some(dir.path().join("out")),
        quiet: true,
        ..Default::default()
    };
    args.target.url = Some(base);
    let cfg = build_config(&args, Some(&file)).unwrap();
    let requests = || server.stats().requests.values().sum::<u64>();
    let sample = async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let a = (ALLOCS.load(Relaxed), BYTES.load(Relaxed), requests());
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let b = (ALLOCS.load(Relaxed), BYTES.load(Relaxed), requests());
        (a, b)
    };
    let (outcome, (a, b)) = tokio::join!(run_scenario(cfg, std::future::pending()), sample);
    let outcome = outcome.unwrap();
    drop(stop);
    // The run was real: the client's count is the server's, and the window saw polls.
    assert_eq!(outcome.summary.requests.total, requests());
    let polled = b.2 - a.2;
    assert!(polled >= 400, "requests in the window: {polled}");
    let allocs = (b.0 - a.0) as f64 / polled as f64;
    let bytes = (b.1 - a.1) as f64 / polled as f64;
    eprintln!("client allocations per request: {allocs:.1} ({bytes:.0} bytes asked for)");
    assert!(
        allocs <= BOUND_ALLOCS_PER_REQUEST,
        "a request costs the client {allocs:.1} allocations, over the bound {BOUND_ALLOCS_PER_REQUEST}"
    );
}
