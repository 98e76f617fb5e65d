//! Replays the checked-in fuzz corpus (`fuzz/corpus/<target>/*`) through the
//! same entry points the cargo-fuzz targets call (`chatload::fuzz_entry`), on
//! stable: CI exercises every target without nightly. Each input must return.

use std::path::Path;

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let inputs: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(!inputs.is_empty(), "{target}: empty corpus");
    inputs
}

#[test]
fn every_fuzz_target_replays_its_corpus() {
    use chatload::fuzz_entry as f;
    for input in corpus("classify") {
        f::classify(&input);
    }
    for input in corpus("scenario") {
        f::scenario(&input);
    }
    for input in corpus("threshold") {
        f::threshold(&input);
    }
    for input in corpus("summary") {
        f::summary(&input);
    }
}

#[tokio::test]
async fn the_router_target_replays_its_corpus() {
    for input in corpus("router") {
        chatload::fuzz_entry::router(&input).await;
    }
}

#[test]
fn every_fuzz_target_has_a_corpus_and_an_entry() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/Cargo.toml"))
            .unwrap();
    for target in ["classify", "scenario", "threshold", "summary", "router"] {
        assert!(
            manifest.contains(&format!("name = \"{target}\"")),
            "{target}"
        );
        assert!(!corpus(target).is_empty());
    }
}
