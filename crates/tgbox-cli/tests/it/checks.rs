//! `tgbox box check [--deep]`: a whole box passes; drift between the LocalBox and the channel
//! is reported, and repaired unless `--no-repair`; a damaged document fails the deep check.

use crate::harness::{CHEAP, World, damage_document};
use serde_json::json;

#[test]
fn whole_drifted_repaired_and_damaged() {
    let w = World::new();
    let a = w.user("a", "check phrase");
    a.make_box("b", &w.channel("c"));
    w.file("src/x.txt", b"x");
    w.file("src/y.bin", &vec![7u8; 700_000]);
    a.run(&[
        "file",
        "upload",
        &w.path("src").to_string_lossy(),
        "--jobs",
        "1",
    ])
    .assert()
    .success();

    let r = a.json(&["box", "check", "--deep", "--json"]);
    assert_eq!(r["whole"], true, "{r}");
    assert_eq!(r["files"], 2);
    assert_eq!(r["verified"], 2);
    assert_eq!(r["repaired"], json!(null));
    a.run(&["box", "check"])
        .assert()
        .success()
        .stdout("box b: 2 file(s)\nwhole\n");

    // Another device uploads, and a message is deleted behind this LocalBox's back.
    let b = w.user("b2", "check phrase");
    b.run(&["box", "open", "b", "--channel", &w.channel("c")])
        .args(CHEAP)
        .assert()
        .success();
    w.file("z.txt", b"z");
    b.run(&["file", "upload", &w.path("z.txt").to_string_lossy()])
        .assert()
        .success();
    a.bare()
        .args(["raw", "channel", "delete", &w.channel("c"), "1"])
        .assert()
        .success();
    let out = a
        .run(&["box", "check", "--no-repair", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["not_recorded"], json!([3]));
    assert_eq!(r["missing_in_channel"], json!([1]));
    assert_eq!(r["whole"], false);
    assert_eq!(a.ids(), [1, 2], "--no-repair changes nothing");

    let r = a.json(&["box", "check", "--json"]);
    assert_eq!(
        r["repaired"],
        json!({"added": [3], "updated": [], "removed": [1]})
    );
    assert_eq!(r["whole"], true);
    assert_eq!(a.ids(), [2, 3]);

    // A damaged document: the deep check names it.
    damage_document(&w, "c", 2, 5000);
    a.run(&["box", "check"]).assert().success();
    let out = a.run(&["box", "check", "--deep"]).output().unwrap();
    assert_eq!(out.status.code(), Some(6));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("FAILED file 2: decryption failed"), "{text}");
    assert!(text.ends_with("NOT whole\n"), "{text}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("error: box b is not whole"));
}
