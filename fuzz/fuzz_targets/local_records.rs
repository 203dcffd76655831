//! The local channel's on-disk records (spec/local-channel.md §3–§5): a fuzzed `channel.json`,
//! message record or `events.jsonl` is read through the public `LocalChannel` API. Every
//! outcome must be a typed error or a value: never a panic, never a huge allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;
use tgbox::channel::{Channel, EventFilter, LocalChannel};

/// A valid channel with one message, made once; each run copies it and damages one file.
fn template() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("tgbox-fuzz-local-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        runtime().block_on(async {
            let ch = LocalChannel::create(&dir, "TGBOX[01]: fuzz", "about", false).await.unwrap();
            let token = ch.begin_upload(3).await.unwrap();
            ch.upload_part(&token, 0, bytes::Bytes::from_static(b"abc")).await.unwrap();
            ch.commit_upload(&token, "doc.bin", "application/octet-stream", "caption")
                .await
                .unwrap();
        });
        dir
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else { return };
    let src = template();
    let dir = src.with_extension("run");
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(src, &dir);
    let file = match which % 3 {
        0 => dir.join("channel.json"),
        1 => dir.join("messages").join("000000000001.json"),
        _ => dir.join("events.jsonl"),
    };
    std::fs::write(&file, body).unwrap();
    runtime().block_on(async {
        let Ok(ch) = LocalChannel::open(&dir).await else { return };
        let _ = ch.header().await;
        let _ = ch.capabilities().await;
        let _ = ch.list_messages(0, 10).await;
        let _ = ch.get_messages(&[1, 2]).await;
        let _ = ch.events(0, EventFilter::ALL, 10).await;
        if let Ok(Some(Some(m))) = ch.get_messages(&[1]).await.map(|v| v.into_iter().next()) {
            if let Some(d) = m.document {
                let _ = ch.read_document(1, d.id, 0, 4096).await;
            }
        }
    });
});
