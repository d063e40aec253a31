//! The random numbers of a draw, defined from the raw ChaCha20 keystream so that
//! any program can reproduce them (SPEC §13): no sampling helper of `rand`, whose
//! algorithms may change between versions, is used.
//!
//! - The generator is ChaCha20 (20 rounds) keyed with the 32-byte SHA-256 of the
//!   seed's UTF-8 bytes, nonce 0, block counter starting at 0: its output is the
//!   keystream that encrypting zero bytes with RFC 8439 ChaCha20 gives, read as
//!   little-endian 32-bit words `w₀, w₁, …`. `rand_chacha::ChaCha20Rng::from_seed`
//!   is exactly that generator (pinned by the RFC's zero-key test vector below).
//! - A 64-bit number is two consecutive words, `x = w_k + 2³²·w_{k+1}`.
//! - [`Sampler::below`]`(n)` is uniform on `0..n` by rejection: take `x`; when
//!   `x < 2⁶⁴ − (2⁶⁴ mod n)` the result is `x mod n`, else take the next `x`.
//!   One `x` is taken even when `n = 1`.
//! - [`Sampler::choose`]`(pool, k)` is a partial Fisher–Yates shuffle: for `i` in
//!   `0..k`, `j = i + below(len − i)`, swap `pool[i]` and `pool[j]`; the chosen are
//!   `pool[0..k]`, in that order.

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use sha2::{Digest, Sha256};

/// The SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Lower-case hexadecimal of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// The seeded generator of a draw, counting the 64-bit numbers it has given (the
/// count is written in the proof, so a re-implementation can check it used as many).
pub struct Sampler {
    rng: ChaCha20Rng,
    taken: u64,
}

impl Sampler {
    /// The generator keyed with `key` (the SHA-256 of the seed).
    pub fn new(key: [u8; 32]) -> Sampler {
        Sampler {
            rng: ChaCha20Rng::from_seed(key),
            taken: 0,
        }
    }

    /// The generator of a seed: keyed with the SHA-256 of its UTF-8 bytes.
    pub fn from_seed_text(seed: &str) -> Sampler {
        Sampler::new(sha256(seed.as_bytes()))
    }

    /// The next 64-bit number: two keystream words, the first the low half.
    pub fn next_u64(&mut self) -> u64 {
        self.taken += 1;
        self.rng.next_u64()
    }

    /// 64-bit numbers taken so far.
    pub fn taken(&self) -> u64 {
        self.taken
    }

    /// A uniform whole number in `0..n` by rejection (module docs). `n = 0` has
    /// no such number: 0 is returned and nothing is taken (a draw never asks).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // 2⁶⁴ mod n, computed in 64 bits: (2⁶⁴ − 1) mod n, plus one, mod n.
        let waste = (u64::MAX % n + 1) % n;
        loop {
            let x = self.next_u64();
            // Accept x < 2⁶⁴ − waste, i.e. x ≤ 2⁶⁴ − 1 − waste (no overflow: waste < n).
            if waste == 0 || x <= u64::MAX - waste {
                return x % n;
            }
        }
    }

    /// Chooses `k` of `pool` by a partial Fisher–Yates shuffle (module docs) and
    /// returns them in the order chosen; `k` larger than the pool takes the whole
    /// pool.
    pub fn choose<T: Clone>(&mut self, pool: &mut [T], k: usize) -> Vec<T> {
        let k = k.min(pool.len());
        for i in 0..k {
            let j = i + self.below((pool.len() - i) as u64) as usize;
            pool.swap(i, j);
        }
        pool[..k].to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_texts() {
        // FIPS 180-2 example "abc" and the empty string.
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn the_generator_is_the_rfc_chacha20_keystream() {
        // RFC 8439 (7539) appendix A.1, test vector #1: key of 32 zero bytes, nonce
        // 0, block counter 0; keystream bytes 76 b8 e0 ad a0 f1 3d 90 40 5d 6a e5 …
        // As little-endian words: 0xade0b876, 0x903df1a0, 0xe56a5d40; the first
        // 64-bit number is w0 + 2³²·w1 = 0x903df1a0_ade0b876.
        let mut s = Sampler::new([0; 32]);
        assert_eq!(s.next_u64(), 0x903d_f1a0_ade0_b876);
        // Bytes 8..16: 40 5d 6a e5 53 86 bd 28 → 0x28bd8653_e56a5d40.
        assert_eq!(s.next_u64(), 0x28bd_8653_e56a_5d40);
        assert_eq!(s.taken(), 2);
    }

    #[test]
    fn bounded_numbers_by_hand() {
        // With the zero key the first number is x = 0x903df1a0ade0b876
        // = 10393729187455219830. For n = 10: 2⁶⁴ mod 10 = 6, so x is accepted when
        // x < 18446744073709551610, which it is; x mod 10 = 0.
        let mut s = Sampler::new([0; 32]);
        assert_eq!(s.below(10), 0);
        // The second, 0x28bd8653e56a5d40 = 2935650227004792128; mod 7 = 2935650227004792128
        // − 7·419378603857827446 (= 2935650227004792122) = 6. 2⁶⁴ mod 7 = 2: accepted.
        assert_eq!(s.below(7), 6);
        // n = 1 takes a number and gives 0.
        assert_eq!(s.below(1), 0);
        assert_eq!(s.taken(), 3);
        // n = 0 takes nothing.
        assert_eq!(s.below(0), 0);
        assert_eq!(s.taken(), 3);
    }

    #[test]
    fn rejection_draws_again_above_the_last_whole_multiple() {
        // n = 2⁶³ + 1: 2⁶⁴ mod n = 2⁶³ − 1, so only x < 2⁶³ + 1 is accepted. The
        // zero key's first x (0x903d…, ≥ 2⁶³) is rejected; the second
        // (0x28bd…, < 2⁶³) is taken whole.
        let n = (1u64 << 63) + 1;
        let mut s = Sampler::new([0; 32]);
        assert_eq!(s.below(n), 0x28bd_8653_e56a_5d40);
        assert_eq!(s.taken(), 2);
    }

    #[test]
    fn partial_fisher_yates_by_hand() {
        // Pool [a, b, c, d, e, f, g, h], k = 2, zero key:
        // i = 0: j = 0 + below(8); x₁ = 10393729187455219830, mod 8 = 6 → swap a and g.
        // i = 1: j = 1 + below(7); x₂ = 2935650227004792128, mod 7 = 6 → j = 7, swap b and h.
        // Chosen: g, h; the pool is left [g, h, c, d, e, f, a, b].
        let mut s = Sampler::new([0; 32]);
        let mut pool: Vec<char> = "abcdefgh".chars().collect();
        assert_eq!(s.choose(&mut pool, 2), vec!['g', 'h']);
        assert_eq!(pool.iter().collect::<String>(), "ghcdefab");
        assert_eq!(s.taken(), 2);
        // k beyond the pool takes it all (one number per place, the last below(1)).
        let mut s = Sampler::new([0; 32]);
        let mut pool = vec![1, 2];
        let all = s.choose(&mut pool, 5);
        assert_eq!(all.len(), 2);
        assert_eq!(s.taken(), 2);
    }

    #[test]
    fn uniform_enough() {
        // 60,000 draws of below(6): each face within 5% of 10,000.
        let mut s = Sampler::from_seed_text("uniform");
        let mut counts = [0u32; 6];
        for _ in 0..60_000 {
            counts[s.below(6) as usize] += 1;
        }
        for c in counts {
            assert!((9_500..=10_500).contains(&c), "{counts:?}");
        }
    }
}
