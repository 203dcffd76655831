//! Upload and download through `local:` behind the fault wrapper, against parallelism.
//!
//! Every request pays `BENCH_LATENCY_MS` (default 50) and each one moves at most
//! `BENCH_CAP_MBS` MB/s (default 25): a connection's worth of Telegram. With N requests in
//! flight the throughput should approach N times one connection's. The file is `BENCH_MIB`
//! MiB (default 1024). Prints JSON lines, one per direction and parallelism (1, 4, 8).
//!
//! The far end is `memory:` (Telegram's own storage costs are inside its latency);
//! `BENCH_CHANNEL=local` puts `local:` there instead, adding its disk syncs per part.
//!
//! `cargo bench -p tgbox --bench transfer -- rss` instead uploads a `BENCH_RSS_MIB` MiB file
//! (default 3072) with no faults and prints the process's peak resident memory, to show the
//! pipeline's memory does not grow with the file.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tgbox::channel::{Channel, FaultConfig, FaultyChannel, LocalChannel, MemoryChannel};
use tgbox::{BOX_TITLE_PREFIX, MakeBox, NoProgress, SessionInfo, TgBox, UploadFile};
use tgbox_core::keys::{DEFAULT_SCRYPT_SALT, ScryptParams};
use tgbox_core::{Attributes, BaseKey};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn basekey() -> BaseKey {
    let params = ScryptParams::new(DEFAULT_SCRYPT_SALT.to_vec(), 16384, 8, 1, 32).unwrap();
    BaseKey::derive(b"transfer bench", &params).unwrap()
}

/// Writes `mib` MiB of cheap pseudo-random bytes.
fn source(path: &Path, mib: u64) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut block = vec![0u8; 1 << 20];
    for _ in 0..mib {
        for chunk in block.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
        }
        f.write_all(&block).unwrap();
    }
    f.flush().unwrap();
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(-1.0, |kb| kb / 1024.0)
}

async fn new_box(root: &Path, channel: Arc<dyn Channel>) -> TgBox {
    let db = root.join("box.db");
    TgBox::make(
        channel,
        MakeBox {
            localbox: &db,
            basekey: &basekey(),
            box_salt: None,
            photo: None,
            session: SessionInfo::offline().unwrap(),
        },
    )
    .await
    .unwrap()
}

fn main() {
    let rss_mode = std::env::args().skip(1).any(|a| a == "rss");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let tmp = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    rt.block_on(async {
        let none = Attributes::default();
        if rss_mode {
            let mib = env("BENCH_RSS_MIB", 3072);
            let src = tmp.path().join("src.bin");
            source(&src, mib);
            let before = peak_rss_mib();
            let channel: Arc<dyn Channel> =
                Arc::new(LocalChannel::create(tmp.path().join("chan"), &format!("{BOX_TITLE_PREFIX}rss"), "", true).await.unwrap());
            let tgbox = new_box(tmp.path(), channel).await;
            tgbox.set_parallel(8);
            let t = Instant::now();
            let file = UploadFile { source: &src, dir: "/bench", name: None, mime: "", cattrs: &none };
            tgbox.upload(file, Arc::new(NoProgress)).await.unwrap();
            let secs = t.elapsed().as_secs_f64();
            println!(
                "{{\"workload\":\"upload_rss\",\"mib\":{mib},\"peak_rss_mib\":{:.1},\"rss_before_mib\":{before:.1},\"mb_per_s\":{:.0}}}",
                peak_rss_mib(),
                (mib << 20) as f64 / secs / 1e6
            );
            return;
        }
        let mib = env("BENCH_MIB", 1024);
        let latency = Duration::from_millis(env("BENCH_LATENCY_MS", 50));
        let cap = env("BENCH_CAP_MBS", 25) * 1_000_000;
        // The far end: memory (default) stands for Telegram, whose storage costs are inside its
        // latency; `BENCH_CHANNEL=local` adds the local channel's disk syncs (one or more per
        // part), which bound uploads on a slow disk.
        let on_disk = std::env::var("BENCH_CHANNEL").is_ok_and(|v| v == "local");
        let src = tmp.path().join("src.bin");
        source(&src, mib);
        for parallel in [1usize, 4, 8] {
            let root = tmp.path().join(format!("p{parallel}"));
            std::fs::create_dir_all(&root).unwrap();
            let config = FaultConfig { latency, bandwidth: Some(cap), ..FaultConfig::none(parallel as u64) };
            let title = format!("{BOX_TITLE_PREFIX}bench");
            let channel: Arc<dyn Channel> = if on_disk {
                let inner = LocalChannel::create(root.join("chan"), &title, "", false).await.unwrap();
                Arc::new(FaultyChannel::new(inner, config))
            } else {
                Arc::new(FaultyChannel::new(MemoryChannel::create(&title, "", false).unwrap(), config))
            };
            let tgbox = new_box(&root, channel).await;
            tgbox.set_parallel(parallel);
            let t = Instant::now();
            let file = UploadFile { source: &src, dir: "/bench", name: None, mime: "", cattrs: &none };
            let f = tgbox.upload(file, Arc::new(NoProgress)).await.unwrap();
            let up = (mib << 20) as f64 / t.elapsed().as_secs_f64() / 1e6;
            let out = root.join("out.bin");
            let t = Instant::now();
            tgbox.download(f.id, &out, Arc::new(NoProgress)).await.unwrap();
            let down = (mib << 20) as f64 / t.elapsed().as_secs_f64() / 1e6;
            let far = if on_disk { "local" } else { "memory" };
            // One request moves 512 KiB (upload) or 1 MiB (download) at the cap after the latency.
            let per_conn = |bytes: f64| bytes / (latency.as_secs_f64() + bytes / cap as f64) / 1e6;
            println!(
                "{{\"workload\":\"upload\",\"mib\":{mib},\"parallel\":{parallel},\"channel\":\"{far}\",\"mb_per_s\":{up:.1},\"one_connection_mb_per_s\":{:.1}}}",
                per_conn(524_288.0)
            );
            println!(
                "{{\"workload\":\"download\",\"mib\":{mib},\"parallel\":{parallel},\"channel\":\"{far}\",\"mb_per_s\":{down:.1},\"one_connection_mb_per_s\":{:.1}}}",
                per_conn(1_048_576.0)
            );
            std::fs::remove_dir_all(&root).unwrap();
        }
    });
}
