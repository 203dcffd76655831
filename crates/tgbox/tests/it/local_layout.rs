//! spec/local-channel.md as a contract: what `local:` writes on disk and what it tolerates.

use std::fs;
use std::path::Path;

use serde_json::{Value, json};
use tgbox::channel::conformance::{all_events, all_messages, block_on, pattern};
use tgbox::channel::{
    Channel, ErrorKind, EventFilter, LocalChannel, MESSAGE_ID_MAX, Photo, Upload,
};

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

fn write_json(path: &Path, v: &Value) {
    fs::write(path, serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

fn upload(seed: u64, len: usize) -> Upload {
    Upload::from_bytes(
        format!("doc-{seed}"),
        "application/octet-stream",
        pattern(seed, len),
    )
}

#[test]
fn the_layout_on_disk_matches_the_spec() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chan");
    block_on(async {
        let ch = LocalChannel::create(&dir, "TGBOX[01]: layout", "", false)
            .await
            .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
                0o700
            );
        }
        let meta = read_json(&dir.join("channel.json"));
        let keys: Vec<&str> = meta
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut keys = keys;
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "about",
                "created",
                "format",
                "id",
                "next_event_id",
                "next_message_id",
                "photo",
                "premium",
                "title",
                "version"
            ]
        );
        assert_eq!(meta["format"], "tgbox-local-channel");
        assert_eq!(meta["version"], 1);
        let id = meta["id"].as_i64().unwrap();
        assert!(
            (1_000_000_000..10_000_000_000).contains(&id),
            "10-digit id {id}"
        );
        assert_eq!(
            (
                meta["next_message_id"].clone(),
                meta["next_event_id"].clone()
            ),
            (json!(1), json!(1))
        );
        assert!(
            dir.join("lock").is_file() && dir.join("messages").is_dir() && dir.join("tmp").is_dir()
        );
        assert!(
            !dir.join("events.jsonl").exists(),
            "creating a channel logs no event"
        );

        let m = ch.post_document(upload(1, 471), "").await.unwrap();
        let doc = m.document.clone().unwrap();
        let rec = read_json(&dir.join("messages/000000000001.json"));
        assert_eq!(
            rec,
            json!({"id": 1, "date": m.date, "edit_date": null, "caption": "", "forwarded_from": null,
                   "document": {"id": doc.id, "name": "doc-1", "size": 471, "mime": "application/octet-stream"}})
        );
        let bin = dir.join(format!("messages/000000000001.{:016}.bin", doc.id));
        assert_eq!(fs::read(&bin).unwrap(), pattern(1, 471));
        assert!(doc.id >= 1 && doc.id < (1 << 53));

        ch.set_photo(Photo {
            bytes: b"png".to_vec(),
            extension: "PNG".into(),
        })
        .await
        .unwrap();
        assert_eq!(read_json(&dir.join("channel.json"))["photo"], "photo.png");
        ch.set_photo(Photo {
            bytes: b"jpg".to_vec(),
            extension: "jpg".into(),
        })
        .await
        .unwrap();
        assert!(!dir.join("photo.png").exists() && dir.join("photo.jpg").is_file());

        let r = ch.replace_document(1, upload(2, 10), None).await.unwrap();
        assert!(!bin.exists(), "a replaced document file is removed");
        assert!(
            dir.join(format!(
                "messages/000000000001.{:016}.bin",
                r.document.unwrap().id
            ))
            .is_file()
        );

        let lines: Vec<Value> = fs::read_to_string(dir.join("events.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let actions: Vec<&str> = lines
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            ["new_message", "edit_photo", "edit_photo", "edit_message"]
        );
        assert_eq!(lines[0]["message_id"], 1);
        assert_eq!(lines[1]["prev_photo"], Value::Null);
        assert_eq!(lines[2]["prev_photo"], "photo.png");
        assert_eq!(lines[3]["prev_message"], rec);
        assert_eq!(read_json(&dir.join("channel.json"))["next_event_id"], 5);
        assert!(
            fs::read_dir(dir.join("tmp")).unwrap().next().is_none(),
            "nothing left in tmp/"
        );
    });
}

#[test]
fn unknown_keys_survive_rewrites() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chan");
    block_on(async {
        let ch = LocalChannel::create(&dir, "TGBOX[01]: keys", "", false)
            .await
            .unwrap();
        ch.post_document(upload(1, 10), "").await.unwrap();
        let mut meta = read_json(&dir.join("channel.json"));
        meta["x_future"] = json!({"kept": true});
        write_json(&dir.join("channel.json"), &meta);
        let rec_path = dir.join("messages/000000000001.json");
        let mut rec = read_json(&rec_path);
        rec["x_views"] = json!(12);
        write_json(&rec_path, &rec);

        ch.set_title("TGBOX[01]: renamed").await.unwrap();
        ch.edit_caption(1, "c").await.unwrap();
        ch.post_document(upload(2, 10), "").await.unwrap();
        assert_eq!(
            read_json(&dir.join("channel.json"))["x_future"],
            json!({"kept": true})
        );
        assert_eq!(read_json(&rec_path)["x_views"], 12);
        assert_eq!(read_json(&rec_path)["caption"], "c");
    });
}

