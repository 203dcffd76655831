//! `tgbox raw channel`: JSON out, one-line errors with the channel's error names, non-zero exits,
//! and no partial output file on failure.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn tgbox(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tgbox"))
        .args(args)
        .output()
        .expect("running tgbox")
}

fn ok_json(args: &[&str]) -> Value {
    let out = tgbox(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

fn fails_with(args: &[&str], needle: &str) {
    let out = tgbox(args);
    assert!(!out.status.success(), "{args:?} should fail");
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.trim_end().lines().collect();
    assert!(
        lines.len() == 1 || (lines.len() == 2 && lines[1].starts_with("hint: ")),
        "one-line error (and maybe a hint): {err}"
    );
    assert!(
        err.contains(needle),
        "{args:?}: expected {needle:?} in {err}"
    );
}

fn addr(dir: &Path) -> String {
    format!("local:{}", dir.display())
}

#[test]
fn post_read_edit_replace_delete() {
    let tmp = tempfile::tempdir().unwrap();
    let chan = addr(&tmp.path().join("chan"));
    let created = ok_json(&[
        "raw",
        "channel",
        "create",
        &chan,
        "--title",
        "TGBOX[01]: cli",
    ]);
    assert_eq!(created["title"], "TGBOX[01]: cli");
    let src = tmp.path().join("doc.bin");
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&src, &data).unwrap();
    let posted = ok_json(&[
        "raw",
        "channel",
        "post",
        &chan,
        src.to_str().unwrap(),
        "--caption",
        "c",
    ]);
    assert_eq!(posted["id"], 1);
    assert_eq!(posted["document"]["name"], "doc.bin");
    assert_eq!(posted["document"]["size"], 3_000_000);
    let out = tmp.path().join("out.bin");
    ok_json(&[
        "raw",
        "channel",
        "read",
        &chan,
        "--id",
        "1",
        out.to_str().unwrap(),
    ]);
    assert!(
        std::fs::read(&out).unwrap() == data,
        "the document reads back"
    );
    assert_eq!(
        ok_json(&["raw", "channel", "caption", &chan, "--id", "1", "new"])["caption"],
        "new"
    );
    fails_with(
        &["raw", "channel", "caption", &chan, "--id", "1", "new"],
        "MESSAGE_NOT_MODIFIED",
    );
    fails_with(
        &[
            "raw",
            "channel",
            "caption",
            &chan,
            "--id",
            "1",
            &"x".repeat(1025),
        ],
        "MEDIA_CAPTION_TOO_LONG",
    );
    let replaced = ok_json(&[
        "raw",
        "channel",
        "replace",
        &chan,
        "--id",
        "1",
        out.to_str().unwrap(),
        "--name",
        "n2",
    ]);
    assert_ne!(replaced["document"]["id"], posted["document"]["id"]);
    let shown = ok_json(&["raw", "channel", "show", &chan, "--events"]);
    assert_eq!(shown["messages"].as_array().unwrap().len(), 1);
    assert_eq!(shown["events"].as_array().unwrap().len(), 3);
    assert_eq!(
        ok_json(&["raw", "channel", "delete", &chan, "1", "2"])["deleted"],
        1
    );
    assert_eq!(
        ok_json(&["raw", "channel", "gc", &chan]),
        serde_json::json!({"documents": [], "tmp": []})
    );
}

#[test]
fn errors_are_one_line_and_leave_no_output() {
    let tmp = tempfile::tempdir().unwrap();
    let chan = addr(&tmp.path().join("chan"));
    fails_with(&["raw", "channel", "show", &chan], "CHANNEL_INVALID");
    fails_with(&["raw", "channel", "show", "memory:"], "memory:");
    fails_with(
        &["raw", "channel", "show", "telegram:123"],
        "local:DIR channels only",
    );
    fails_with(&["raw", "channel", "show", "/some/dir"], "local:DIR");
    fails_with(
        &["raw", "channel", "create", &chan, "--title", " "],
        "CHAT_TITLE_EMPTY",
    );
    ok_json(&["raw", "channel", "create", &chan, "--title", "t"]);
    fails_with(
        &["raw", "channel", "create", &chan, "--title", "t"],
        "CHANNEL_DIR_NOT_EMPTY",
    );
    let empty = tmp.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    fails_with(
        &["raw", "channel", "post", &chan, empty.to_str().unwrap()],
        "FILE_PARTS_INVALID",
    );
    let out = tmp.path().join("out.bin");
    fails_with(
        &[
            "raw",
            "channel",
            "read",
            &chan,
            "--id",
            "9",
            out.to_str().unwrap(),
        ],
        "no message 9",
    );
    assert!(!out.exists());
    fails_with(&["raw", "channel", "set-header", &chan], "nothing to set");
    fails_with(
        &[
            "raw",
            "channel",
            "set-header",
            &chan,
            "--about",
            &"a".repeat(256),
        ],
        "CHAT_ABOUT_TOO_LONG",
    );
}

#[test]
fn base64url_texts_that_begin_with_a_hyphen_are_values() {
    // Document names, captions and descriptions are often base64url, and one in 64 begins
    // with "-": each must be taken as its option's value.
    let tmp = tempfile::tempdir().unwrap();
    let chan = addr(&tmp.path().join("chan"));
    let about = "-tQ2Hs9Jc0bC9s1aHq4z1c5Xg3Qk2a9hZ0YQ2Hs9Jc0b=";
    let created = ok_json(&[
        "raw", "channel", "create", &chan, "--title", "-title", "--about", about,
    ]);
    assert_eq!(
        (created["title"].as_str(), created["about"].as_str()),
        (Some("-title"), Some(about))
    );
    let src = tmp.path().join("doc.bin");
    std::fs::write(&src, b"doc").unwrap();
    let file = src.to_str().unwrap();
    let posted = ok_json(&[
        "raw",
        "channel",
        "post",
        &chan,
        file,
        "--name",
        "-n1",
        "--caption",
        "-c1",
    ]);
    assert_eq!(
        (
            posted["document"]["name"].as_str(),
            posted["caption"].as_str()
        ),
        (Some("-n1"), Some("-c1"))
    );
    let edited = ok_json(&["raw", "channel", "caption", &chan, "--id", "1", "-c2"]);
    assert_eq!(edited["caption"], "-c2");
    let replaced = ok_json(&[
        "raw",
        "channel",
        "replace",
        &chan,
        "--id",
        "1",
        file,
        "--name",
        "-n2",
        "--caption",
        "-c3",
    ]);
    assert_eq!(
        (
            replaced["document"]["name"].as_str(),
            replaced["caption"].as_str()
        ),
        (Some("-n2"), Some("-c3"))
    );
    let header = ok_json(&[
        "raw",
        "channel",
        "set-header",
        &chan,
        "--title",
        "-t2",
        "--about",
        "-a2",
    ]);
    assert_eq!(
        (header["title"].as_str(), header["about"].as_str()),
        (Some("-t2"), Some("-a2"))
    );
}
