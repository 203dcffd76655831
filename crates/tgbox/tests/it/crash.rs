//! `local:` under crashes and concurrent writers (spec/local-channel.md §6).
//!
//! The tests re-run this test binary as a child process (the ignored `child` test) that works
//! on a channel directory and is either killed with SIGKILL at a random moment or aborted at a
//! named crash point (`TGBOX_CRASH_POINT`). Afterwards the channel must be consistent: every
//! visible message has its whole document, counters are above every id in use, the feed parses,
//! clean-up removes what the crash left, and the next post works.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::sync::Arc;
use std::time::Duration;

use tgbox::channel::conformance::{all_events, all_messages, block_on, pattern, read_all};
use tgbox::channel::{
    CRASH_POINT_VAR, Channel, EventAction, EventFilter, FaultConfig, FaultyChannel, LocalChannel,
    Message, Upload,
};
use tgbox::localbox::LocalBox;
use tgbox::{BOX_TITLE_PREFIX, NoProgress, TgBox, UploadFile};
use tgbox_core::{Attributes, BaseKey};

fn basekey() -> BaseKey {
    crate::common::cheap_basekey("crash phrase")
}

const DIR_VAR: &str = "TGBOX_CRASH_TEST_DIR";
const MODE_VAR: &str = "TGBOX_CRASH_TEST_MODE";

fn upload(seed: u64, len: usize) -> Upload {
    Upload::from_bytes(
        format!("doc-{seed}"),
        "application/octet-stream",
        pattern(seed, len),
    )
}

fn seed_of(m: &Message) -> u64 {
    m.document
        .as_ref()
        .unwrap()
        .name
        .trim_start_matches("doc-")
        .parse()
        .unwrap()
}

/// The child's side: what a test asked it to do, on the directory it named. Run only by the
/// tests below, which set both variables.
#[test]
#[ignore = "a helper process of the crash tests; it needs TGBOX_CRASH_TEST_DIR and _MODE"]
fn child() {
    let dir = PathBuf::from(
        std::env::var(DIR_VAR).expect("TGBOX_CRASH_TEST_DIR (run by the crash tests)"),
    );
    let mode = std::env::var(MODE_VAR).expect("TGBOX_CRASH_TEST_MODE (run by the crash tests)");
    block_on(async move {
        let ch = LocalChannel::open(&dir).await.unwrap();
        let parts: Vec<&str> = mode.split(':').collect();
        match parts.as_slice() {
            ["post"] => {
                ch.post_document(upload(2, 70_000), "").await.unwrap();
            }
            ["replace"] => {
                ch.replace_document(1, upload(3, 90_000), None)
                    .await
                    .unwrap();
            }
            ["delete"] => {
                ch.delete_messages(&[1]).await.unwrap();
            }
            ["loop", base] => {
                let base: u64 = base.parse().unwrap();
                for i in 0.. {
                    let seed = base + i;
                    ch.post_document(upload(seed, 1 + (seed as usize * 7919) % (3 << 20)), "")
                        .await
                        .unwrap();
                }
            }
            ["box-upload", db, src] => {
                // Slow enough (latency and a bandwidth cap per part) to be killed mid-way.
                let inner = LocalChannel::open(&dir).await.unwrap();
                let config = FaultConfig {
                    latency: Duration::from_millis(30),
                    bandwidth: Some(4_000_000),
                    ..FaultConfig::none(1)
                };
                let channel: Arc<dyn Channel> = Arc::new(FaultyChannel::new(inner, config));
                let tgbox = TgBox::open(channel, Path::new(db), &basekey())
                    .await
                    .unwrap();
                let none = Attributes::default();
                let file = UploadFile {
                    source: Path::new(src),
                    dir: "/kill",
                    name: None,
                    mime: "",
                    cattrs: &none,
                };
                tgbox.upload(file, Arc::new(NoProgress)).await.unwrap();
            }
            ["writer", base, n] => {
                let (base, n): (u64, u64) = (base.parse().unwrap(), n.parse().unwrap());
                for seed in base..base + n {
                    ch.post_document(upload(seed, 1000 + seed as usize % 5000), "c")
                        .await
                        .unwrap();
                }
            }
            other => panic!("unknown child mode {other:?}"),
        }
    });
}

fn spawn_child(dir: &Path, mode: &str, crash_point: Option<&str>) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "crash::child",
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(DIR_VAR, dir)
    .env(MODE_VAR, mode)
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null());
    match crash_point {
        Some(p) => cmd.env(CRASH_POINT_VAR, p),
        None => cmd.env_remove(CRASH_POINT_VAR),
    };
    cmd.spawn().expect("spawning the child")
}

fn run_child(dir: &Path, mode: &str, crash_point: Option<&str>) -> ExitStatus {
    spawn_child(dir, mode, crash_point)
        .wait()
        .expect("waiting for the child")
}

fn counters(dir: &Path) -> (i64, u64) {
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("channel.json")).unwrap()).unwrap();
    (
        meta["next_message_id"].as_i64().unwrap(),
        meta["next_event_id"].as_u64().unwrap(),
    )
}

