//! `tgbox file` and `tgbox dir`: uploads of files and trees, listing and searching with the
//! `--json` shape, downloads that verify, ranges, edits, removal; and each error path.

use crate::harness::{CHEAP, User, World, damage_document, dir_contents};
use predicates::prelude::*;
use serde_json::{Value, json};

/// A box with a small tree uploaded under /backup.
fn with_tree(w: &World) -> User {
    let u = w.user("u", "files phrase");
    u.make_box("b", &w.channel("c"));
    w.file("tree/a.txt", b"hello");
    w.file("tree/sub/b.bin", &pattern(1_500_000));
    w.file("tree/sub/deeper/c.md", b"# notes");
    u.run(&[
        "file",
        "upload",
        &w.path("tree").to_string_lossy(),
        "--to",
        "/backup",
        "--tag",
        "color=blue",
        // One at a time: ids follow the sorted tree.
        "--jobs",
        "1",
    ])
    .assert()
    .success();
    u
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
fn upload_keeps_the_tree_and_list_prints_it() {
    let w = World::new();
    let u = with_tree(&w);
    u.run(&["file", "list"]).assert().success().stdout(
        "      1         5 B  /backup/tree/a.txt  [color=blue]\n      \
             2     1.4 MiB  /backup/tree/sub/b.bin  [color=blue]\n      \
             3         7 B  /backup/tree/sub/deeper/c.md  [color=blue]\n",
    );
    let files = u.json(&["file", "list", "--path", "/backup/tree/sub", "--json"]);
    let files = files.as_array().unwrap();
    assert_eq!(files.len(), 2);
    let f = &files[0];
    let keys: Vec<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["id", "name", "path", "size", "mime", "tags", "uploaded_at"]
    );
    assert_eq!(f["id"], 2);
    assert_eq!(f["name"], "b.bin");
    assert_eq!(f["path"], "/backup/tree/sub");
    assert_eq!(f["size"], 1_500_000);
    assert_eq!(f["mime"], "");
    assert_eq!(f["tags"], json!({"color": "blue"}));
    let at = f["uploaded_at"].as_str().unwrap();
    assert!(
        at.len() == 20 && at.ends_with('Z') && at.as_bytes()[10] == b'T',
        "{at}"
    );

    let listing = u.json(&["dir", "list", "/backup/tree", "--json"]);
    assert_eq!(listing["path"], "/backup/tree");
    assert_eq!(listing["dirs"], json!(["sub"]));
    assert_eq!(listing["files"][0]["name"], "a.txt");
    u.run(&["dir", "list", "/backup/tree"])
        .assert()
        .success()
        .stdout("sub/\n      1         5 B  /backup/tree/a.txt  [color=blue]\n");
    u.fails(&mut u.run(&["dir", "list", "/nowhere"]), 2, "/nowhere");

    // The upload JSON: what went up and what failed.
    w.file("more/x.txt", b"x");
    let up = u.json(&[
        "file",
        "upload",
        &w.path("more/x.txt").to_string_lossy(),
        "--json",
    ]);
    assert_eq!(up["uploaded"][0]["path"], "/");
    assert_eq!(up["uploaded"][0]["name"], "x.txt");
    assert_eq!(up["failed"], json!([]));
}

fn ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_i64().unwrap())
        .collect()
}

#[test]
fn search_filters() {
    let w = World::new();
    let u = with_tree(&w);
    let s = |args: &[&str]| {
        let mut all = vec!["file", "search"];
        all.extend_from_slice(args);
        all.push("--json");
        ids(&u.json(&all))
    };
    assert_eq!(s(&[]), [1, 2, 3]);
    assert_eq!(s(&["--name", "a.t"]), [1]);
    assert_eq!(s(&["--name", "a.t", "--name", "c.md"]), [1, 3]);
    assert_eq!(s(&["--path", "deeper"]), [3]);
    assert_eq!(s(&["--scope", "/backup/tree/sub"]), [2, 3]);
    assert_eq!(s(&["--min-size", "1M"]), [2]);
    assert_eq!(s(&["--max-size", "7"]), [1, 3]);
    assert_eq!(s(&["--tag", "color=blu"]), [1, 2, 3]);
    assert_eq!(s(&["--tag", "color=red"]), Vec::<i64>::new());
    assert_eq!(s(&["--tag", "color="]), [1, 2, 3]);
    assert_eq!(s(&["--regex", "--name", r"^[ab]\."]), [1, 2]);
    assert_eq!(s(&["--exclude-name", ".bin", "--exclude-name", ".md"]), [1]);
    assert_eq!(s(&["--id", "2", "--id", "3", "--own"]), [2, 3]);
    assert_eq!(s(&["--imported"]), Vec::<i64>::new());
    u.run(&["file", "search", "--name", "c.md"])
        .assert()
        .success()
        .stdout("      3         7 B  /backup/tree/sub/deeper/c.md  [color=blue]\n");
    // Bad filter values.
    u.fails(
        &mut u.run(&["file", "search", "--min-size", "lots"]),
        2,
        "not a size",
    );
    u.fails(
        &mut u.run(&["file", "search", "--tag", "novalue"]),
        2,
        "expected k=v",
    );
    u.fails(
        &mut u.run(&["file", "search", "--regex", "--name", "("]),
        2,
        "file_name",
    );
}

