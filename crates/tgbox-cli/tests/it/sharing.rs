//! `tgbox share`: a file, a directory and a whole box given from one person to another, with
//! RequestKey and ShareKey passed as text; wrong and malformed keys refused.

use crate::harness::{CHEAP, World, json_of};
use serde_json::json;

/// Copies message `id` of channel `from` into channel `to` as TGBOX does when a file is
/// forwarded (the document keeps its FileSalt name); returns the new message id.
fn forward(w: &World, u: &crate::harness::User, from: &str, id: i64, to: &str) -> i64 {
    let tmp = w.path(&format!("fwd-{id}"));
    u.bare()
        .args(["raw", "channel", "read", from, "--id", &id.to_string()])
        .arg(&tmp)
        .assert()
        .success();
    let posted = json_of(
        u.bare()
            .args(["raw", "channel", "post", to])
            .arg(&tmp)
            .arg("--box-file"),
    );
    std::fs::remove_file(&tmp).unwrap();
    posted["id"].as_i64().unwrap()
}

fn text(u: &crate::harness::User, args: &[&str]) -> String {
    let out = u.run(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn a_file_and_a_directory() {
    let w = World::new();
    let owner = w.user("owner", "owner phrase");
    let friend = w.user("friend", "friend phrase");
    owner.make_box("mine", &w.channel("oc"));
    friend.make_box("theirs", &w.channel("fc"));
    w.file("docs/a.txt", b"secret a");
    w.file("docs/b.txt", b"secret b");
    owner
        .run(&[
            "file",
            "upload",
            &w.path("docs").to_string_lossy(),
            "--to",
            "/",
            "--jobs",
            "1",
        ])
        .assert()
        .success();

    // One file.
    let msg = forward(&w, &friend, &w.channel("oc"), 1, &w.channel("fc"));
    let request = text(&friend, &["share", "request", "--file", &msg.to_string()]);
    assert!(request.starts_with('R'), "{request}");
    let share = text(&owner, &["share", "give", &request, "--file", "1"]);
    assert!(share.starts_with('S'), "{share}");
    // A ShareKey made for another request opens nothing.
    let msg2 = forward(&w, &friend, &w.channel("oc"), 2, &w.channel("fc"));
    friend.fails(
        &mut friend.run(&["share", "accept", &share, "--file", &msg2.to_string()]),
        4,
        "ShareKey does not open",
    );
    let imported = friend.json(&[
        "share",
        "accept",
        &share,
        "--file",
        &msg.to_string(),
        "--to",
        "/from-owner",
        "--json",
    ]);
    assert_eq!(imported[0]["name"], "a.txt");
    assert_eq!(imported[0]["path"], "/from-owner");
    let out = w.path("got");
    friend
        .run(&[
            "file",
            "download",
            &msg.to_string(),
            "--out",
            &out.to_string_lossy(),
        ])
        .assert()
        .success();
    assert_eq!(std::fs::read(out.join("a.txt")).unwrap(), b"secret a");
    let listed = friend.json(&["file", "search", "--imported", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);

    // A directory: one key opens its files.
    let request = text(&friend, &["share", "request", "--file", &msg2.to_string()]);
    let share = text(
        &owner,
        &["share", "give", &request, "--dir", "/docs", "--json"],
    );
    let share: serde_json::Value = serde_json::from_str(&share).unwrap();
    let share = share["share_key"].as_str().unwrap();
    let done = friend.json(&[
        "share",
        "accept",
        share,
        "--file",
        &msg2.to_string(),
        "--json",
    ]);
    assert_eq!(done[0]["name"], "b.txt");
    owner.fails(
        &mut owner.run(&["share", "give", &request, "--dir", "/nope"]),
        3,
        "no directory /nope",
    );

    // Malformed keys.
    owner.fails(
        &mut owner.run(&["share", "give", "Rnot-a-key", "--file", "1"]),
        2,
        "",
    );
    owner.fails(
        &mut owner.run(&["share", "give", share, "--file", "1"]),
        2,
        "expected a RequestKey",
    );
    friend.fails(
        &mut friend.run(&["share", "accept", "garbage", "--file", "1"]),
        2,
        "",
    );
    owner.usage_fails(&mut owner.run(&["share", "give", &request]), "--file");
}

#[test]
fn a_whole_box() {
    let w = World::new();
    let owner = w.user("owner", "owner phrase");
    owner.make_box("mine", &w.channel("oc"));
    w.file("x.txt", b"x");
    owner
        .run(&["file", "upload", &w.path("x.txt").to_string_lossy()])
        .assert()
        .success();
    let friend = w.user("friend", "friend phrase");
    let request = text(
        &friend,
        &[
            "share",
            "request",
            "--box",
            "--channel",
            &w.channel("oc"),
            "--scrypt-n",
            "1024",
        ],
    );
    let share = text(&owner, &["share", "give", &request, "--box"]);
    let opened = friend.json(&[
        "box",
        "open",
        "shared",
        "--channel",
        &w.channel("oc"),
        "--share-key",
        &share,
        "--scrypt-n",
        "1024",
        "--json",
    ]);
    assert_eq!(opened["files"], 1);
    // From now on the friend's own phrase opens it.
    friend.run(&["box", "lock"]).assert().success();
    assert_eq!(
        friend.json(&["file", "list", "--json"])[0]["name"],
        json!("x.txt")
    );
    // Someone else's ShareKey does not.
    let stranger = w.user("stranger", "stranger phrase");
    stranger.fails(
        stranger
            .run(&[
                "box",
                "open",
                "s",
                "--channel",
                &w.channel("oc"),
                "--share-key",
                &share,
            ])
            .args(CHEAP),
        4,
        "ShareKey does not open",
    );
    stranger.usage_fails(
        &mut stranger.run(&["share", "request", "--box"]),
        "--channel",
    );
}