/// Checks every invariant a reader relies on; returns the visible messages.
async fn assert_consistent(dir: &Path) -> Vec<Message> {
    let ch = LocalChannel::open(dir)
        .await
        .expect("the channel still opens");
    let messages = all_messages(&ch).await.expect("listing");
    let (next_message, next_event) = counters(dir);
    for m in &messages {
        assert!(
            i64::from(m.id) < next_message,
            "message {} at or above next_message_id",
            m.id
        );
        let doc = m.document.as_ref().unwrap();
        let bytes = read_all(&ch, m)
            .await
            .expect("every visible message has its document");
        assert!(
            bytes == pattern(seed_of(m), doc.size as usize),
            "message {}: document bytes differ",
            m.id
        );
    }
    let events = all_events(&ch, 0, EventFilter::ALL)
        .await
        .expect("the feed parses");
    assert!(events.windows(2).all(|w| w[0].id < w[1].id));
    assert!(
        events.iter().all(|e| e.id < next_event),
        "event at or above next_event_id"
    );
    messages
}

/// After a crash: consistent, and the next post works and gets a fresh id.
async fn assert_recovers(dir: &Path) -> Vec<Message> {
    let before = assert_consistent(dir).await;
    let (next_message, _) = counters(dir);
    let ch = LocalChannel::open(dir).await.unwrap();
    let m = ch
        .post_document(upload(77, 5000), "")
        .await
        .expect("posting after the crash");
    assert!(
        i64::from(m.id) >= next_message,
        "an id reserved before the crash was handed out again"
    );
    assert_eq!(read_all(&ch, &m).await.unwrap(), pattern(77, 5000));
    before
}

async fn channel_with_one_message(dir: &Path) -> LocalChannel {
    let ch = LocalChannel::create(dir, "TGBOX[01]: crash", "", false)
        .await
        .unwrap();
    ch.post_document(upload(1, 50_000), "").await.unwrap();
    ch
}

fn abort_at(point: &str, mode: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chan");
    block_on(channel_with_one_message(&dir));
    let status = run_child(&dir, mode, Some(point));
    assert!(
        !status.success(),
        "the child should have crashed at {point}"
    );
    (tmp, dir)
}

#[test]
fn post_crashes_at_every_point() {
    // (crash point, messages visible afterwards, stray documents for clean-up)
    for (point, visible, strays) in [
        ("post:staged", 1, 0),
        ("post:reserved", 1, 0),
        ("post:placed", 1, 1),
        ("post:recorded", 2, 0),
        ("event:torn", 2, 0),
    ] {
        let (_tmp, dir) = abort_at(point, "post");
        block_on(async {
            let seen = assert_consistent(&dir).await;
            assert_eq!(seen.len(), visible, "{point}: visible messages");
            let ch = LocalChannel::open(&dir).await.unwrap();
            let news = all_events(&ch, 0, EventFilter::ALL).await.unwrap();
            assert_eq!(
                news.len(),
                1,
                "{point}: only the first post's event is complete"
            );
            let report = ch.collect_garbage().await.unwrap();
            assert_eq!(
                report.documents.len(),
                strays,
                "{point}: stray documents {report:?}"
            );
            assert_recovers(&dir).await;
            // The next writer cut the torn line and appended after it.
            let events = all_events(&ch, 0, EventFilter::ALL).await.unwrap();
            assert_eq!(events.len(), 2, "{point}");
            let text = std::fs::read(dir.join("events.jsonl")).unwrap();
            assert_eq!(
                text.iter().filter(|&&b| b == b'\n').count(),
                2,
                "{point}: events.jsonl lines"
            );
        });
    }
}

#[test]
fn replace_and_delete_crashes() {
    // Replacement crashed after the new document was placed: the old one stays current.
    let (_t, dir) = abort_at("replace:placed", "replace");
    block_on(async {
        let seen = assert_consistent(&dir).await;
        assert_eq!(seed_of(&seen[0]), 1);
        let report = LocalChannel::open(&dir)
            .await
            .unwrap()
            .collect_garbage()
            .await
            .unwrap();
        assert_eq!(report.documents.len(), 1, "the unreferenced new document");
        assert_recovers(&dir).await;
    });
    // Crashed after the record switched: the new one is current, the old file is garbage.
    let (_t, dir) = abort_at("edit:recorded", "replace");
    block_on(async {
        let seen = assert_consistent(&dir).await;
        assert_eq!(seed_of(&seen[0]), 3);
        let report = LocalChannel::open(&dir)
            .await
            .unwrap()
            .collect_garbage()
            .await
            .unwrap();
        assert_eq!(report.documents.len(), 1, "the replaced old document");
        assert_recovers(&dir).await;
    });
    // A delete that crashed after removing the record: gone, its document is garbage.
    let (_t, dir) = abort_at("delete:unrecorded", "delete");
    block_on(async {
        assert!(assert_consistent(&dir).await.is_empty());
        let report = LocalChannel::open(&dir)
            .await
            .unwrap()
            .collect_garbage()
            .await
            .unwrap();
        assert_eq!(report.documents.len(), 1);
        assert_recovers(&dir).await;
    });
}

