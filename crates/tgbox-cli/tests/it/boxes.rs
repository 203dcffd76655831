//! `tgbox box`: making, opening, listing, choosing, locking, closing, deleting and syncing
//! boxes; the phrase asked once; every error path one line with its exit code.

use crate::harness::{CHEAP, World};
use predicates::prelude::*;

#[test]
fn make_list_use_info() {
    let w = World::new();
    let alice = w.user("alice", "alpha beta gamma");
    alice
        .run(&["box", "make", "photos", "--channel", &w.channel("c1")])
        .args(CHEAP)
        .assert()
        .success()
        .stdout(format!("made box photos in {}\n", w.channel("c1")));
    let made = alice.json(&[
        "box",
        "make",
        "docs",
        "--channel",
        &w.channel("c2"),
        "--scrypt-n",
        "1024",
        "--json",
    ]);
    assert_eq!(made["name"], "docs");
    assert_eq!(made["channel"], w.channel("c2"));
    assert!(made["channel_id"].as_i64().is_some());
    assert!(
        made.get("phrase").is_none(),
        "a given phrase is not printed"
    );

    // The newest box is the one in use.
    let list = alice.json(&["box", "list", "--json"]);
    assert_eq!(
        list,
        serde_json::json!([
            {"name": "docs", "channel": w.channel("c2"), "current": true, "unlocked": true},
            {"name": "photos", "channel": w.channel("c1"), "current": false, "unlocked": true},
        ])
    );
    alice.run(&["box", "use", "photos"]).assert().success();
    alice
        .run(&["box", "list"])
        .assert()
        .success()
        .stdout(format!(
            "  docs  {}  (unlocked)\n* photos  {}  (unlocked)\n",
            w.channel("c2"),
            w.channel("c1")
        ));
    let info = alice.json(&["box", "info", "--json"]);
    assert_eq!(info["name"], "photos");
    assert_eq!(info["files"], 0);
    assert_eq!(info["scrypt"]["n"], 1024);
    assert_eq!(info["current"], true);
    let other = alice.json(&["box", "info", "docs", "--json"]);
    assert_eq!(other["channel_id"], made["channel_id"]);
    alice
        .run(&["box", "info"])
        .assert()
        .success()
        .stdout(predicate::str::contains("box:          photos"));

    // The home is private, and so is every file in it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&alice.home), 0o700);
        for rel in ["config.toml", "boxes/photos.tgbox", "boxes/docs.tgbox"] {
            assert_eq!(mode(&alice.home.join(rel)), 0o600, "{rel}");
        }
        for key in std::fs::read_dir(alice.home.join("run")).unwrap() {
            assert_eq!(mode(&key.unwrap().path()), 0o600);
        }
    }
}

#[test]
fn a_generated_phrase_is_printed_once_and_opens_the_box() {
    let w = World::new();
    let u = w.user("u", "unused");
    let out = u
        .bare()
        .args(["box", "make", "b", "--channel", &w.channel("c"), "--json"])
        .args(CHEAP)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let made: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let phrase = made["phrase"].as_str().unwrap().to_owned();
    assert_eq!(phrase.split(' ').count(), 8);
    assert!(String::from_utf8_lossy(&out.stderr).contains("shown only this once"));
    // Nothing else ever shows it: not the config, not info, not the list.
    let config = std::fs::read_to_string(u.home.join("config.toml")).unwrap();
    assert!(!config.contains(&phrase));
    // The phrase opens the box on another machine.
    let v = w.user("v", &phrase);
    v.run(&["box", "open", "b", "--channel", &w.channel("c")])
        .args(CHEAP)
        .assert()
        .success()
        .stdout(format!("opened box b from {}: 0 file(s)\n", w.channel("c")));
}

#[test]
fn the_phrase_is_asked_once_until_lock() {
    let w = World::new();
    let u = w.user("u", "one two three");
    u.make_box("b", &w.channel("c"));
    // Unlocked: no phrase needed.
    u.bare().args(["file", "list"]).assert().success();
    u.run(&["box", "lock"])
        .assert()
        .success()
        .stderr("locked b\n");
    assert_eq!(std::fs::read_dir(u.home.join("run")).unwrap().count(), 0);
    // Locked, no terminal, no phrase file: refused with the access code.
    u.fails(u.bare().args(["file", "list"]), 4, "box \"b\" is locked");
    // A wrong phrase: refused, nothing cached.
    let wrong = w.user("wrong", "not the phrase");
    u.fails(
        u.bare()
            .args(["--phrase-file"])
            .arg(&wrong.phrase_file)
            .args(["file", "list"]),
        4,
        "wrong phrase",
    );
    assert_eq!(std::fs::read_dir(u.home.join("run")).unwrap().count(), 0);
    // The right phrase once; then none.
    u.run(&["file", "list"]).assert().success();
    u.bare().args(["file", "list"]).assert().success();
    // An idle timeout of zero seconds drops the key at once.
    let config = u.home.join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let text = text.replace("idle_timeout_secs = 1800", "idle_timeout_secs = 0");
    std::fs::write(&config, text).unwrap();
    u.fails(u.bare().args(["file", "list"]), 4, "locked");
    assert_eq!(std::fs::read_dir(u.home.join("run")).unwrap().count(), 0);
}

