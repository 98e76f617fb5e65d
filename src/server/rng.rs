//! Stateless, seeded randomness: every random choice of the server is a pure
//! function of (seed, stream, counter), so a run is reproducible whatever the
//! interleaving of requests. Secure keys are the exception (OS randomness).

/// SplitMix64 finaliser: a well-mixed 64-bit value from any input.
pub(super) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform number in `[0, 1)` for `(seed, stream, n)`.
pub(super) fn unit(seed: u64, stream: u64, n: u64) -> f64 {
    let v = mix(mix(seed ^ mix(stream)) ^ n);
    (v >> 11) as f64 / (1u64 << 53) as f64
}

/// A small RNG seeded from `(seed, stream, n)`, for one draw of a distribution.
pub(super) fn rng_for(seed: u64, stream: u64, n: u64) -> rand::rngs::SmallRng {
    use rand::SeedableRng;
    rand::rngs::SmallRng::seed_from_u64(mix(mix(seed ^ mix(stream)) ^ n))
}

/// A random hex string of `len` characters from the OS-seeded thread RNG.
pub(super) fn secret_hex(len: usize) -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| char::from_digit(rng.gen_range(0..16), 16).unwrap_or('0'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_is_deterministic_and_in_range() {
        assert_eq!(unit(1, 2, 3), unit(1, 2, 3));
        assert_ne!(unit(1, 2, 3), unit(1, 2, 4));
        let mean: f64 = (0..10_000).map(|n| unit(7, 0, n)).sum::<f64>() / 10_000.0;
        assert!((0.45..0.55).contains(&mean), "mean {mean}");
        assert!((0..1000).all(|n| (0.0..1.0).contains(&unit(9, 1, n))));
    }

    #[test]
    fn secret_hex_has_the_length_and_alphabet() {
        let k = secret_hex(16);
        assert_eq!(k.len(), 16);
        assert!(k.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(secret_hex(16), k);
    }
}