#[test]
fn download_verifies_and_ranges_read_bytes() {
    let w = World::new();
    let u = with_tree(&w);
    let out = w.path("out");
    let outs = out.to_string_lossy().into_owned();
    u.run(&["file", "download", "1", "2", "--out", &outs])
        .assert()
        .success()
        .stdout(format!(
            "      1  {}\n      2  {}\n",
            out.join("a.txt").display(),
            out.join("b.bin").display()
        ));
    assert_eq!(
        dir_contents(&out),
        [
            ("a.txt".to_owned(), b"hello".to_vec()),
            ("b.bin".to_owned(), pattern(1_500_000))
        ]
    );
    // Never overwritten.
    u.fails(
        &mut u.run(&["file", "download", "1", "--out", &outs]),
        2,
        "exists; not overwritten",
    );
    let json = u.json(&["file", "download", "3", "--out", &outs, "--json"]);
    assert_eq!(json[0]["verified"], true);
    assert_eq!(json[0]["size"], 7);

    // Ranges: to stdout, and to a file.
    u.run(&[
        "file",
        "download",
        "2",
        "--range",
        "1000-1009",
        "--out",
        "-",
    ])
    .assert()
    .success()
    .stdout(predicate::eq(&pattern(1_500_000)[1000..1010]));
    u.run(&["file", "download", "2", "--range", "1499990-", "--out", "-"])
        .assert()
        .success()
        .stdout(predicate::eq(&pattern(1_500_000)[1_499_990..]));
    let r = w.path("ranged");
    u.run(&[
        "file",
        "download",
        "1",
        "--range",
        "1-3",
        "--out",
        &r.to_string_lossy(),
    ])
    .assert()
    .success();
    assert_eq!(std::fs::read(r.join("a.txt")).unwrap(), b"ell");
    u.fails(
        &mut u.run(&["file", "download", "1", "--range", "9-"]),
        2,
        "past the end",
    );
    u.fails(
        &mut u.run(&["file", "download", "1", "--range", "x"]),
        2,
        "--range",
    );
    u.fails(
        &mut u.run(&["file", "download", "1", "2", "--range", "0-1"]),
        2,
        "exactly one",
    );
    u.fails(
        &mut u.run(&["file", "download", "1", "--out", "-"]),
        2,
        "not written to stdout",
    );

    // A whole directory, its tree kept; a second run skips what is there.
    let whole = w.path("whole");
    let wholes = whole.to_string_lossy().into_owned();
    u.run(&["file", "download", "--under", "/backup", "--out", &wholes])
        .assert()
        .success();
    assert_eq!(std::fs::read(whole.join("tree/a.txt")).unwrap(), b"hello");
    assert_eq!(
        std::fs::read(whole.join("tree/sub/b.bin")).unwrap(),
        pattern(1_500_000)
    );
    assert_eq!(
        std::fs::read(whole.join("tree/sub/deeper/c.md")).unwrap(),
        b"# notes"
    );
    u.run(&["file", "download", "--under", "/backup", "--out", &wholes])
        .assert()
        .success()
        .stdout("");
    let treed = w.path("treed");
    u.run(&[
        "file",
        "download",
        "3",
        "--tree",
        "--out",
        &treed.to_string_lossy(),
    ])
    .assert()
    .success();
    assert!(treed.join("backup/tree/sub/deeper/c.md").is_file());
    u.fails(
        &mut u.run(&["file", "download", "--under", "/nothing", "--out", &wholes]),
        3,
        "no files under /nothing",
    );

    // An unknown id: nothing written, even for the ids before it.
    let fresh = w.path("fresh");
    u.fails(
        &mut u.run(&[
            "file",
            "download",
            "1",
            "99",
            "--out",
            &fresh.to_string_lossy(),
        ]),
        3,
        "no file 99",
    );
    assert!(!fresh.exists());
}

