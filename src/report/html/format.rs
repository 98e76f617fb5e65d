//! Number formatting for the page: counts with thousands separators,
//! milliseconds with a precision that suits their size, shares as percent.
//! Non-finite values (which a hand-edited summary.json may hold) print as "–".

use crate::util::trim_decimals;

/// `1234567` -> `1,234,567`.
pub(super) fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A number with 3 significant digits at most, no unit (`0.421`, `4.21`, `42.1`, `421`, `4,210`).
pub(super) fn num(v: f64) -> String {
    if !v.is_finite() {
        return "–".to_string();
    }
    let a = v.abs();
    if a == 0.0 {
        "0".to_string()
    } else if a < 1.0 {
        trim_decimals(v, 3)
    } else if a < 10.0 {
        trim_decimals(v, 2)
    } else if a < 100.0 {
        trim_decimals(v, 1)
    } else if a < 1_000_000_000.0 {
        let rounded = v.round();
        let s = count(rounded.abs() as u64);
        if rounded < 0.0 {
            format!("-{s}")
        } else {
            s
        }
    } else {
        format!("{v:.3e}")
    }
}

/// Milliseconds with unit: `4.21 ms`, `1.23 s` from 1,000 ms on.
pub(super) fn ms(v: f64) -> String {
    if !v.is_finite() {
        "–".to_string()
    } else if v.abs() >= 1000.0 {
        format!("{} s", num(v / 1000.0))
    } else {
        format!("{} ms", num(v))
    }
}

/// A fraction (0..1) as percent: `0.0123` -> `1.23 %`.
pub(super) fn pct(fraction: f64) -> String {
    if !fraction.is_finite() {
        return "–".to_string();
    }
    format!("{} %", num(fraction * 100.0))
}

/// Seconds as a duration: `59 s`, `10 min 5 s`, `1 h 0 min`.
pub(super) fn duration_s(s: f64) -> String {
    if !s.is_finite() || s < 0.0 {
        return "–".to_string();
    }
    let total = s.round() as u64;
    let (h, m, sec) = (total / 3600, total / 60 % 60, total % 60);
    if h > 0 {
        format!("{h} h {m} min")
    } else if m > 0 {
        format!("{m} min {sec} s")
    } else {
        format!("{} s", num(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers_for_reading() {
        assert_eq!(count(0), "0");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(num(0.4213), "0.421");
        assert_eq!(num(4.0), "4");
        assert_eq!(num(42.16), "42.2");
        assert_eq!(num(4210.4), "4,210");
        assert_eq!(num(f64::NAN), "–");
        assert_eq!(ms(1234.0), "1.23 s");
        assert_eq!(ms(12.5), "12.5 ms");
        assert_eq!(pct(0.0123), "1.23 %");
        assert_eq!(duration_s(605.0), "10 min 5 s");
        assert_eq!(duration_s(3600.0), "1 h 0 min");
    }
}
