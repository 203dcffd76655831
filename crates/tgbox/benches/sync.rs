//! Deep sync of a box of `BENCH_FILES` files (default 10,000) on `local:`: the first one
//! (a new device: every file's metadata range is read), one with nothing to do (the listing
//! only), a clone on another device, and a sync after that user edited 100 files. Prints time and channel requests.

use std::sync::Arc;
use std::time::Instant;

use tgbox::channel::{Channel, LocalChannel, Upload};
use tgbox::{BOX_TITLE_PREFIX, Edit, MakeBox, NoProgress, SessionInfo, TgBox};
use tgbox_core::boxfile::{self, Limits, NewFile};
use tgbox_core::keys::{DEFAULT_SCRYPT_SALT, ScryptParams};
use tgbox_core::{Attributes, BaseKey, OsEntropy};

fn main() {
    let files: usize = std::env::var("BENCH_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let tmp = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    rt.block_on(async {
        let params = ScryptParams::new(DEFAULT_SCRYPT_SALT.to_vec(), 16384, 8, 1, 32).unwrap();
        let basekey = BaseKey::derive(b"sync bench", &params).unwrap();
        let local = LocalChannel::create(tmp.path().join("chan"), &format!("{BOX_TITLE_PREFIX}sync"), "", false).await.unwrap();
        let channel: Arc<dyn Channel> = Arc::new(local);
        let db = tmp.path().join("alice.db");
        let opts = MakeBox { localbox: &db, basekey: &basekey, box_salt: None, photo: None, session: SessionInfo::offline().unwrap() };
        let alice = TgBox::make(channel.clone(), opts).await.unwrap();
        // Fill the channel directly with small box files (uploading through the library would
        // time the uploads, not the sync).
        let t = Instant::now();
        let none = Attributes::default();
        for i in 0..files {
            let plain = vec![(i % 251) as u8; 1000];
            let name = format!("f{i}.txt");
            let dir = format!("/sync/{}", i % 100);
            let nf = NewFile { dir: &dir, name: &name, size: 1000, mime: "", preview: &[], duration: 0, cattrs: &none };
            let p = boxfile::prepare(alice.mainkey(), alice.box_salt(), &nf, &Limits::default(), &mut OsEntropy).unwrap();
            let mut doc = Vec::new();
            p.encrypt_stream(&plain[..], &mut doc).unwrap();
            channel.post_document(Upload::from_bytes(p.file_salt().to_b64(), "application/octet-stream", doc), "").await.unwrap();
        }
        eprintln!("filled the channel with {files} box files in {:.1} s", t.elapsed().as_secs_f64());

        let t = Instant::now();
        let report = alice.sync_deep(&NoProgress).await.unwrap();
        let first = t.elapsed().as_secs_f64();
        assert_eq!(report.added.len(), files);
        println!("{{\"workload\":\"deep_sync_first\",\"files\":{files},\"seconds\":{first:.2},\"requests\":{}}}", report.requests);

        let t = Instant::now();
        let report = alice.sync_deep(&NoProgress).await.unwrap();
        let idle = t.elapsed().as_secs_f64();
        assert!(report.added.is_empty() && report.updated.is_empty());
        println!("{{\"workload\":\"deep_sync_unchanged\",\"files\":{files},\"seconds\":{idle:.3},\"requests\":{}}}", report.requests);

        let bob_db = tmp.path().join("bob.db");
        let t = Instant::now();
        let bob = TgBox::clone_from(channel.clone(), &bob_db, &basekey, SessionInfo::offline().unwrap(), &NoProgress).await.unwrap();
        let cloned = t.elapsed().as_secs_f64();
        println!("{{\"workload\":\"clone\",\"files\":{files},\"seconds\":{cloned:.2}}}");
        for id in (1..=files as i64).step_by((files / 100).max(1)).take(100) {
            bob.edit(id, &[Edit::SetAttr("seen".into(), b"bob".to_vec())]).await.unwrap();
        }
        let t = Instant::now();
        let report = alice.sync_deep(&NoProgress).await.unwrap();
        let edited = t.elapsed().as_secs_f64();
        assert_eq!(report.updated.len(), 100.min(files));
        println!("{{\"workload\":\"deep_sync_after_100_edits\",\"files\":{files},\"seconds\":{edited:.3},\"requests\":{}}}", report.requests);
    });
}
