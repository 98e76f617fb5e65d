//! Conformance tests of the reference Chat Server (docs/protocol.md), both
//! dialects. Most go through `router().oneshot` (no socket); the `socket`
//! module uses a real listener on 127.0.0.1:0 for drop and shutdown.

mod common;

#[path = "server/helpers.rs"]
mod helpers;

#[path = "server/agent.rs"]
mod agent;
#[path = "server/cli.rs"]
mod cli;
#[path = "server/erlang.rs"]
mod erlang;
#[path = "server/exact.rs"]
mod exact;
#[path = "server/expiry.rs"]
mod expiry;
#[path = "server/faults.rs"]
mod faults;
#[path = "server/gms.rs"]
mod gms;
#[path = "server/limits.rs"]
mod limits;
#[path = "server/malformed.rs"]
mod malformed;
#[path = "server/pool.rs"]
mod pool;
#[path = "server/socket.rs"]
mod socket;
#[path = "server/webapi.rs"]
mod webapi;
#[path = "server/written.rs"]
mod written;
