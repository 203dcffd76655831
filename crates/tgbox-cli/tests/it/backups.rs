//! `tgbox backup`: the exact forms other tools depend on, on the file provider — make prints
//! the KeyID and writes the channel's message text, open prints one JSON object — and every
//! bad input as one line with its exit code.

use crate::harness::{World, json_of};
use serde_json::{Value, json};

fn vectors() -> Value {
    let shared = std::env::var_os("TGBOX_SHARED")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
        });
    serde_json::from_str(
        &std::fs::read_to_string(shared.join("vectors/tgbackx_vectors.json")).unwrap(),
    )
    .unwrap()
}

const CHEAP: [&str; 2] = ["--scrypt-n", "1024"];
const HASH: &str = "0123456789abcdef0123456789abcdef";

#[test]
fn make_then_open_in_the_exact_forms() {
    let v = vectors();
    let w = World::new();
    let b = &v["backup_cheap"];
    let u = w.user("u", b["phrase"].as_str().unwrap());
    let session = v["session_strings"][0]["string"].as_str().unwrap();
    let file = w.path("backup.txt");
    let provider = format!("file:{}", file.display());
    let phrase_file = u.phrase_file.to_string_lossy().into_owned();
    u.bare()
        .args([
            "backup",
            "make",
            "--provider",
            &provider,
            "--phrase-file",
            &phrase_file,
        ])
        .args([
            "--session-string",
            session,
            "--api-id",
            "1234567",
            "--api-hash",
            HASH,
        ])
        .args(CHEAP)
        .assert()
        .success()
        .stdout(format!("{}\n", b["keyid"].as_str().unwrap()));
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.split('\n').collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[0], "+T+");
    assert!(
        lines[1].starts_with("JSON_AES_CBC_UB64_") && lines[1].len() == 810,
        "{}",
        lines[1]
    );
    assert_eq!(lines[2], "+T+");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    let got = json_of(
        u.bare()
            .args([
                "backup",
                "open",
                "--provider",
                &provider,
                "--phrase-file",
                &phrase_file,
            ])
            .args(CHEAP)
            .args(["--print-session", "--json"]),
    );
    let keys: Vec<&str> = got
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "key_id",
            "session",
            "api_id",
            "api_hash",
            "created_at",
            "version"
        ]
    );
    assert_eq!(got["key_id"], b["keyid"]);
    assert_eq!(got["session"], session);
    assert_eq!(got["api_id"], 1234567);
    assert_eq!(got["api_hash"], HASH);
    assert_eq!(got["version"], "1.1");
    assert!(got["created_at"].as_f64().unwrap() > 1.7e9);

    // The reference's own capsule (with the same phrase) opens the same way.
    std::fs::write(&file, b["message_text"].as_str().unwrap()).unwrap();
    let got = u.json(&[
        "backup",
        "open",
        "--provider",
        &provider,
        "--scrypt-n",
        "1024",
        "--print-session",
        "--json",
    ]);
    assert_eq!(got["created_at"], json!(1737203696.789012));

    // Export: the message text again, and a QR code.
    u.run(&[
        "backup",
        "export",
        "--provider",
        &provider,
        "--scrypt-n",
        "1024",
    ])
    .assert()
    .success()
    .stdout(format!("{}\n", b["message_text"].as_str().unwrap()));
    let png = w.path("qr.png");
    u.run(&[
        "backup",
        "export",
        "--provider",
        &provider,
        "--scrypt-n",
        "1024",
        "--qr-png",
        &png.to_string_lossy(),
    ])
    .assert()
    .success();
    assert!(
        std::fs::read(&png)
            .unwrap()
            .starts_with(b"\x89PNG\r\n\x1a\n")
    );
}

#[test]
fn a_generated_phrase_and_the_birthday() {
    let v = vectors();
    let w = World::new();
    let u = w.user("u", "unused");
    let session = v["session_strings"][2]["string"].as_str().unwrap();
    let file = w.path("b.txt");
    let provider = format!("file:{}", file.display());
    let made = json_of(
        u.bare()
            .args([
                "backup",
                "make",
                "--provider",
                &provider,
                "--session-string",
                session,
            ])
            .args([
                "--api-id",
                "5",
                "--api-hash",
                HASH,
                "--birthday",
                "07/03/1990",
                "--json",
            ])
            .args(CHEAP),
    );
    let phrase = made["phrase"].as_str().unwrap();
    assert_eq!(phrase.split(' ').count(), 8);
    let v2 = w.user("v", phrase);
    let got = v2.json(&[
        "backup",
        "open",
        "--provider",
        &provider,
        "--birthday",
        "7/3/1990",
        "--scrypt-n",
        "1024",
        "--print-session",
        "--json",
    ]);
    assert_eq!(got["key_id"], made["key_id"]);
    assert_eq!(got["session"], session);
    // Without the birthday the phrase opens nothing.
    v2.fails(
        v2.run(&["backup", "open", "--provider", &provider, "--print-session"])
            .args(CHEAP),
        4,
        "does not open the backup",
    );
}