#[test]
fn open_clones_an_existing_box_and_a_wrong_phrase_leaves_nothing() {
    let w = World::new();
    let a = w.user("a", "shared phrase words");
    a.make_box("b", &w.channel("c"));
    w.file("src/one.txt", b"one");
    a.run(&[
        "file",
        "upload",
        &w.path("src/one.txt").to_string_lossy(),
        "--to",
        "/d",
    ])
    .assert()
    .success();

    let wrong = w.user("x", "another phrase entirely");
    wrong.fails(
        wrong
            .run(&["box", "open", "b", "--channel", &w.channel("c")])
            .args(CHEAP),
        4,
        "wrong phrase",
    );
    assert_eq!(
        wrong.json(&["box", "list", "--json"]),
        serde_json::json!([])
    );
    assert!(!wrong.home.join("boxes/b.tgbox").exists());

    let b = w.user("b", "shared phrase words");
    let opened = b.json(&[
        "box",
        "open",
        "mine",
        "--channel",
        &w.channel("c"),
        "--scrypt-n",
        "1024",
        "--json",
    ]);
    assert_eq!(opened["files"], 1);
    assert_eq!(
        a.json(&["file", "list", "--json"]),
        b.json(&["file", "list", "--json"])
    );

    // Deep and fast sync bring the other's changes.
    w.file("src/two.txt", b"two");
    a.run(&["file", "upload", &w.path("src/two.txt").to_string_lossy()])
        .assert()
        .success();
    let report = b.json(&["box", "sync", "--deep", "--json"]);
    assert_eq!(report["added"], serde_json::json!([2]));
    assert_eq!(report["deep"], true);
    a.run(&["file", "rename", "2", "zwei.txt"])
        .assert()
        .success();
    let report = b.json(&["box", "sync", "--json"]);
    assert_eq!(report["updated"], serde_json::json!([2]));
    b.run(&["box", "sync"])
        .assert()
        .success()
        .stdout("synced mine: 0 added, 0 updated, 0 removed\n");
    assert_eq!(
        a.json(&["file", "list", "--json"]),
        b.json(&["file", "list", "--json"])
    );
}

#[test]
fn close_and_delete() {
    let w = World::new();
    let u = w.user("u", "p q r");
    u.make_box("keep", &w.channel("c1"));
    u.make_box("gone", &w.channel("c2"));
    u.run(&["box", "close", "keep"]).assert().success();
    assert!(!u.home.join("boxes/keep.tgbox").exists());
    assert!(
        w.path("c1/channel.json").exists(),
        "close keeps the channel"
    );
    // It comes back from its channel.
    u.run(&["box", "open", "keep", "--channel", &w.channel("c1")])
        .args(CHEAP)
        .assert()
        .success();

    // Delete needs confirmation; without a terminal that is --yes.
    u.fails(&mut u.run(&["box", "delete", "gone"]), 2, "give --yes");
    assert!(w.path("c2/channel.json").exists());
    u.run(&["box", "delete", "gone", "--yes"])
        .assert()
        .success()
        .stdout(format!(
            "deleted box gone and its channel {}\n",
            w.channel("c2")
        ));
    assert!(!w.path("c2").exists());
    let names: Vec<String> = u
        .json(&["box", "list", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["keep"]);
}

#[test]
fn bad_input_is_one_line_and_changes_nothing() {
    let w = World::new();
    let u = w.user("u", "p q r");
    // Nothing in use yet.
    u.fails(&mut u.run(&["file", "list"]), 2, "no box is in use");
    u.make_box("b", &w.channel("c"));
    let before = std::fs::read_to_string(u.home.join("config.toml")).unwrap();
    u.fails(
        &mut u.run(&["box", "use", "nope"]),
        3,
        "no box named \"nope\"",
    );
    u.fails(&mut u.run(&["box", "info", "nope"]), 3, "no box named");
    u.fails(
        u.run(&["box", "make", "b", "--channel", &w.channel("other")])
            .args(CHEAP),
        8,
        "exists already",
    );
    u.fails(
        u.run(&["box", "make", "../x", "--channel", &w.channel("d")])
            .args(CHEAP),
        2,
        "not a box name",
    );
    u.fails(
        u.run(&["box", "make", "x", "--channel", "ftp://x"])
            .args(CHEAP),
        2,
        "unknown channel address",
    );
    u.fails(
        u.run(&["box", "make", "x", "--channel", "telegram"])
            .args(CHEAP),
        2,
        "tgbox account login",
    );
    u.fails(
        &mut u.run(&[
            "box",
            "make",
            "x",
            "--channel",
            &w.channel("d"),
            "--scrypt-salt",
            "zz",
        ]),
        2,
        "--scrypt-salt is not hex",
    );
    // A channel that is there already is not made again.
    u.fails(
        u.run(&["box", "make", "x", "--channel", &w.channel("c")])
            .args(CHEAP),
        8,
        "empty or missing directory",
    );
    // Opening a channel that is not there.
    u.fails(
        u.run(&["box", "open", "y", "--channel", &w.channel("missing")])
            .args(CHEAP),
        5,
        "",
    );
    // Opening a channel that is not a box.
    u.bare()
        .args([
            "raw",
            "channel",
            "create",
            &w.channel("plain"),
            "--title",
            "plain",
        ])
        .assert()
        .success();
    u.fails(
        u.run(&["box", "open", "y", "--channel", &w.channel("plain")])
            .args(CHEAP),
        6,
        "not a TGBOX channel",
    );
    let after = std::fs::read_to_string(u.home.join("config.toml")).unwrap();
    assert_eq!(before, after);
    assert!(!w.path("d").exists());
}

#[test]
fn completions_and_help() {
    let w = World::new();
    let u = w.user("u", "p");
    u.bare()
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("_tgbox()"));
    u.bare()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit codes:"));
    u.bare().args(["box", "frobnicate"]).assert().code(2);
}
