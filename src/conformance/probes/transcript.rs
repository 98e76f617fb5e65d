//! Checks of one poll answer's transcript: indexes without holes or repeats,
//! `nextPosition` = last index + 1, and `transcriptPosition` inclusive.

use super::super::findings::Findings;
use super::super::transport::Answered;
use crate::protocol::Event;

/// Rule names.
pub(super) const NO_HOLES: &str = "transcript.no-holes";
/// Rule name.
pub(super) const NO_REPEATS: &str = "transcript.no-repeats";
/// Rule name.
pub(super) const NEXT_POSITION: &str = "transcript.next-position";
/// Rule name.
pub(super) const INCLUSIVE: &str = "transcript.position-inclusive";

/// The indexes of `events`, in answer order (events without one are left out).
pub(super) fn indexes(events: &[Event]) -> Vec<u64> {
    events.iter().filter_map(|e| e.index).collect()
}

/// What is wrong with the indexes of an answer to a poll from `from`:
/// (holes, repeats), each a list of one-line findings.
pub(super) fn index_problems(idx: &[u64], from: u64) -> (Vec<String>, Vec<String>) {
    let mut holes = Vec::new();
    let mut repeats = Vec::new();
    if from == 1 {
        if let Some(&first) = idx.first().filter(|&&i| i > 1) {
            holes.push(format!("the transcript starts at index {first}, not 1"));
        }
    }
    for w in idx.windows(2) {
        if w[1] <= w[0] {
            repeats.push(format!("index {} follows index {}", w[1], w[0]));
        } else if w[1] > w[0] + 1 {
            holes.push(format!(
                "index {} follows index {} ({} missing)",
                w[1],
                w[0],
                w[0] + 1
            ));
        }
    }
    (holes, repeats)
}

/// Check a statusCode 0 poll answer from position `from`; returns its indexes.
pub(super) fn check_poll(f: &mut Findings, a: &Answered, from: u64) -> Vec<u64> {
    let Some(env) = a.envelope.as_ref().filter(|e| e.status_code == 0) else {
        return Vec::new();
    };
    let idx = indexes(&env.messages);
    let (holes, repeats) = index_problems(&idx, from);
    let ev = [&a.exchange];
    match holes.first() {
        Some(h) => f.fail(NO_HOLES, h.clone(), &ev),
        None => f.pass(NO_HOLES),
    }
    match repeats.first() {
        Some(r) => f.fail(NO_REPEATS, r.clone(), &ev),
        None => f.pass(NO_REPEATS),
    }
    let expected = idx.iter().max().map_or(from, |m| m + 1);
    match env.next_position {
        Some(n) if n == expected => f.pass(NEXT_POSITION),
        Some(n) => f.fail(
            NEXT_POSITION,
            format!("nextPosition {n} after a poll from {from} whose last index is {}; expected {expected}", expected - 1),
            &ev,
        ),
        None => f.fail(NEXT_POSITION, "a statusCode 0 poll answer without nextPosition", &ev),
    }
    idx
}

/// Check a poll from `k` against the full transcript's indexes `full`.
pub(super) fn check_inclusive(f: &mut Findings, a: &Answered, k: u64, full: &[u64]) {
    let Some(env) = a.envelope.as_ref().filter(|e| e.status_code == 0) else {
        return;
    };
    let got = indexes(&env.messages);
    let want_first = full.iter().copied().find(|&i| i >= k);
    let below = got.iter().find(|&&i| i < k);
    let message = match (below, got.first()) {
        (Some(i), _) => Some(format!("a poll from {k} returned index {i}")),
        (None, first) if first.copied() != want_first => Some(format!(
            "a poll from {k} returned {} first; the transcript has {} there",
            first.map_or("nothing".into(), |i| format!("index {i}")),
            want_first.map_or("nothing".into(), |i| format!("index {i}")),
        )),
        _ => None,
    };
    match message {
        Some(m) => f.fail(INCLUSIVE, m, &[&a.exchange]),
        None => f.pass(INCLUSIVE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holes_and_repeats_are_told_apart() {
        assert_eq!(index_problems(&[1, 2, 3], 1), (vec![], vec![]));
        let (h, r) = index_problems(&[1, 3, 3, 4], 1);
        assert_eq!(h, ["index 3 follows index 1 (2 missing)"]);
        assert_eq!(r, ["index 3 follows index 3"]);
        let (h, _) = index_problems(&[2, 3], 1);
        assert_eq!(h, ["the transcript starts at index 2, not 1"]);
        assert_eq!(index_problems(&[4, 5], 4), (vec![], vec![]));
    }
}
