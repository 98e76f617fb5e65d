//! The agent pool is an M/M/c queue, so its waits obey Erlang C. Chats arrive
//! as a Poisson stream (seeded), each agent ends its chat after an exponential
//! time (`agent.end_after`, joining at once), and N agents × M chats make
//! c = N·M slots. Over a long paused-time run the pool's own counters (the
//! ground truth) must give the probability of waiting and the ASA of the
//! formulas, computed here.
//!
//! Tolerance: the estimators are noisy and their samples correlated (one long
//! queue), so the test does not guess a σ: it runs an ideal FIFO M/M/c of the
//! same length 20 times (a few lines of arithmetic below, no server) and takes
//! the spread of its estimates. A correct server is then within 4 σ of the
//! formula (a normal tail of 6e-5). Here 4 σ is about 7.5 % of P(wait) and
//! 23 % of the ASA: a slot too many or too few (c = 3 or 5 instead of 4)
//! moves P(wait) by more than 40 % and fails.

use crate::helpers::*;
use chatload::server::{DelaySpec, PoolCounts, ServerConfig};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::Exp1;
use std::time::Duration;
use tokio::time::{sleep, sleep_until, Instant};

/// Mean chat length (the agent's handle time).
const MEAN_LEN_S: f64 = 60.0;

/// Erlang C: the probability that an arrival waits, with `c` servers and `a`
/// Erlangs offered (a < c), through the Erlang B recursion.
fn erlang_c(c: u32, a: f64) -> f64 {
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (f64::from(k) + a * b);
    }
    let c = f64::from(c);
    c * b / (c - a * (1.0 - b))
}

/// Average speed of answer of M/M/c in seconds: P(wait) / (cμ − λ).
fn asa_formula(c: u32, a: f64) -> f64 {
    erlang_c(c, a) * MEAN_LEN_S / (f64::from(c) - a)
}

/// (probability of waiting, ASA in seconds).
type Estimate = (f64, f64);

/// `n` chats offered at `a` Erlangs to a pool of `agents` × `per_agent`,
/// through the server's router with a paused clock; the pool's counters.
async fn through_server(agents: u32, per_agent: u32, a: f64, n: usize, seed: u64) -> PoolCounts {
    let mut config = ServerConfig {
        // Far beyond any wait plus chat length (the chat length is cut at 20 means):
        // no customer needs to poll, and no chat expires.
        flex_disconnect_timeout: Duration::from_secs(6 * 3600),
        agents: Some(agents),
        chats_per_agent: Some(per_agent),
        seed,
        ..ServerConfig::default()
    };
    config.agent.join_after = Duration::ZERO;
    config.agent.end_after = Some(DelaySpec::Exponential {
        mean: Duration::from_secs_f64(MEAN_LEN_S),
    });
    let (server, r) = server(config);
    let mut rng = SmallRng::seed_from_u64(seed);
    let mean_gap = MEAN_LEN_S / a;
    let (t0, mut at) = (Instant::now(), 0.0);
    for _ in 0..n {
        let gap: f64 = rng.sample(Exp1);
        at += gap * mean_gap;
        // The clock is paused: it jumps from timer to timer, and the sweeper
        // ends the chats (and hands their slots on) at their instants.
        sleep_until(t0 + Duration::from_secs_f64(at)).await;
        gms_chat(&r).await;
    }
    // Let the queue drain, so every chat's wait is counted.
    sleep(Duration::from_secs(3 * 3600)).await;
    let stats = server.stats();
    let p = stats.pool.expect("pool counters");
    assert_eq!(stats.chats.created, n as u64);
    assert_eq!(
        (p.joined, p.waiting, p.left_queue),
        (n as u64, 0, 0),
        "{p:?}"
    );
    assert_eq!(stats.chats.ended_by_agent, n as u64);
    p
}