#[test]
fn a_tampered_document_is_refused_and_leaves_nothing() {
    let w = World::new();
    let u = with_tree(&w);
    // Flip one payload byte of file 2's document in the channel.
    damage_document(&w, "c", 2, 1000);
    let out = w.path("out");
    u.fails(
        &mut u.run(&["file", "download", "2", "--out", &out.to_string_lossy()]),
        6,
        "decryption failed",
    );
    assert_eq!(dir_contents(&out), Vec::<(String, Vec<u8>)>::new());
}

#[test]
fn rename_move_tag_remove() {
    let w = World::new();
    let u = with_tree(&w);
    u.run(&["file", "rename", "1", "renamed.txt"])
        .assert()
        .success()
        .stdout("      1         5 B  /backup/tree/renamed.txt  [color=blue]\n");
    let moved = u.json(&["file", "move", "1", "/elsewhere", "--json"]);
    assert_eq!(moved["path"], "/elsewhere");
    let tagged = u.json(&["file", "tag", "1", "k=v", "n=1", "--json"]);
    assert_eq!(tagged["tags"], json!({"color": "blue", "k": "v", "n": "1"}));
    let untagged = u.json(&["file", "tag", "1", "k=", "--json"]);
    assert_eq!(untagged["tags"], json!({"color": "blue", "n": "1"}));
    u.fails(
        &mut u.run(&["file", "tag", "1", "color="]),
        2,
        "can be changed but not removed",
    );
    u.fails(&mut u.run(&["file", "tag", "1", "bad"]), 2, "expected k=v");
    u.fails(&mut u.run(&["file", "rename", "1", "a/b"]), 2, "");
    u.fails(&mut u.run(&["file", "rename", "99", "x"]), 3, "no file 99");
    // Two files cannot share a path.
    u.run(&["file", "rename", "2", "renamed.txt"])
        .assert()
        .success();
    u.fails(
        &mut u.run(&["file", "move", "2", "/elsewhere"]),
        8,
        "already has a file at this path",
    );

    // Removal needs confirmation; unknown ids remove nothing.
    u.fails(&mut u.run(&["file", "remove", "1"]), 2, "give --yes");
    u.fails(
        &mut u.run(&["file", "remove", "1", "99", "--yes"]),
        3,
        "no file 99",
    );
    assert_eq!(u.ids(), [1, 2, 3]);
    u.run(&["file", "remove", "1", "3", "--yes"])
        .assert()
        .success()
        .stderr("removed 2 file(s)\n");
    assert_eq!(u.ids(), [2]);
    // Gone from the channel too: another device sees the same.
    let v = w.user("v", "files phrase");
    v.run(&["box", "open", "b", "--channel", &w.channel("c")])
        .args(CHEAP)
        .assert()
        .success();
    assert_eq!(v.ids(), [2]);
}

#[test]
fn upload_errors() {
    let w = World::new();
    let u = w.user("u", "p");
    u.make_box("b", &w.channel("c"));
    w.file("f/one.txt", b"1");
    let one = w.path("f/one.txt").to_string_lossy().into_owned();
    // A missing source uploads nothing, not even the good ones before it.
    u.fails(
        &mut u.run(&["file", "upload", &one, "/no/such/file"]),
        3,
        "/no/such/file",
    );
    assert_eq!(u.ids(), Vec::<i64>::new());
    u.fails(
        &mut u.run(&["file", "upload", &one, "--tag", "=x"]),
        2,
        "expected k=v",
    );
    u.usage_fails(
        &mut u.run(&["file", "upload", &one, "--jobs", "0"]),
        "--jobs",
    );
    u.run(&["file", "upload", &one]).assert().success();
    // The same path again: the others go on, the duplicate is reported, exit says conflict.
    w.file("f/two.txt", b"2");
    let out = u
        .run(&[
            "file",
            "upload",
            &one,
            &w.path("f/two.txt").to_string_lossy(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(8));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("one.txt: the box already has a file at this path"),
        "{err}"
    );
    assert!(err.contains("1 of 2 failed"), "{err}");
    assert_eq!(u.ids(), [1, 2]);
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let w = World::new();
    let u = with_tree(&w);
    let mut child = u
        .std()
        .args(["file", "list"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    assert!(child.wait().unwrap().success());
}
