//! Counters are ground truth: concurrent sessions over real sockets, with
//! seeded faults of several kinds, and the client's own tally of every answer
//! must equal the server's buckets exactly.

use crate::common::spawn_server;
use chatload::server::{FaultRule, ServerConfig};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

type Tally = Arc<Mutex<BTreeMap<(String, u16, Option<u8>, Option<bool>), u64>>>;

async fn post(
    client: &reqwest::Client,
    url: String,
    body: String,
    route: &str,
    tally: &Tally,
) -> Option<Value> {
    let resp = client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await;
    let (key, value) = match resp {
        Err(_) => ((route.to_string(), 0, None, None), None),
        Ok(resp) => {
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap_or_default();
            match serde_json::from_str::<Value>(&text) {
                Ok(v) => {
                    let code = v["statusCode"].as_u64().map(|c| c as u8);
                    (
                        (route.to_string(), status, code, v["chatEnded"].as_bool()),
                        Some(v),
                    )
                }
                Err(_) => ((route.to_string(), status, None, None), None),
            }
        }
    };
    *tally.lock().unwrap().entry(key).or_default() += 1;
    value
}

async fn session(base: String, n: usize, tally: Tally) {
    // A fresh client per session: a dropped connection must not disturb the others.
    let client = reqwest::Client::new();
    let svc = format!("{base}/genesys/2/chat/exact");
    let mut chat = None;
    while chat.is_none() {
        chat = post(
            &client,
            format!("{svc}/"),
            format!("nickname=s{n}"),
            "gms-v2/request_chat",
            &tally,
        )
        .await
        .filter(|v| v["statusCode"] == 0);
    }
    let chat = chat.unwrap_or_default();
    let id = chat["chatId"].as_str().unwrap_or_default().to_string();
    let (user, key) = (
        chat["userId"].as_str().unwrap_or_default(),
        chat["secureKey"].as_str().unwrap_or_default(),
    );
    let mut alias = chat["alias"].as_str().unwrap_or_default().to_string();
    for i in 0..24 {
        let ident = format!("userId={user}&secureKey={key}&alias={alias}");
        let (op, route, extra) = if i % 4 == 3 {
            ("send", "gms-v2/send", "&message=hi")
        } else {
            ("refresh", "gms-v2/poll", "")
        };
        let answer = post(
            &client,
            format!("{svc}/{id}/{op}"),
            format!("{ident}{extra}"),
            route,
            &tally,
        )
        .await;
        if let Some(v) = answer.filter(|v| v["statusCode"] == 0) {
            if let Some(a) = v["alias"].as_str() {
                alias = a.to_string();
            }
        }
    }
    let ident = format!("userId={user}&secureKey={key}&alias={alias}");
    post(
        &client,
        format!("{svc}/{id}/disconnect"),
        ident,
        "gms-v2/disconnect",
        &tally,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_tally_equals_server_counters_under_faults() {
    let faults = [
        "status1:poll:rate=0.1",
        "status1_chat_ended:poll:every=17",
        "http_5xx:send:every=7",
        "drop:poll:every=13",
        "delay:any:rate=0.05:delay=1ms..5ms",
        "alias_rotation:poll:every=5",
        "transcript_hole:send:every=3",
        "status1:request_chat:every=9",
    ];
    let config = ServerConfig {
        faults: faults
            .iter()
            .map(|f| f.parse::<FaultRule>().expect("fault spec"))
            .collect(),
        seed: 42,
        ..ServerConfig::default()
    };
    config.validate().expect("valid");
    let ts = spawn_server(config).await;
    let tally: Tally = Arc::default();
    let sessions: Vec<_> = (0..24)
        .map(|n| tokio::spawn(session(ts.base_url(), n, tally.clone())))
        .collect();
    for s in sessions {
        s.await.expect("session");
    }
    let stats = ts.server.stats();
    let server_side: BTreeMap<_, _> = stats
        .responses
        .iter()
        .map(|r| {
            (
                (r.route.clone(), r.http_status, r.status_code, r.chat_ended),
                r.count,
            )
        })
        .collect();
    let client_side = tally.lock().unwrap().clone();
    assert_eq!(client_side, server_side);
    let count = |kind: &str| stats.faults.get(kind).copied().unwrap_or(0);
    let bucket = |route: &str, http: u16, code: Option<u8>, ended: Option<bool>| {
        client_side
            .get(&(route.to_string(), http, code, ended))
            .copied()
            .unwrap_or(0)
    };
    assert_eq!(count("drop"), bucket("gms-v2/poll", 0, None, None));
    assert_eq!(count("http_5xx"), bucket("gms-v2/send", 502, None, None));
    assert_eq!(
        count("status1_chat_ended"),
        bucket("gms-v2/poll", 200, Some(1), Some(true))
    );
    assert!(count("alias_rotation") > 0 && count("transcript_hole") > 0 && count("delay") > 0);
    let total: u64 = client_side.values().sum();
    assert_eq!(stats.requests.values().sum::<u64>(), total);
    assert_eq!(stats.chats.created, 24);
    assert_eq!(stats.chats.ended_by_client + stats.chats.live, 24);
    ts.shutdown().await;
}
