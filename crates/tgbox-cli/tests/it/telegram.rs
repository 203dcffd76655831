//! `tgbox account` and `telegram:` boxes, against the loopback Telegram test server.

use crate::harness::{CHEAP, World, json_of};
use tgbox_testserver::{LOGIN_CODE, PHONE, TestServer, USER_ID};

const API_HASH: &str = "0123456789abcdef0123456789abcdef";

/// `tgbox account login NAME` with the test application's credentials.
fn login(u: &crate::harness::User, name: &str) -> assert_cmd::Command {
    let mut c = u.bare();
    c.args([
        "account",
        "login",
        name,
        "--api-id",
        "1",
        "--api-hash",
        API_HASH,
    ]);
    c
}

/// The server runs on its own runtime while the test drives the binary.
struct Tg {
    _rt: tokio::runtime::Runtime,
    server: TestServer,
}

fn start() -> Tg {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(TestServer::start());
    Tg { _rt: rt, server }
}

#[test]
fn phone_login_in_two_steps_then_a_box_on_telegram_end_to_end() {
    let tg = start();
    let w = World::new();
    let alice = w.user("alice", "alice phrase");
    let seed = w.file("seed.session", tg.server.fresh_string_session().as_bytes());
    let seed = seed.to_str().unwrap();

    let out = login(&alice, "alice")
        .args(["--phone", PHONE, "--seed-session-file", seed])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("--code CODE"));
    let list = json_of(alice.bare().args(["account", "list", "--json"]));
    assert_eq!(list[0]["state"], "waiting for the code");

    alice.fails(
        alice
            .bare()
            .args(["account", "login", "alice", "--code", "00000"]),
        4,
        "the login code is wrong",
    );
    let done = json_of(
        alice
            .bare()
            .args(["account", "login", "alice", "--code", LOGIN_CODE, "--json"]),
    );
    assert_eq!(done["user_id"], USER_ID);
    assert_eq!(done["current"], true);
    let list = json_of(alice.bare().args(["account", "list", "--json"]));
    assert_eq!(list[0]["state"], "signed in");
    assert_eq!(list[0]["current"], true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let f = alice.home.join("accounts/alice.toml");
        assert_eq!(
            std::fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(!text.contains("pending"), "the finished login is not kept");
    }

    // A box on Telegram: make, upload, list, download, deep sync.
    let made = json_of(
        alice
            .run(&["box", "make", "tg", "--channel", "telegram", "--json"])
            .args(CHEAP),
    );
    let address = made["channel"].as_str().unwrap().to_owned();
    assert!(address.starts_with("telegram:"), "{made}");
    let data: Vec<u8> = (0..1_500_000u32).map(|i| (i % 253) as u8).collect();
    let src = w.file("in/photo.raw", &data);
    alice
        .run(&["file", "upload", src.to_str().unwrap(), "--to", "/pics"])
        .assert()
        .success();
    let ids = alice.ids();
    assert_eq!(ids.len(), 1);
    let out_dir = w.path("out");
    alice
        .run(&[
            "file",
            "download",
            &ids[0].to_string(),
            "--out",
            out_dir.to_str().unwrap(),
        ])
        .assert()
        .success();
    let got = walk_one(&out_dir);
    assert!(
        std::fs::read(got).unwrap() == data,
        "the download is the upload"
    );
    alice.run(&["box", "sync", "--deep"]).assert().success();

    // Another device of the same person opens the box by its channel.
    let phone2 = w.user("phone2", "alice phrase");
    let session = w.file("alice.session", tg.server.string_session().as_bytes());
    login(&phone2, "main")
        .args(["--session-file", session.to_str().unwrap()])
        .assert()
        .success();
    let opened = json_of(
        phone2
            .run(&["box", "open", "tg2", "--channel", &address, "--json"])
            .args(CHEAP),
    );
    assert_eq!(opened["files"], 1);

    let sessions = json_of(alice.bare().args(["account", "sessions", "--json"]));
    assert_eq!(
        sessions
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["current"] == true)
            .count(),
        1
    );

    alice
        .run(&["box", "delete", "tg", "--yes"])
        .assert()
        .success();
    phone2.fails(
        &mut phone2.run(&["box", "sync", "--deep"]),
        5,
        "CHANNEL_INVALID",
    );
    alice
        .bare()
        .args(["account", "logout", "alice", "--yes"])
        .assert()
        .success();
    assert!(
        json_of(alice.bare().args(["account", "list", "--json"]))
            .as_array()
            .unwrap()
            .is_empty()
    );
}

fn walk_one(dir: &std::path::Path) -> std::path::PathBuf {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                return p;
            }
        }
    }
    panic!("nothing downloaded under {}", dir.display())
}

