//! Throughput of the hot paths, printed as one JSON object per workload (medians of runs):
//! encrypt+MAC and decrypt+verify of a 512 MiB stream, default scrypt, ShareKey creation.
//!
//! `cargo bench -p tgbox-core --bench crypto`; `BENCH_MIB` and `BENCH_RUNS` change the stream
//! size and the number of runs. `scripts/bench-vs-reference.sh` runs the same workloads through
//! the Python reference in the same run and prints the ratios.

use std::{
    io::{self, Read},
    time::Instant,
};
use tgbox_core::{
    Attributes, BaseKey, BoxSalt, MainKey, OsEntropy, ScryptParams, boxfile, sharing,
};

/// Serves `total` bytes by cycling a 2 MiB buffer: the plaintext stays hot in cache, as it does
/// when a file is read in small pieces.
struct Cycle<'a> {
    buf: &'a [u8],
    pos: usize,
    left: u64,
}

impl Read for Cycle<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = out
            .len()
            .min(self.buf.len() - self.pos)
            .min(self.left as usize);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos = (self.pos + n) % self.buf.len();
        self.left -= n as u64;
        Ok(n)
    }
}

/// Median wall time of `runs` calls of `f`, after one warm-up call.
fn timed(runs: usize, mut f: impl FnMut()) -> f64 {
    f();
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let mib = env("BENCH_MIB", 512);
    let runs = env("BENCH_RUNS", 5) as usize;
    let only = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    let want = |w: &str| only.as_deref().is_none_or(|o| o == w);
    let total = mib << 20;
    let pattern: Vec<u8> = (0..2u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mk = MainKey::from_bytes([7; 32]);
    let cattrs = Attributes::new();
    let file = boxfile::NewFile {
        dir: "/bench",
        name: "stream.bin",
        size: total,
        mime: "",
        preview: &[],
        duration: 0,
        cattrs: &cattrs,
    };
    let limits = boxfile::Limits {
        upload_limit: u64::MAX,
        ..Default::default()
    };
    let prepared = boxfile::prepare(
        &mk,
        &BoxSalt::from_bytes([1; 32]),
        &file,
        &limits,
        &mut OsEntropy,
    )
    .expect("prepare");

    let source = || Cycle {
        buf: &pattern,
        pos: 0,
        left: total,
    };
    if want("encmac") {
        let secs = timed(runs, || {
            prepared
                .encrypt_stream(source(), io::sink())
                .expect("encrypt");
        });
        println!(
            "{{\"workload\":\"encmac\",\"mib\":{mib},\"mb_per_s\":{:.0}}}",
            total as f64 / secs / 1e6
        );
    }

    if want("decmac") {
        let mut doc = Vec::with_capacity(prepared.total_len() as usize);
        prepared
            .encrypt_stream(source(), &mut doc)
            .expect("encrypt");
        let header = boxfile::BoxFileHeader::parse(&doc, boxfile::METADATA_MAX).expect("header");
        let body = &doc[header.payload_offset() as usize..];
        let opened = header
            .decrypt(boxfile::KeyRef::Main(&mk))
            .expect("metadata");
        // The reader's path: AES-CBC here, HMAC on a second thread (decrypt_stream).
        let secs = timed(runs, || {
            let v = opened
                .decrypt_stream(body, std::io::sink())
                .expect("decrypt");
            assert!(v.tag_checked && v.len == total);
        });
        println!(
            "{{\"workload\":\"decmac\",\"mib\":{mib},\"mb_per_s\":{:.0}}}",
            total as f64 / secs / 1e6
        );
    }

    if only.as_deref() == Some("parts") {
        // Components alone, to see which one bounds the pipelines on this CPU.
        use hmac::{KeyInit, Mac};
        let t = Instant::now();
        let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(&[1; 32]).expect("key");
        for _ in 0..total / pattern.len() as u64 {
            for piece in pattern.chunks(512 * 1024) {
                m.update(piece);
            }
        }
        std::hint::black_box(m.finalize());
        println!(
            "{{\"workload\":\"hmac_only\",\"mb_per_s\":{:.0}}}",
            total as f64 / t.elapsed().as_secs_f64() / 1e6
        );
        let mut buf = pattern.clone();
        let t = Instant::now();
        let mut e = tgbox_core::aes_cbc::CbcEncryptor::new(&[1; 32], &[0; 16]);
        for _ in 0..total / pattern.len() as u64 {
            for piece in buf.chunks_mut(512 * 1024) {
                e.encrypt_blocks_in_place(piece);
            }
        }
        println!(
            "{{\"workload\":\"aes_enc_only\",\"mb_per_s\":{:.0}}}",
            total as f64 / t.elapsed().as_secs_f64() / 1e6
        );
    }

    if want("scrypt") {
        let mut times = Vec::new();
        for _ in 0..runs.min(3) {
            let t = Instant::now();
            let key = BaseKey::derive(b"tgbox benchmark phrase", &ScryptParams::default())
                .expect("scrypt");
            times.push(t.elapsed().as_secs_f64());
            assert_eq!(
                key.expose_secret()[..4],
                [0xda, 0xf4, 0x6a, 0xe6],
                "the BaseKey of perf-baselines.md §0"
            );
        }
        println!(
            "{{\"workload\":\"scrypt\",\"seconds\":{:.3}}}",
            median(times)
        );
    }

    if want("sharekey") {
        let req = sharing::request_key(&[5; 32], b"bob salt").expect("request");
        let n = 3000;
        let mut rates = Vec::new();
        for r in 0..runs.max(3) {
            let t = Instant::now();
            for i in 0..n {
                let mut key = [9u8; 32];
                key[0] = (i + r) as u8;
                std::hint::black_box(sharing::share_key(&key, b"alice salt", &req).expect("share"));
            }
            rates.push(n as f64 / t.elapsed().as_secs_f64());
        }
        println!(
            "{{\"workload\":\"sharekey\",\"ops_per_s\":{:.0}}}",
            median(rates)
        );
    }
}