/// The same queue with nothing but arithmetic: each arrival takes the slot
/// that frees first (FIFO, work-conserving).
fn ideal_mmc(c: u32, a: f64, n: usize, seed: u64) -> Estimate {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut free_at = vec![0.0_f64; c as usize];
    let (mut t, mut waited, mut wait_sum) = (0.0, 0u64, 0.0);
    for _ in 0..n {
        t += rng.sample::<f64, _>(Exp1) * MEAN_LEN_S / a;
        let (i, f) = free_at
            .iter()
            .copied()
            .enumerate()
            .min_by(|x, y| x.1.total_cmp(&y.1))
            .expect("c > 0");
        let start = t.max(f);
        if start > t {
            waited += 1;
        }
        wait_sum += start - t;
        free_at[i] = start + rng.sample::<f64, _>(Exp1) * MEAN_LEN_S;
    }
    (waited as f64 / n as f64, wait_sum / n as f64)
}

/// The standard deviation of each estimator over 20 ideal runs of `n` chats.
fn reference_sigma(c: u32, a: f64, n: usize) -> Estimate {
    let runs: Vec<Estimate> = (0..20).map(|s| ideal_mmc(c, a, n, 1000 + s)).collect();
    let sd = |f: fn(&Estimate) -> f64| {
        let m = runs.iter().map(f).sum::<f64>() / runs.len() as f64;
        let var = runs.iter().map(|r| (f(r) - m).powi(2)).sum::<f64>() / (runs.len() - 1) as f64;
        var.sqrt()
    };
    (sd(|r| r.0), sd(|r| r.1))
}

#[test]
fn the_formulas_match_known_values() {
    // Textbook values: 2 servers at 1 Erlang wait with probability 1/3; 10
    // servers at 8 Erlangs with 0.409.
    assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
    assert!((erlang_c(10, 8.0) - 0.4092).abs() < 1e-4);
    assert!(
        (asa_formula(1, 0.5) - 60.0).abs() < 1e-9,
        "M/M/1: ρ/(μ − λ)"
    );
}

#[tokio::test(start_paused = true)]
async fn waits_match_erlang_c() {
    // 2 agents × 2 chats at 2.4 Erlangs (occupancy 60 %), 40,000 chats.
    let (agents, per_agent, a, n) = (2, 2, 2.4, 40_000);
    let c = agents * per_agent;
    let p = through_server(agents, per_agent, a, n, 17).await;
    let (pw, asa) = (p.wait_probability(), p.asa_secs());
    let (pw_formula, asa_f) = (erlang_c(c, a), asa_formula(c, a));
    let (pw_sd, asa_sd) = reference_sigma(c, a, n);
    eprintln!(
        "Erlang C, c = {c}, A = {a}: P(wait) {pw:.4} vs {pw_formula:.4} (σ {pw_sd:.4}), ASA {asa:.2} s vs {asa_f:.2} s (σ {asa_sd:.2}); max queue {}",
        p.max_queue_len
    );
    assert!(
        pw_sd < 0.05 * pw_formula && asa_sd < 0.1 * asa_f,
        "the run is long enough to tell"
    );
    assert!(
        (pw - pw_formula).abs() < 4.0 * pw_sd,
        "P(wait) {pw} vs {pw_formula}"
    );
    assert!((asa - asa_f).abs() < 4.0 * asa_sd, "ASA {asa} vs {asa_f}");
}

#[tokio::test(start_paused = true)]
async fn fewer_agents_make_customers_wait_more() {
    // The same traffic (1.5 Erlangs) to 3, 2 and 1 agents of 2 chats each.
    let mut last: Option<Estimate> = None;
    for agents in [3, 2, 1] {
        let p = through_server(agents, 2, 1.5, 8_000, 5).await;
        let now = (p.wait_probability(), p.asa_secs());
        eprintln!(
            "{agents} agents x 2: P(wait) {:.3} (Erlang C {:.3}), ASA {:.1} s ({:.1} s)",
            now.0,
            erlang_c(agents * 2, 1.5),
            now.1,
            asa_formula(agents * 2, 1.5)
        );
        if let Some(before) = last {
            assert!(
                now.0 > before.0 && now.1 > before.1,
                "{now:?} after {before:?}"
            );
        }
        last = Some(now);
    }
}