#[test]
fn a_revoked_session_is_reported_with_what_to_do() {
    let tg = start();
    let w = World::new();
    let bob = w.user("bob", "bob phrase");
    let session = w.file("bob.session", tg.server.string_session().as_bytes());
    login(&bob, "bob")
        .args(["--session-file", session.to_str().unwrap()])
        .assert()
        .success();
    bob.run(&["box", "make", "b", "--channel", "telegram"])
        .args(CHEAP)
        .assert()
        .success();
    tg.server.revoke_user_key();
    let err = bob.fails(
        &mut bob.run(&["box", "sync", "--deep"]),
        4,
        "AUTH_KEY_UNREGISTERED",
    );
    assert!(err.contains("tgbox account login"), "{err}");
    let again = bob.fails(
        login(&bob, "bob2").args(["--session-file", session.to_str().unwrap()]),
        2,
        "not signed in",
    );
    assert!(!again.contains(API_HASH));
}

#[test]
fn telegram_needs_credentials_and_an_account() {
    let w = World::new();
    let u = w.user("u", "p");
    u.fails(
        u.bare()
            .args(["account", "login", "x", "--phone", "+1 555 0100"]),
        2,
        "my.telegram.org",
    );
    u.fails(
        u.bare()
            .args([
                "account",
                "login",
                "x",
                "--api-id",
                "1",
                "--api-hash",
                "short",
            ])
            .args(["--phone", "+1 555 0100"]),
        2,
        "32 hexadecimal digits",
    );
    u.fails(
        u.run(&["box", "make", "b", "--channel", "telegram"])
            .args(CHEAP),
        2,
        "tgbox account login",
    );
    u.fails(
        u.run(&["box", "open", "b", "--channel", "telegram:@x"])
            .args(CHEAP),
        2,
        "telegram:@name or telegram:ID",
    );
    u.fails(
        u.bare().args(["account", "use", "nobody"]),
        3,
        "no account named",
    );
    u.fails(
        u.bare()
            .args(["account", "login", "x", "--code", "12345"])
            .args(["--api-id", "1", "--api-hash", API_HASH]),
        2,
        "start with --phone",
    );
}

/// Signs in account `name` of user `u` with a fresh key of its own (phone and code).
fn fresh_account(tg: &Tg, w: &World, u: &crate::harness::User, name: &str) {
    let seed = w.file(
        &format!("{name}.seed"),
        tg.server.fresh_string_session().as_bytes(),
    );
    login(u, name)
        .args([
            "--phone",
            PHONE,
            "--seed-session-file",
            seed.to_str().unwrap(),
        ])
        .assert()
        .success();
    u.bare()
        .args(["account", "login", name, "--code", LOGIN_CODE])
        .assert()
        .success();
}

