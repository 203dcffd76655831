//! What a person relies on without seeing it: Ctrl-C leaves work that the next run finishes, and
//! no phrase or key ever shows in output or logs, at any verbosity.

use crate::harness::{CHEAP, World};

/// Asks the process to stop as Ctrl-C would.
#[cfg(unix)]
fn interrupt(pid: u32) {
    let ok = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

#[cfg(unix)]
#[test]
fn ctrl_c_mid_upload_is_resumed_by_the_next_run() {
    let w = World::new();
    let u = w.user("u", "interrupt me");
    u.make_box("b", &w.channel("c"));
    let data: Vec<u8> = (0..96u32 << 20).map(|i| (i % 253) as u8).collect();
    let big = w.file("big.bin", &data);
    let big = big.to_string_lossy().into_owned();
    let child = u
        .std()
        .arg("--phrase-file")
        .arg(&u.phrase_file)
        .args(["file", "upload", &big, "--jobs", "2"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the upload is journaled, then interrupt it.
    let localbox = u.home.join("boxes/b.tgbox");
    let started = std::time::Instant::now();
    loop {
        let lb = tgbox::localbox::LocalBox::open(&localbox).unwrap();
        if !lb.journal_pending().unwrap().is_empty() {
            break;
        }
        drop(lb);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the upload never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    interrupt(child.id());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(
        err.contains("interrupted; run the same command again to resume"),
        "{err}"
    );
    assert_eq!(u.ids(), Vec::<i64>::new(), "nothing recorded half-way");

    // The same command again finishes it: one file, one document, the right bytes.
    u.run(&["file", "upload", &big]).assert().success();
    assert_eq!(u.ids(), [1]);
    let posts = std::fs::read_dir(w.path("c/messages"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "json")
        })
        .count();
    assert_eq!(posts, 1, "no duplicate document");
    let out = w.path("out");
    u.run(&["file", "download", "1", "--out", &out.to_string_lossy()])
        .assert()
        .success();
    assert!(std::fs::read(out.join("big.bin")).unwrap() == data);
}

#[test]
fn no_secret_in_any_output_at_any_verbosity() {
    let w = World::new();
    let phrase = "zebra quokka fjord jungle glyph";
    let u = w.user("u", phrase);
    let key_text = {
        let out = u
            .bare()
            .args(["raw", "key", "--phrase-file"])
            .arg(&u.phrase_file)
            .args(CHEAP)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let secrets: Vec<String> = key_text
        .lines()
        .map(|l| l.trim().to_owned())
        .filter(|l| l.len() > 20)
        .chain([phrase.to_owned()])
        .collect();
    assert!(!secrets.is_empty());
    w.file("f.txt", b"f");
    let f = w.path("f.txt").to_string_lossy().into_owned();
    let out_dir = w.path("out").to_string_lossy().into_owned();
    let mut seen = String::new();
    let runs: Vec<Vec<&str>> = vec![
        vec![
            "box",
            "make",
            "b",
            "--channel",
            "CHAN",
            "--scrypt-n",
            "1024",
        ],
        vec!["file", "upload", &f],
        vec!["box", "lock"],
        vec!["file", "list", "--json"],
        vec!["box", "info", "--json"],
        vec!["file", "download", "1", "--out", &out_dir],
        vec!["share", "give", "Rbad", "--box"],
        vec![
            "box",
            "open",
            "c",
            "--channel",
            "CHAN",
            "--scrypt-n",
            "1024",
        ],
    ];
    let chan = w.channel("c");
    for verbosity in ["-vvv", "-v", "-q"] {
        for args in &runs {
            let args: Vec<&str> = args
                .iter()
                .map(|a| if *a == "CHAN" { chan.as_str() } else { a })
                .collect();
            let out = u
                .run(&args)
                .arg(verbosity)
                .env("RUST_LOG", "trace")
                .output()
                .unwrap();
            seen.push_str(&String::from_utf8_lossy(&out.stdout));
            seen.push_str(&String::from_utf8_lossy(&out.stderr));
        }
    }
    for s in &secrets {
        assert!(!seen.contains(s.as_str()), "a secret was printed");
    }
    for word in phrase.split(' ') {
        assert!(!seen.contains(word), "a phrase word was printed: {word}");
    }
    let config = std::fs::read_to_string(u.home.join("config.toml")).unwrap();
    for s in &secrets {
        assert!(!config.contains(s.as_str()));
    }
}

#[test]
fn a_base64url_value_may_begin_with_a_hyphen() {
    // One BoxSalt in 64 encodes with a leading "-": it is the option's value, not an option.
    let w = World::new();
    let u = w.user("u", "hyphen phrase");
    let salt = format!("-{}=", "A".repeat(42));
    let out = u
        .bare()
        .args(["raw", "key", "--phrase-file"])
        .arg(&u.phrase_file)
        .args(["--box-salt", &salt])
        .args(CHEAP)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 2);
}
