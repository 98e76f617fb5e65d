//! Reaching real deployments, end to end on 127.0.0.1:0: HTTPS with a private
//! CA, TLS failures as their own kind, `--insecure`, `tls.server_name`, mutual
//! TLS, HTTP/2, a CONNECT proxy, a cookie-sticky balancer over two reference
//! servers, a customers file, and every bad input. Certificates are made at
//! run time; the reference servers' counters are the ground truth.

#[path = "reach/net.rs"]
mod net;
#[path = "reach/pki.rs"]
mod pki;

#[path = "reach/bad_input.rs"]
mod bad_input;
#[path = "reach/conformance.rs"]
mod conformance;
#[path = "reach/flows.rs"]
mod flows;