#[test]
fn backups_in_telegram_channels_check_restore_and_destroy() {
    let tg = start();
    let w = World::new();
    let u = w.user("u", "backup phrase one");
    let main_session = w.file("main.session", tg.server.string_session().as_bytes());
    login(&u, "main")
        .args(["--session-file", main_session.to_str().unwrap()])
        .assert()
        .success();
    fresh_account(&tg, &w, &u, "bk");

    let made = json_of(
        u.run(&[
            "backup",
            "make",
            "--provider",
            "telegram",
            "--account",
            "bk",
            "--json",
        ])
        .args(CHEAP),
    );
    let key_id = made["key_id"].as_str().unwrap().to_owned();
    let texts = tg.server.shared.world().texts_of(&key_id);
    assert_eq!(texts.len(), 1, "one post in @{key_id}");
    assert!(
        texts[0].starts_with("+T+\n") && texts[0].ends_with("\n+T+"),
        "{}",
        texts[0]
    );
    let (title, about) = tg.server.shared.world().header_of(&key_id).unwrap();
    assert!(
        title.starts_with("TgbX (") && title.ends_with(')'),
        "{title}"
    );
    assert_eq!(about, "Made with TGBACK-X v1.1");

    // The same backup in a file: check, then restore as another account.
    let file = w.path("bk.tgback");
    let provider = format!("file:{}", file.display());
    u.run(&["backup", "make", "--provider", &provider, "--account", "bk"])
        .args(CHEAP)
        .assert()
        .success();
    let alive = json_of(
        u.run(&["backup", "check", "--provider", &provider, "--json"])
            .args(CHEAP),
    );
    assert_eq!(alive["alive"], true);
    assert_eq!(alive["key_id"], key_id.as_str());
    let restored = json_of(
        u.run(&[
            "backup",
            "open",
            "--provider",
            &provider,
            "--account",
            "restored",
            "--json",
        ])
        .args(CHEAP),
    );
    assert_eq!(restored["user_id"], USER_ID);
    let list = json_of(u.bare().args(["account", "list", "--json"]));
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == "restored" && a["state"] == "signed in")
    );

    // A KeyID whose username someone else holds is refused before anything is posted.
    let other = w.user("other", "backup phrase two");
    let other_file = w.path("other.tgback");
    let other_key = json_of(
        other
            .run(&[
                "backup",
                "make",
                "--provider",
                &format!("file:{}", other_file.display()),
            ])
            .args([
                "--session-string",
                &tg.server.string_session(),
                "--api-id",
                "1",
            ])
            .args(["--api-hash", API_HASH, "--json"])
            .args(CHEAP),
    )["key_id"]
        .as_str()
        .unwrap()
        .to_owned();
    tg.server.shared.world().add_foreign_channel(&other_key);
    other.fails(
        other
            .run(&["backup", "make", "--provider", "telegram"])
            .args([
                "--session-string",
                &tg.server.string_session(),
                "--api-id",
                "1",
            ])
            .args(["--api-hash", API_HASH])
            .args(CHEAP),
        5,
        "OCCUPIED_KEY_ID",
    );
    assert!(tg.server.shared.world().texts_of(&other_key).is_empty());

    // Destroy: the backed-up session is signed out (and that is verified), then the channel
    // is deleted through the other account.
    // The public page is read anonymously (here from the test server's preview).
    let preview = tg.server.preview_url();
    let opened = json_of(
        u.run(&[
            "backup",
            "open",
            "--provider",
            "telegram",
            "--print-session",
            "--json",
        ])
        .args(["--preview-url", &preview])
        .args(CHEAP),
    );
    assert_eq!(opened["key_id"], key_id.as_str());
    u.run(&[
        "backup",
        "destroy",
        "--provider",
        "telegram",
        "--account",
        "main",
        "--yes",
    ])
    .args(["--preview-url", &preview])
    .args(CHEAP)
    .assert()
    .success();
    assert!(
        tg.server.shared.world().header_of(&key_id).is_none(),
        "the channel is gone"
    );
    u.fails(
        u.run(&["backup", "check", "--provider", &provider])
            .args(CHEAP),
        4,
        "no longer signed in",
    );
}

#[test]
fn refresh_backs_up_the_new_session_and_signs_the_old_one_out() {
    let tg = start();
    let w = World::new();
    let u = w.user("u", "refresh phrase");
    fresh_account(&tg, &w, &u, "old");
    fresh_account(&tg, &w, &u, "new");
    let file = w.path("r.tgback");
    let provider = format!("file:{}", file.display());
    u.run(&[
        "backup",
        "make",
        "--provider",
        &provider,
        "--account",
        "old",
    ])
    .args(CHEAP)
    .assert()
    .success();
    u.run(&[
        "backup",
        "refresh",
        "--provider",
        &provider,
        "--account",
        "new",
    ])
    .args(CHEAP)
    .assert()
    .success();
    let alive = json_of(
        u.run(&["backup", "check", "--provider", &provider, "--json"])
            .args(CHEAP),
    );
    assert_eq!(alive["alive"], true, "the backup now holds the new session");
    // The old session is signed out: its account can no longer list sessions.
    u.fails(
        u.bare().args(["account", "sessions", "old"]),
        4,
        "AUTH_KEY_UNREGISTERED",
    );
    u.bare()
        .args(["account", "sessions", "new"])
        .assert()
        .success();
    u.fails(
        u.run(&[
            "backup",
            "refresh",
            "--provider",
            &provider,
            "--account",
            "new",
        ])
        .args(CHEAP),
        2,
        "already holds",
    );
}

#[test]
fn a_two_step_password_finishes_a_split_login() {
    let tg = start();
    tg.server.shared.world().set_password("pw 123", None);
    let w = World::new();
    let u = w.user("u", "p");
    let seed = w.file("seed", tg.server.fresh_string_session().as_bytes());
    login(&u, "me")
        .args([
            "--phone",
            PHONE,
            "--seed-session-file",
            seed.to_str().unwrap(),
        ])
        .assert()
        .success();
    u.fails(
        u.bare()
            .args(["account", "login", "me", "--code", LOGIN_CODE]),
        2,
        "--password-file",
    );
    let list = json_of(u.bare().args(["account", "list", "--json"]));
    assert_eq!(list[0]["state"], "waiting for the password");
    let wrong = w.file("wrong", b"not it\n");
    u.fails(
        u.bare().args([
            "account",
            "login",
            "me",
            "--password-file",
            wrong.to_str().unwrap(),
        ]),
        4,
        "the password is wrong",
    );
    let right = w.file("right", b"pw 123\n");
    let done = json_of(u.bare().args([
        "account",
        "login",
        "me",
        "--password-file",
        right.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(done["user_id"], USER_ID);
}
