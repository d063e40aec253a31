//! Number rules shared by several stages: products "computed in decimal",
//! half-away-from-zero rounding on the exact binary value, and the shortest
//! round-trip formatting of machine outputs.

/// `share × n` as a person would compute it in decimal: `0.29 × 100` is 29, not
/// the binary `28.999999999999996`. The binary product is snapped to the nearest
/// whole number when it lies within a relative 1e-9 of it; shares in plans have few
/// decimals, so a genuine fraction is never that close to a whole number.
pub fn decimal_product(share: f64, n: u64) -> f64 {
    let x = share * n as f64;
    let r = x.round();
    if (x - r).abs() <= 1e-9 * r.abs().max(1.0) { r } else { x }
}

/// The smallest whole count `k` with `k ≥ share × n` in decimal arithmetic.
pub fn ceil_share(share: f64, n: u64) -> u64 {
    decimal_product(share, n).ceil() as u64
}

/// `floor(share × n)` in decimal arithmetic (the places of a grade quota).
pub fn floor_share(share: f64, n: u64) -> u64 {
    decimal_product(share, n).floor() as u64
}

/// Rounds `x ≥ 0` to `decimals` places, half away from zero (四舍五入), judged on
/// the exact binary value of `x`, and returns the result as a whole number of
/// `10^-decimals` steps: `90.125` (exact in binary) gives 9013 at 2 decimals, but
/// `90.115` (stored as 90.11499999999999488…) gives 9011.
///
/// Rust prints the exact decimal expansion of a double when asked for enough
/// digits, so the digit after the last kept one decides without any binary error.
pub fn round_steps(x: f64, decimals: u32) -> i64 {
    // Every f64 ≥ 2^-1074 has at most 1074 digits after the point; scores are at
    // most a few hundred, so 1100 digits is exact for every input we can get.
    let s = format!("{:.1100}", x.abs());
    let Some(dot) = s.find('.') else { return 0 };
    let keep = dot + 1 + decimals as usize;
    let mut digits: i64 = 0;
    for c in s[..keep].bytes().filter(u8::is_ascii_digit) {
        digits = digits.saturating_mul(10).saturating_add(i64::from(c - b'0'));
    }
    if s.as_bytes().get(keep).is_some_and(|&c| c >= b'5') {
        digits = digits.saturating_add(1);
    }
    if x < 0.0 { -digits } else { digits }
}

/// The value of `steps` at `decimals` places, as the nearest double (90.13 for
/// 9013 at 2 decimals). Compares correctly with a threshold written with at most
/// `decimals` decimals, since both are the double nearest the same decimal.
pub fn steps_value(steps: i64, decimals: u32) -> f64 {
    steps as f64 / 10f64.powi(decimals as i32)
}

/// `steps` formatted with exactly `decimals` decimals (9013 → `90.13`).
pub fn steps_text(steps: i64, decimals: u32) -> String {
    let neg = steps < 0;
    let a = steps.unsigned_abs();
    let p = 10u64.pow(decimals);
    let body = if decimals == 0 {
        format!("{a}")
    } else {
        format!("{}.{:0width$}", a / p, a % p, width = decimals as usize)
    };
    if neg { format!("-{body}") } else { body }
}

/// The shortest decimal that reads back as the same f64 (Rust's `{}`), or empty
/// for `None`: the machine-format rule of SPEC §10.
pub fn full(x: Option<f64>) -> String {
    x.map_or_else(String::new, |v| format!("{v}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_products() {
        // 0.29 × 100 = 28.999999999999996 in binary; in decimal it is 29.
        assert_eq!(0.29 * 100.0, 28.999999999999996);
        assert_eq!(floor_share(0.29, 100), 29);
        // 0.15 × 257 = 38.55 → 38 places.
        assert_eq!(floor_share(0.15, 257), 38);
        // 0.28 × 25 = 7.000000000000001 in binary; in decimal 7 answers are enough.
        assert_eq!(0.28 * 25.0, 7.000000000000001);
        assert_eq!(ceil_share(0.28, 25), 7);
        assert_eq!(ceil_share(0.7, 10), 7);
        // 0.5 × 19 = 9.5 → at least 10 answered items.
        assert_eq!(ceil_share(0.5, 19), 10);
        assert_eq!(ceil_share(0.0, 19), 0);
    }

    #[test]
    fn half_away_on_the_exact_binary_value() {
        // 90.125 is exact in binary: a true half, rounded away from zero.
        assert_eq!(round_steps(90.125, 2), 9013);
        // 90.115 is stored as 90.114999999999994884…: below the half.
        assert_eq!(round_steps(90.115, 2), 9011);
        // 89.996 → 90.00.
        assert_eq!(round_steps(89.996, 2), 9000);
        // 0.5 → 1 at 0 decimals; 2.5 → 3 (not banker's 2).
        assert_eq!(round_steps(2.5, 0), 3);
        assert_eq!(round_steps(0.0, 2), 0);
        assert_eq!(round_steps(100.0, 2), 10000);
        assert_eq!(steps_text(9013, 2), "90.13");
        assert_eq!(steps_text(5, 2), "0.05");
        assert_eq!(steps_text(7, 0), "7");
        assert_eq!(steps_value(9000, 2), 90.0);
        assert_eq!(steps_value(6010, 2), 60.1);
    }

    #[test]
    fn full_precision_text() {
        assert_eq!(full(Some(79.0)), "79");
        assert_eq!(full(Some(0.1 + 0.2)), "0.30000000000000004");
        assert_eq!(full(None), "");
    }
}
