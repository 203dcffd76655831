//! Search and directory listing over a large LocalBox (issue targets: a filtered search over
//! 100,000 files ≤ 50 ms, listing a directory of 10,000 files ≤ 20 ms).
//!
//! Builds a LocalBox of `BENCH_FILES` files (default 100,000; `BENCH_DIR_FILES` = 10,000 of
//! them in `/bench/big`, the rest spread over 500 directories) under `target/bench-browse/`,
//! then prints JSON lines: the first search (which decrypts every row into the index and
//! saves it), the first search of a new process (the saved index), the same after another
//! program changed FILES, the warm search and the listing, medians of `BENCH_RUNS` (default 30). The LocalBox is kept so
//! that `bench/reference_search.py` can time the same search through the reference.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use tgbox::channel::{Channel, MemoryChannel};
use tgbox::localbox::{LocalBox, NewBoxData, NewFileRow, seal_box_data};
use tgbox::{SearchFilter, SessionInfo, TgBox};
use tgbox_core::boxfile::{self, Limits, NewFile};
use tgbox_core::keys::{DEFAULT_SCRYPT_SALT, ScryptParams};
use tgbox_core::{Attributes, BaseKey, BoxSalt, MainKey, OsEntropy};

const PHRASE: &str = "bench phrase";

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// The filter both implementations run: name, size and scope.
pub fn filter() -> SearchFilter {
    let mut f = SearchFilter::default();
    f.include.file_name = vec![".txt".into()];
    f.include.min_size = Some(50_000);
    f.include.scope = vec!["/bench".into()];
    f
}

fn main() {
    let files = env("BENCH_FILES", 100_000);
    let dir_files = env("BENCH_DIR_FILES", 10_000).min(files);
    let runs = env("BENCH_RUNS", 30);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-browse");
        std::fs::create_dir_all(&root).unwrap();
        let db = root.join("box.db");
        let _ = std::fs::remove_file(&db);
        let channel = MemoryChannel::create("TGBOX[01]: bench", "", false).unwrap();
        let params = ScryptParams::new(DEFAULT_SCRYPT_SALT.to_vec(), 16384, 8, 1, 32).unwrap();
        let basekey = BaseKey::derive(PHRASE.as_bytes(), &params).unwrap();
        let box_salt = BoxSalt::generate(&mut OsEntropy).unwrap();
        let mainkey = MainKey::derive(&basekey, &box_salt);
        let session = SessionInfo::offline().unwrap();
        let header = channel.header().await.unwrap();
        let new = NewBoxData {
            channel_id: header.id,
            created: 0,
            box_salt: &box_salt,
            session: &session.session,
            api_id: 1,
            api_hash: [0; 16],
            foreign_mainkey: None,
        };
        let lb = LocalBox::create(&db, &seal_box_data(&basekey, &mainkey, &new).unwrap())
            .unwrap()
            .finish()
            .unwrap();
        let t = Instant::now();
        let cattrs = Attributes::default();
        for start in (0..files).step_by(5000) {
            let end = (start + 5000).min(files);
            let mut prepared = Vec::new();
            for i in start..end {
                let dir = if i < dir_files {
                    "/bench/big".to_owned()
                } else {
                    format!("/bench/d{}", i % 500)
                };
                let name = format!("file-{i}.{}", if i % 3 == 0 { "txt" } else { "bin" });
                let size = (i as u64 * 7919) % 100_000;
                let nf = NewFile {
                    dir: &dir,
                    name: &name,
                    size,
                    mime: "",
                    preview: &[],
                    duration: 0,
                    cattrs: &cattrs,
                };
                let p =
                    boxfile::prepare(&mainkey, &box_salt, &nf, &Limits::default(), &mut OsEntropy)
                        .unwrap();
                prepared.push((i, dir, name, p));
            }
            let rows: Vec<NewFileRow<'_>> = prepared
                .iter()
                .map(|(i, dir, name, p)| NewFileRow {
                    id: *i as i64 + 1,
                    upload_time: 1_700_000_000 + *i as i64,
                    metadata: p.header(),
                    dir,
                    name,
                    filekey: p.filekey(),
                    foreign_key: false,
                    updated_metadata: None,
                    check_fingerprint: false,
                })
                .collect();
            lb.record_files(&mainkey, &rows).unwrap();
        }
        drop(lb);
        eprintln!(
            "built a LocalBox of {files} files in {:.1} s at {}",
            t.elapsed().as_secs_f64(),
            db.display()
        );
        let channel: Arc<dyn Channel> = Arc::new(channel);
        let tgbox = TgBox::open(channel.clone(), &db, &basekey).await.unwrap();
        let f = filter();
        let t = Instant::now();
        let hits = tgbox.search(&f).await.unwrap().len();
        let cold = t.elapsed().as_secs_f64() * 1e3;
        let mut warm = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            assert_eq!(tgbox.search(&f).await.unwrap().len(), hits);
            warm.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let mut list = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let l = tgbox.list_dir(Some("/bench/big")).await.unwrap();
            assert_eq!(l.files.len(), dir_files);
            list.push(t.elapsed().as_secs_f64() * 1e3);
        }
        drop(tgbox);
        // A new process on the same LocalBox: the saved index, FILES unchanged.
        let t = Instant::now();
        let tgbox = TgBox::open(channel.clone(), &db, &basekey).await.unwrap();
        assert_eq!(tgbox.search(&f).await.unwrap().len(), hits);
        let reopened = t.elapsed().as_secs_f64() * 1e3;
        drop(tgbox);
        // FILES changed since (one row deleted by another program): every row is read and
        // compared with the saved digests, the changed ones decrypted, the index saved again.
        rusqlite_delete_one(&db);
        let t = Instant::now();
        let tgbox = TgBox::open(channel, &db, &basekey).await.unwrap();
        tgbox.search(&f).await.unwrap();
        let changed = t.elapsed().as_secs_f64() * 1e3;
        println!(
            "{{\"workload\":\"search_new_process\",\"files\":{files},\"hits\":{hits},\"ms\":{reopened:.1}}}"
        );
        println!(
            "{{\"workload\":\"search_new_process_after_a_change\",\"files\":{files},\"ms\":{changed:.1}}}"
        );
        println!(
            "{{\"workload\":\"search_first\",\"files\":{files},\"hits\":{hits},\"ms\":{cold:.1}}}"
        );
        println!(
            "{{\"workload\":\"search\",\"files\":{files},\"hits\":{hits},\"ms\":{:.2}}}",
            median(warm)
        );
        println!(
            "{{\"workload\":\"list_dir\",\"files\":{dir_files},\"ms\":{:.2}}}",
            median(list)
        );
    });
}

/// Deletes one row the way another program would: straight SQL.
fn rusqlite_delete_one(db: &std::path::Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute("DELETE FROM FILES WHERE ID = 2", []).unwrap();
}
