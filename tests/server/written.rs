//! An answer counts as answered only once written, on real sockets at
//! 127.0.0.1:0: a client that resets its connection before the answer leaves
//! is counted under `unwritten`, never in `responses`.

use crate::common::spawn_server;
use crate::helpers::no_agent;
use chatload::protocol::Operation;
use chatload::server::{DelaySpec, FaultKind, FaultRule, OperationSelector, ServerConfig, Stats};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const REQUEST_CHAT: &[u8] = b"POST /genesys/2/chat/svc HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 11\r\n\r\nnickname=A\n";
const ROUTE: &str = "gms-v2/request_chat";

/// The server's counters once `done` holds (checked every 5 ms, at most 10 s).
async fn stats_when(
    server: &chatload::server::ReferenceServer,
    done: impl Fn(&Stats) -> bool,
) -> Stats {
    for _ in 0..2000 {
        let s = server.stats();
        if done(&s) {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("never reached: {:?}", server.stats());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_to_a_client_gone_before_it_is_written_is_unwritten() {
    let delay = FaultRule {
        kind: FaultKind::Delay,
        operation: OperationSelector::Only(Operation::RequestChat),
        every: Some(1),
        rate: None,
        delay: Some(DelaySpec::Fixed(Duration::from_millis(500))),
    };
    let ts = spawn_server(ServerConfig {
        faults: vec![delay],
        ..no_agent()
    })
    .await;
    // Gone: the request arrives, then the client resets before the answer is ready.
    let gone = TcpStream::connect(ts.addr).await.unwrap();
    let mut gone = gone;
    gone.write_all(REQUEST_CHAT).await.unwrap();
    stats_when(&ts.server, |s| s.requests.get(ROUTE) == Some(&1)).await;
    gone.set_zero_linger().unwrap();
    drop(gone);
    // Patient: reads its answer.
    let mut patient = TcpStream::connect(ts.addr).await.unwrap();
    patient.write_all(REQUEST_CHAT).await.unwrap();
    let mut head = [0u8; 12];
    patient.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    let s = stats_when(&ts.server, |s| s.unwritten.get(ROUTE) == Some(&1)).await;
    assert_eq!(s.requests.get(ROUTE), Some(&2), "{s:?}");
    assert_eq!(s.responses_matching(ROUTE, None, None, None), 1, "{s:?}");
    assert_eq!(s.responses_matching(ROUTE, Some(200), None, None), 1);
}
