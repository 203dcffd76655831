//! The server side of Telegram's two-step verification (https://core.telegram.org/api/srp):
//! the verifier `v = g^x mod p` of a password, `B = k·v + g^b mod p` for each
//! `account.getPassword`, and the check of the client's `M1` in `auth.checkPassword`.

use hmac::Hmac;
use num_bigint::BigUint;
use sha2::{Digest, Sha256, Sha512};

/// Telegram's 2048-bit safe prime (the one its servers send), with g = 3.
const P_HEX: &str = "c71caeb9c6b1c9048e6c522f70f13f73980d40238e3e21c14934d037563d930f48198a0aa7c14058229493d22530f4dbfa336f6e0ac925139543aed44cce7c3720fd51f69458705ac68cd4fe6b6b13abdc9746512969328454f18faf8c595f642477fe96bb2a941d5bcd1d4ac8cc49880708fa9b378e3c4f3a9060bee67cf9a4a4a695811051907e162753b56b0f6b410dba74d8a84b2a14b3144e0ef1284754fd17ed950d5965b4b9dd46582db1178d169c6bc465b0d6ff9ca3928fef5b9ae4e418fc15e83ebea0f87fa9ff5eed70050ded2849f47bf959d956850ce929851f0d8115f635b105ee2e4e15d04b2454bf6f4fadf034b10403119cd8e3b92fcc5b";
/// The generator.
pub const G: i32 = 3;

fn h(parts: &[&[u8]]) -> [u8; 32] {
    let mut d = Sha256::new();
    for p in parts {
        d.update(p);
    }
    d.finalize().into()
}

fn pad(n: &BigUint) -> [u8; 256] {
    let b = n.to_bytes_be();
    let mut out = [0u8; 256];
    out[256 - b.len()..].copy_from_slice(&b);
    out
}

/// The prime's bytes.
pub fn p_bytes() -> Vec<u8> {
    (0..P_HEX.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&P_HEX[i..i + 2], 16).expect("hex"))
        .collect()
}

fn p() -> BigUint {
    BigUint::from_bytes_be(&p_bytes())
}

/// PH2(password, salt1, salt2) of the API documentation.
fn x(password: &[u8], salt1: &[u8], salt2: &[u8]) -> BigUint {
    let sh = |data: &[u8], salt: &[u8]| h(&[salt, data, salt]);
    let ph1 = sh(&sh(password, salt1), salt2);
    let mut dk = [0u8; 64];
    pbkdf2::pbkdf2::<Hmac<Sha512>>(&ph1, salt1, 100_000, &mut dk).expect("any output length");
    BigUint::from_bytes_be(&sh(&dk, salt2))
}

/// What the server keeps of a password.
#[derive(Clone)]
pub struct Verifier {
    /// salt1 of the KDF algorithm.
    pub salt1: Vec<u8>,
    /// salt2 of the KDF algorithm.
    pub salt2: Vec<u8>,
    v: BigUint,
}

impl Verifier {
    /// The verifier of `password`.
    pub fn new(password: &[u8], salt1: Vec<u8>, salt2: Vec<u8>) -> Self {
        let v = BigUint::from(G as u32).modpow(&x(password, &salt1, &salt2), &p());
        Verifier { salt1, salt2, v }
    }

    fn k() -> BigUint {
        let mut g = [0u8; 256];
        g[255] = G as u8;
        BigUint::from_bytes_be(&h(&[&p_bytes(), &g]))
    }

    /// `B = (k·v + g^b) mod p` for the secret `b`.
    pub fn g_b(&self, b: &[u8]) -> Vec<u8> {
        let p = p();
        let gb = BigUint::from(G as u32).modpow(&BigUint::from_bytes_be(b), &p);
        pad(&((Self::k() * &self.v + gb) % &p)).to_vec()
    }

    /// Whether `m1` proves the password for this `b`, the client's `g_a` and our `g_b`.
    pub fn check(&self, b: &[u8], g_a: &[u8], g_b: &[u8], m1: &[u8]) -> bool {
        let p = p();
        let a = BigUint::from_bytes_be(g_a);
        if a == BigUint::ZERO || a >= p {
            return false;
        }
        let g_a = pad(&a);
        let u = BigUint::from_bytes_be(&h(&[&g_a, g_b]));
        // S = (A · v^u)^b mod p
        let s = (a * self.v.modpow(&u, &p) % &p).modpow(&BigUint::from_bytes_be(b), &p);
        let k_a = h(&[&pad(&s)]);
        let mut g = [0u8; 256];
        g[255] = G as u8;
        let hp = h(&[&p_bytes()]);
        let hg = h(&[&g]);
        let xor: Vec<u8> = hp.iter().zip(hg).map(|(x, y)| x ^ y).collect();
        let want = h(&[
            &xor,
            &h(&[&self.salt1]),
            &h(&[&self.salt2]),
            &g_a,
            g_b,
            &k_a,
        ]);
        want[..] == m1[..]
    }
}
