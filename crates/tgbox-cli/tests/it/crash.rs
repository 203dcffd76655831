//! Crash consistency of the whole product: the `tgbox` process is killed (SIGKILL) at seeded
//! random moments during uploads, downloads, edits, removals, syncs and clones on `local:`;
//! after each kill the same command is run again, and then:
//!
//! * `tgbox box check --deep --no-repair` finds the box whole without repairing anything: the
//!   LocalBox matches the channel, no orphan document, no orphan row, every tag verifies;
//! * a download run again completes with the right SHA-256 and leaves no partial file;
//! * at the end every file of the box downloads with the SHA-256 of its source.
//!
//! `TGBOX_KILL_POINTS` sets the number of kills (30 by default, for CI; 200 or more for a long
//! local run) and `TGBOX_KILL_SEED` the seed, so a failure is reproduced exactly.

use crate::harness::{CHEAP, User, World, json_of};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// SplitMix64: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Runs `args` and kills it after `after`; true when the kill came before it finished.
fn run_and_kill(u: &User, args: &[String], after: Duration) -> bool {
    let mut child = u
        .std()
        .arg("--phrase-file")
        .arg(&u.phrase_file)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    let killed = matches!(child.try_wait(), Ok(None));
    let _ = child.kill();
    let _ = child.wait();
    killed
}

