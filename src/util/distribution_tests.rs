//! Unit tests of [`DurationDist`]: the TOML and flag forms, their messages, and
//! the moments of the samples.

use super::*;
use rand::rngs::SmallRng;
use rand::SeedableRng;

#[derive(Debug, Deserialize)]
struct Holder {
    d: DurationDist,
}

fn toml(text: &str) -> Result<DurationDist, String> {
    toml::from_str::<Holder>(&format!("d = {text}"))
        .map(|h| h.d)
        .map_err(|e| e.to_string())
}

fn s(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

/// Mean and standard deviation (seconds) of `n` seeded samples.
fn moments(d: DurationDist, n: usize) -> (f64, f64) {
    let mut rng = SmallRng::seed_from_u64(42);
    let xs: Vec<f64> = (0..n).map(|_| d.sample(&mut rng).as_secs_f64()).collect();
    let mean = xs.iter().sum::<f64>() / n as f64;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    (mean, var.sqrt())
}

#[test]
fn every_toml_form_reads() {
    assert_eq!(toml("\"6m\"").unwrap(), DurationDist::Fixed(s(360)));
    assert_eq!(
        toml("{ distribution = \"lognormal\", mean = \"6m\", sd = \"3m\" }").unwrap(),
        DurationDist::LogNormal {
            mean: s(360),
            sd: s(180)
        }
    );
    assert_eq!(
        toml("{ distribution = \"exponential\", mean = \"5m\" }").unwrap(),
        DurationDist::Exponential { mean: s(300) }
    );
    assert_eq!(
        toml("{ distribution = \"uniform\", min = \"1m\", max = \"9m\" }").unwrap(),
        DurationDist::Uniform {
            min: s(60),
            max: s(540)
        }
    );
    assert_eq!(
        toml("{ distribution = \"fixed\", value = \"6m\" }").unwrap(),
        DurationDist::Fixed(s(360))
    );
    // The older delay forms.
    assert_eq!(
        toml("{ mean = \"1s\" }").unwrap(),
        DurationDist::Exponential { mean: s(1) }
    );
    assert_eq!(
        toml("{ min = \"1s\", max = \"2s\" }").unwrap(),
        DurationDist::Uniform {
            min: s(1),
            max: s(2)
        }
    );
}

#[test]
fn every_flag_form_reads_and_round_trips() {
    for (text, want) in [
        ("6m", DurationDist::Fixed(s(360))),
        (
            "1m..9m",
            DurationDist::Uniform {
                min: s(60),
                max: s(540),
            },
        ),
        ("exp:5m", DurationDist::Exponential { mean: s(300) }),
        (
            "lognormal:6m:3m",
            DurationDist::LogNormal {
                mean: s(360),
                sd: s(180),
            },
        ),
    ] {
        let got: DurationDist = text.parse().unwrap();
        assert_eq!(got, want, "{text}");
        // Serialised and read back: the same distribution.
        let again: Holder = toml::from_str(&toml::to_string(&Holder2 { d: got }).unwrap()).unwrap();
        assert_eq!(again.d, want, "{text}");
    }
}

#[derive(Serialize)]
struct Holder2 {
    d: DurationDist,
}

#[test]
fn bad_tables_name_the_key_the_rule_and_the_fix() {
    for (text, needles) in [
        (
            "{ distribution = \"gauss\", mean = \"1s\" }",
            &["unknown distribution 'gauss'", "lognormal"][..],
        ),
        (
            "{ distribution = \"lognormal\", mean = \"6m\" }",
            &["needs `mean` and `sd`", "sd = \"3m\""][..],
        ),
        (
            "{ distribution = \"exponential\", mean = \"6m\", sd = \"1m\" }",
            &[
                "`sd` does not apply to distribution \"exponential\"",
                "remove it",
            ][..],
        ),
        (
            "{ mean = \"6m\", sd = \"1m\" }",
            &["needs distribution = \"lognormal\""][..],
        ),
        (
            "{ distribution = \"lognormal\", mean = \"0s\", sd = \"1m\" }",
            &["mean above 0"][..],
        ),
        (
            "{ distribution = \"uniform\", min = \"9m\", max = \"1m\" }",
            &["min (9m) is larger than max (1m); swap them"][..],
        ),
        (
            "{ distribution = \"lognormal\", mean = \"soon\", sd = \"1m\" }",
            &["`mean`", "'soon' is not a duration"][..],
        ),
        (
            "{ value = \"1s\" }",
            &["needs `distribution`", "fixed {value}"][..],
        ),
    ] {
        let e = toml(text).unwrap_err();
        for n in needles {
            assert!(e.contains(n), "{text}: expected '{n}' in: {e}");
        }
    }
    let e = "lognormal:6m".parse::<DurationDist>().unwrap_err();
    assert!(e.contains("lognormal:MEAN:SD"), "{e}");
    let e = DurationDist::Uniform {
        min: s(2),
        max: s(1),
    }
    .validate("customer.patience")
    .unwrap_err()
    .0;
    assert_eq!(
        e,
        "customer.patience: min (2s) is larger than max (1s); swap them"
    );
}

#[test]
fn lognormal_samples_have_the_given_mean_and_sd() {
    // 40,000 samples: the standard error of the mean is 180 s / 200 = 0.9 s, so
    // ±4 s is more than 4 σ; the sample sd of a lognormal with cv 0.5 (kurtosis
    // 8.0) has a relative standard error of √(7.0 / 4n) ≈ 0.7 % here, so ±3 % is 4 σ.
    let d = DurationDist::LogNormal {
        mean: s(360),
        sd: s(180),
    };
    let (mean, sd) = moments(d, 40_000);
    assert!((mean - 360.0).abs() < 4.0, "mean {mean}");
    assert!((sd / 180.0 - 1.0).abs() < 0.03, "sd {sd}");
    assert_eq!(d.mean(), s(360));
}

#[test]
fn exponential_and_uniform_samples_stay_in_their_bounds() {
    let e = DurationDist::Exponential { mean: s(10) };
    let (mean, sd) = moments(e, 40_000);
    // Standard error 10 s / 200 = 0.05 s.
    assert!((mean - 10.0).abs() < 0.2, "mean {mean}");
    assert!((sd - 10.0).abs() < 0.4, "sd {sd}");
    let mut rng = SmallRng::seed_from_u64(1);
    assert!((0..10_000).all(|_| e.sample(&mut rng) <= s(200)));
    let u = DurationDist::Uniform {
        min: s(1),
        max: s(3),
    };
    let xs: Vec<Duration> = (0..10_000).map(|_| u.sample(&mut rng)).collect();
    assert!(xs.iter().all(|x| (s(1)..=s(3)).contains(x)));
    assert!(xs.iter().any(|x| *x < Duration::from_millis(1100)));
    assert!(xs.iter().any(|x| *x > Duration::from_millis(2900)));
    assert_eq!(DurationDist::Fixed(s(4)).sample(&mut rng), s(4));
}

#[test]
fn samples_are_reproducible_for_a_seed() {
    let d = DurationDist::LogNormal {
        mean: s(360),
        sd: s(180),
    };
    let run = |seed| {
        let mut rng = SmallRng::seed_from_u64(seed);
        (0..5).map(|_| d.sample(&mut rng)).collect::<Vec<_>>()
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
}