#[test]
fn bad_input() {
    let v = vectors();
    let w = World::new();
    let u = w.user("u", "p q r s");
    let session = v["session_strings"][0]["string"].as_str().unwrap();
    let file = w.path("b.txt");
    let provider = format!("file:{}", file.display());
    let make = |extra: &[&str]| {
        let mut c = u.run(&["backup", "make", "--provider", &provider]);
        c.args(CHEAP).args(extra);
        c
    };
    let full = [
        "--session-string",
        session,
        "--api-id",
        "1",
        "--api-hash",
        HASH,
    ];
    u.fails(
        &mut make(&[
            "--session-string",
            "1abc",
            "--api-id",
            "1",
            "--api-hash",
            HASH,
        ]),
        2,
        "not a Telethon StringSession",
    );
    u.fails(
        &mut make(&[
            "--session-string",
            session,
            "--api-id",
            "1",
            "--api-hash",
            "xyz",
        ]),
        2,
        "32 hexadecimal",
    );
    u.fails(
        &mut make(&[
            "--session-string",
            session,
            "--api-id",
            "0",
            "--api-hash",
            HASH,
        ]),
        2,
        "positive",
    );
    u.fails(
        &mut make(&[&full[..], &["--birthday", "31/02/2000"]].concat()),
        2,
        "birthday",
    );
    u.fails(
        &mut make(&[&full[..], &["--scrypt-salt", "nothex"]].concat()),
        2,
        "not hex",
    );
    u.fails(&mut make(&["--account", "me"]), 3, "no account named");
    assert!(!file.exists(), "nothing written by a refused make");
    u.fails(
        u.run(&["backup", "make", "--provider", "ftp://x"])
            .args(full),
        2,
        "unknown provider",
    );
    // A session whose DC does not answer: one line, the channel exit code, nothing posted.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let unreachable =
        tgbox_core::session::StringSession::new(2, "127.0.0.1".parse().unwrap(), port, [7; 256])
            .unwrap()
            .encode()
            .to_string();
    u.fails(
        u.run(&["backup", "make", "--provider", "telegram"])
            .args([
                "--session-string",
                &unreachable,
                "--api-id",
                "1",
                "--api-hash",
                HASH,
            ])
            .args(CHEAP),
        5,
        "connection to Telegram",
    );

    make(&full).assert().success();
    let open = |extra: &[&str]| {
        let mut c = u.run(&["backup", "open", "--provider", &provider, "--print-session"]);
        c.args(CHEAP).args(extra);
        c
    };
    open(&[]).assert().success();
    u.fails(
        u.run(&["backup", "open", "--provider", &provider])
            .args(CHEAP),
        2,
        "--print-session",
    );
    // Tampered: one character of the capsule changed.
    let text = std::fs::read_to_string(&file).unwrap();
    let mut bytes = text.clone().into_bytes();
    let at = 100;
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    std::fs::write(&file, &bytes).unwrap();
    u.fails(&mut open(&[]), 4, "altered");
    // Cut short, and not a backup at all.
    // Cut short (401 base64 characters: a length no encoder writes).
    std::fs::write(&file, &text[..4 + 18 + 401]).unwrap();
    u.fails(&mut open(&[]), 6, "cut short");
    std::fs::write(&file, "hello").unwrap();
    u.fails(&mut open(&[]), 6, "unreadable");
    std::fs::write(&file, "+T+\n\n+T+").unwrap();
    u.fails(&mut open(&[]), 4, "no backup for this phrase");
    std::fs::remove_file(&file).unwrap();
    u.fails(&mut open(&[]), 7, "cannot read");
    // Nothing to check, refresh or destroy without the backup.
    for cmd in [
        &["check"][..],
        &["refresh", "--account", "a"],
        &["destroy", "--yes"],
    ] {
        u.fails(
            u.run(&["backup"])
                .args(cmd)
                .args(["--provider", &provider])
                .args(CHEAP),
            7,
            "cannot read",
        );
    }
}