/// Runs `args` to the end; its exit code must be one of `ok`. Returns how long it took.
fn finish(u: &User, args: &[String], ok: &[i32]) -> Duration {
    let started = std::time::Instant::now();
    let out = u
        .run(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .output()
        .unwrap();
    let took = started.elapsed();
    let code = out.status.code().unwrap_or(-1);
    assert!(
        ok.contains(&code),
        "{args:?} after a kill exited {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn partial_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.to_string_lossy().contains("tgbox-partial"))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(unix)]
#[test]
fn killed_anywhere_the_next_run_leaves_the_box_whole() {
    let points: usize = std::env::var("TGBOX_KILL_POINTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let seed: u64 = std::env::var("TGBOX_KILL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x0074_6762_6f78);
    let mut rng = Rng(seed);
    let w = World::new();
    let a = w.user("a", "crash phrase");
    a.make_box("b", &w.channel("c"));
    let twin = w.user("twin", "crash phrase");

    // name in the box -> SHA-256 of its source.
    let mut sources: HashMap<String, String> = HashMap::new();
    let mut kills = 0usize;
    // How long each kind of command takes here, measured on its runs to the end: kills land
    // anywhere in that span.
    let mut span = [Duration::from_millis(150); 6];
    for point in 0..points {
        let ids = a.ids();
        let op = if ids.is_empty() { 0 } else { rng.below(6) };
        let after = Duration::from_micros(rng.below(span[op as usize].as_micros() as u64 + 1));
        let ctx = format!("seed {seed}, point {point}, op {op}");
        match op {
            // Upload a new file: 10 KiB to 12 MiB.
            0 => {
                let size = [10 << 10, 700 << 10, 3 << 20, 12 << 20][rng.below(4) as usize];
                let fill = rng.next() as u8;
                let data: Vec<u8> = (0..size)
                    .map(|i| (i as u8).wrapping_mul(31) ^ fill)
                    .collect();
                let name = format!("f{point}.bin");
                let path = w.file(&format!("src/{name}"), &data);
                let args: Vec<String> = ["file", "upload", &path.to_string_lossy(), "--to", "/d"]
                    .map(String::from)
                    .into();
                kills += usize::from(run_and_kill(&a, &args, after));
                // Done before the kill: the box has it already (8).
                span[op as usize] = finish(&a, &args, &[0, 8]);
                sources.insert(name, sha(&data));
            }
            // Download a file; the run again finishes it (or finds it there).
            1 => {
                let id = ids[rng.below(ids.len() as u64) as usize];
                let dir = w.path(&format!("dl{point}"));
                let args: Vec<String> = [
                    "file",
                    "download",
                    &id.to_string(),
                    "--out",
                    &dir.to_string_lossy(),
                ]
                .map(String::from)
                .into();
                kills += usize::from(run_and_kill(&a, &args, after));
                span[op as usize] = finish(&a, &args, &[0, 2]);
                let files = std::fs::read_dir(&dir)
                    .unwrap()
                    .flatten()
                    .collect::<Vec<_>>();
                assert_eq!(files.len(), 1, "{ctx}: one complete file, nothing partial");
                let name = files[0].file_name().to_string_lossy().into_owned();
                let got = sha(&std::fs::read(files[0].path()).unwrap());
                assert_eq!(Some(&got), sources.get(&name), "{ctx}: {name}");
                assert!(partial_files(&dir).is_empty(), "{ctx}");
            }
            // Rename a file to a new name.
            2 => {
                let id = ids[rng.below(ids.len() as u64) as usize];
                let file =
                    &json_of(&mut a.run(&["file", "search", "--id", &id.to_string(), "--json"]))[0];
                let old = file["name"].as_str().unwrap().to_owned();
                let new = format!("r{point}.bin");
                let args: Vec<String> = ["file", "rename", &id.to_string(), &new]
                    .map(String::from)
                    .into();
                kills += usize::from(run_and_kill(&a, &args, after));
                span[op as usize] = finish(&a, &args, &[0]);
                let digest = sources.remove(&old).expect("known source");
                sources.insert(new, digest);
            }
            // Remove a file.
            3 => {
                let id = ids[rng.below(ids.len() as u64) as usize];
                let file =
                    &json_of(&mut a.run(&["file", "search", "--id", &id.to_string(), "--json"]))[0];
                let name = file["name"].as_str().unwrap().to_owned();
                let args: Vec<String> = ["file", "remove", &id.to_string(), "--yes"]
                    .map(String::from)
                    .into();
                kills += usize::from(run_and_kill(&a, &args, after));
                // Done before the kill: no such file any more (3).
                span[op as usize] = finish(&a, &args, &[0, 3]);
                sources.remove(&name);
            }
            // Deep sync.
            4 => {
                let args: Vec<String> = ["box", "sync", "--deep"].map(String::from).into();
                kills += usize::from(run_and_kill(&a, &args, after));
                span[op as usize] = finish(&a, &args, &[0]);
            }
            // Clone on another device, then forget it there.
            _ => {
                let chan = w.channel("c");
                let mut args: Vec<String> = ["box", "open", "t", "--channel", &chan]
                    .map(String::from)
                    .into();
                args.extend(CHEAP.map(String::from));
                kills += usize::from(run_and_kill(&twin, &args, after));
                // Done before the kill: the box is known there (8).
                span[op as usize] = finish(&twin, &args, &[0, 8]);
                assert_eq!(
                    twin.ids(),
                    a.ids(),
                    "{ctx}: the clone sees what the owner sees"
                );
                twin.run(&["box", "close", "t"]).assert().success();
                assert!(partial_files(&twin.home.join("boxes")).is_empty(), "{ctx}");
            }
        }
        let out = a
            .run(&["box", "check", "--deep", "--no-repair"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{ctx}: not whole:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Every file of the box, downloaded: the bytes of its source.
    let all = w.path("all");
    let mut got: HashMap<String, String> = HashMap::new();
    if !sources.is_empty() {
        a.run(&[
            "file",
            "download",
            "--under",
            "/d",
            "--out",
            &all.to_string_lossy(),
        ])
        .assert()
        .success();
        for e in std::fs::read_dir(&all).unwrap().flatten() {
            got.insert(
                e.file_name().to_string_lossy().into_owned(),
                sha(&std::fs::read(e.path()).unwrap()),
            );
        }
    }
    assert_eq!(got, sources);
    eprintln!("{points} kill points, {kills} landed mid-command (seed {seed})");
    assert!(
        kills * 3 >= points,
        "too few kills landed mid-command: {kills} of {points}"
    );
}