#[test]
fn sigkill_at_random_moments_never_shows_half_a_message() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chan");
    block_on(LocalChannel::create(&dir, "TGBOX[01]: kill", "", false)).unwrap();
    let mut delay = 0x2545_F491_4F6C_DD1Du64;
    let mut total = 0;
    for round in 0..8u64 {
        let mut child = spawn_child(&dir, &format!("loop:{}", 1000 * (round + 1)), None);
        delay ^= delay << 13;
        delay ^= delay >> 7;
        delay ^= delay << 17;
        std::thread::sleep(Duration::from_millis(80 + delay % 400));
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        total = block_on(assert_consistent(&dir)).len();
    }
    assert!(
        total > 0,
        "the children should have posted something in 8 rounds"
    );
    block_on(async {
        LocalChannel::open(&dir)
            .await
            .unwrap()
            .collect_garbage()
            .await
            .unwrap();
        assert_eq!(assert_recovers(&dir).await.len(), total);
    });
}

#[test]
fn two_writer_processes_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chan");
    block_on(LocalChannel::create(&dir, "TGBOX[01]: writers", "", false)).unwrap();
    let a = spawn_child(&dir, "writer:1000:15", None);
    let b = spawn_child(&dir, "writer:2000:15", None);
    for mut c in [a, b] {
        assert!(c.wait().unwrap().success(), "a writer failed");
    }
    block_on(async {
        let messages = assert_consistent(&dir).await;
        assert_eq!(messages.len(), 30);
        let mut seeds: Vec<u64> = messages.iter().map(seed_of).collect();
        seeds.sort_unstable();
        let want: Vec<u64> = (1000..1015).chain(2000..2015).collect();
        assert_eq!(seeds, want);
        let ch = LocalChannel::open(&dir).await.unwrap();
        let events = all_events(&ch, 0, EventFilter::ALL).await.unwrap();
        let mut posted: Vec<i32> = events
            .iter()
            .filter_map(|e| match &e.action {
                EventAction::NewMessage { message } => Some(message.id),
                _ => None,
            })
            .collect();
        posted.dedup();
        assert_eq!(posted.len(), 30, "one new_message event per post");
        assert_eq!(counters(&dir), (31, 31));
    });
}

#[test]
fn an_upload_killed_mid_way_resumes_where_it_stopped() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chan");
    let db = tmp.path().join("box.db");
    let src = tmp.path().join("big.bin");
    let size = 12 * 1024 * 1024 + 77;
    std::fs::write(&src, pattern(42, size)).unwrap();
    block_on(async {
        let channel: Arc<dyn Channel> = Arc::new(
            LocalChannel::create(&dir, &format!("{BOX_TITLE_PREFIX}kill"), "", false)
                .await
                .unwrap(),
        );
        crate::common::make_box(channel, &db, &basekey()).await;
    });
    let mode = format!("box-upload:{}:{}", db.display(), src.display());
    let mut child = spawn_child(&dir, &mode, None);
    // Wait until some parts are acknowledged, then kill -9.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let acked = loop {
        assert!(
            std::time::Instant::now() < deadline,
            "the child never got going"
        );
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the child finished ({status}) before it could be killed");
        }
        let lb = LocalBox::open(&db).unwrap();
        let parts = lb
            .journal_pending()
            .unwrap()
            .first()
            .map(|p| lb.journal_parts(&p.file_salt).unwrap().len());
        if parts.is_some_and(|n| n >= 4) {
            break parts.unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    block_on(async {
        let channel: Arc<dyn Channel> = Arc::new(LocalChannel::open(&dir).await.unwrap());
        assert!(
            all_messages(channel.as_ref()).await.unwrap().is_empty(),
            "nothing was posted yet"
        );
        let tgbox = TgBox::open(channel.clone(), &db, &basekey()).await.unwrap();
        let pending = tgbox.localbox().journal_pending().unwrap();
        assert_eq!(pending.len(), 1);
        let before = tgbox
            .localbox()
            .journal_parts(&pending[0].file_salt)
            .unwrap()
            .len();
        assert!(before >= acked, "acknowledged parts survive the kill");
        let finished = tgbox.resume_uploads(Arc::new(NoProgress)).await.unwrap();
        assert_eq!(finished.len(), 1, "the upload continued and finished");
        assert!(tgbox.localbox().journal_pending().unwrap().is_empty());
        let out = tmp.path().join("out.bin");
        tgbox
            .download(finished[0].id, &out, Arc::new(NoProgress))
            .await
            .unwrap();
        assert!(
            std::fs::read(&out).unwrap() == pattern(42, size),
            "the resumed upload is the file"
        );
        let leftovers = std::fs::read_dir(dir.join("tmp")).unwrap().count();
        assert_eq!(leftovers, 0, "the parts were joined and removed");
    });
}