#[test]
fn readers_ignore_what_the_spec_says_to_ignore() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chan");
    block_on(async {
        let ch = LocalChannel::create(&dir, "TGBOX[01]: ignore", "", false)
            .await
            .unwrap();
        ch.post_document(upload(1, 10), "").await.unwrap();
        for junk in [
            "notes.txt",
            "1.json",
            "000000000009.json.tmp",
            "000000000001.12.bin",
        ] {
            fs::write(dir.join("messages").join(junk), b"junk").unwrap();
        }
        fs::write(dir.join("tmp/upload-1-ffff.tmp"), b"half").unwrap();
        fs::write(dir.join("unknown-file"), b"?").unwrap();
        let mut log = fs::read(dir.join("events.jsonl")).unwrap();
        log.extend_from_slice(
            b"{\"id\": 50, \"date\": 1, \"action\": \"pin_message\", \"message_id\": 1}\n",
        );
        log.extend_from_slice(b"{\"id\": 51, \"date\": 1, \"act");
        fs::write(dir.join("events.jsonl"), &log).unwrap();

        assert_eq!(all_messages(&ch).await.unwrap().len(), 1);
        let events = all_events(&ch, 0, EventFilter::ALL).await.unwrap();
        assert_eq!(
            events.len(),
            1,
            "unknown actions and a torn last line are skipped"
        );
    });
}

#[test]
fn refusals_use_the_spec_error_names() {
    let tmp = tempfile::tempdir().unwrap();
    block_on(async {
        let missing = LocalChannel::open(tmp.path().join("none"))
            .await
            .unwrap_err();
        assert_eq!(missing.code(), "CHANNEL_INVALID");

        let dir = tmp.path().join("chan");
        let ch = LocalChannel::create(&dir, "TGBOX[01]: errors", "", false)
            .await
            .unwrap();
        let again = LocalChannel::create(&dir, "TGBOX[01]: again", "", false)
            .await
            .unwrap_err();
        assert_eq!(again.code(), "CHANNEL_DIR_NOT_EMPTY");
        let busy = tmp.path().join("busy");
        fs::create_dir(&busy).unwrap();
        fs::write(busy.join("file"), b"x").unwrap();
        assert_eq!(
            LocalChannel::create(&busy, "t", "", false)
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::DirNotEmpty
        );
        assert_eq!(
            LocalChannel::create(tmp.path().join("t"), "", "", false)
                .await
                .unwrap_err()
                .code(),
            "CHAT_TITLE_EMPTY"
        );

        ch.post_document(upload(1, 10), "").await.unwrap();
        let rec_path = dir.join("messages/000000000001.json");
        let mut rec = read_json(&rec_path);
        rec["id"] = json!(2);
        write_json(&rec_path, &rec);
        assert_eq!(
            ch.list_messages(0, 10).await.unwrap_err().code(),
            "CHANNEL_CORRUPT"
        );
        rec["id"] = json!(1);
        write_json(&rec_path, &rec);

        let mut meta = read_json(&dir.join("channel.json"));
        meta["next_message_id"] = json!(MESSAGE_ID_MAX);
        write_json(&dir.join("channel.json"), &meta);
        assert_eq!(
            ch.post_document(upload(2, 10), "").await.unwrap().id,
            MESSAGE_ID_MAX
        );
        let full = ch.post_document(upload(3, 10), "").await.unwrap_err();
        assert_eq!(full.code(), "CHANNEL_FULL");

        meta["version"] = json!(2);
        write_json(&dir.join("channel.json"), &meta);
        let v2 = LocalChannel::open(&dir).await.unwrap_err();
        assert_eq!(v2.code(), "CHANNEL_VERSION_UNSUPPORTED");
        assert!(v2.to_string().contains("version"), "{v2}");
    });
}

#[test]
fn a_cancelled_upload_leaves_no_staged_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chan");
    block_on(async {
        let ch = LocalChannel::create(&dir, "TGBOX[01]: cancel", "", false)
            .await
            .unwrap();
        let (mut tx, rx) = tokio::io::duplex(1 << 16);
        let post = ch.post_document(Upload::new("n", "", 1 << 20, rx), "");
        let feed = async {
            use tokio::io::AsyncWriteExt;
            tx.write_all(&[0u8; 1000]).await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        };
        tokio::select! {
            r = post => panic!("the post cannot finish without its body: {r:?}"),
            () = feed => {}
        }
        assert!(
            fs::read_dir(dir.join("tmp")).unwrap().next().is_none(),
            "the staged file is removed"
        );
        assert!(all_messages(&ch).await.unwrap().is_empty());
    });
}

#[test]
fn listing_crosses_long_runs_of_deleted_ids() {
    let tmp = tempfile::tempdir().unwrap();
    block_on(async {
        let ch = LocalChannel::create(tmp.path().join("chan"), "TGBOX[01]: gaps", "", false)
            .await
            .unwrap();
        for i in 0..60 {
            ch.post_document(upload(i, 5), "").await.unwrap();
        }
        let gone: Vec<i32> = (2..=58).collect();
        assert_eq!(ch.delete_messages(&gone).await.unwrap(), 57);
        let ids =
            |page: Vec<tgbox::channel::Message>| page.iter().map(|m| m.id).collect::<Vec<_>>();
        assert_eq!(ids(ch.list_messages(0, 1).await.unwrap()), [1]);
        assert_eq!(
            ids(ch.list_messages(1, 1).await.unwrap()),
            [59],
            "past a gap longer than the probe window"
        );
        assert_eq!(ids(ch.list_messages(1, 10).await.unwrap()), [59, 60]);
        assert!(ch.list_messages(60, 10).await.unwrap().is_empty());
    });
}
